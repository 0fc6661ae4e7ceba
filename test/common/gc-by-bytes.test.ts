/** The collections a load asks for as it reads (src/common/gc-by-bytes.ts). */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectingEvery, COLLECT_EVERY, type Gc } from '../../src/common/gc-by-bytes.ts';
import { shebangSettings } from '../support/cli.ts';

describe('collections by bytes read', () => {
  it('asks for a young one each time the bytes since the last pass the young mark, a full one instead at the full mark, each done before it returns', () => {
    const asked: string[] = [];
    const read = collectingEvery({ minor: 100, major: 300 }, (o) => {
      expect(o.execution).toBe('sync');
      asked.push(o.type);
    });
    read(60);
    expect(asked).toEqual([]);
    read(60);
    expect(asked).toEqual(['minor']);
    read(90);
    expect(asked).toEqual(['minor']);
    // 300 bytes since the start: a full collection instead of a young one, and both counts start again.
    read(90);
    expect(asked).toEqual(['minor', 'major']);
    read(99);
    expect(asked).toEqual(['minor', 'major']);
    read(1);
    expect(asked).toEqual(['minor', 'major', 'minor']);
    // A chunk past both marks is one collection, the full one.
    read(250);
    expect(asked).toEqual(['minor', 'major', 'minor', 'major']);
  });

  it('asks nothing where gc is not exposed', () => {
    expect(() => collectingEvery({ minor: 1, major: 2 }, undefined)(10)).not.toThrow();
  });

  it('collects in a process started as the executable starts Node: its flags expose gc, and V8 takes both requests', () => {
    const module = fileURLToPath(new URL('../../src/common/gc-by-bytes.ts', import.meta.url));
    const script = `const { bytesRead } = await import(${JSON.stringify(module)});
console.log('start');
bytesRead(${COLLECT_EVERY.minor - 1});
console.log('under the young mark');
bytesRead(1);
console.log('at the young mark');
bytesRead(${COLLECT_EVERY.major - COLLECT_EVERY.minor});
console.log('at the full mark');`;
    const { env, nodeFlags } = shebangSettings();
    const r = spawnSync(process.execPath, [...nodeFlags, '--trace-gc', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    // --trace-gc names a collection asked for through gc() "testing".
    const asked = (from: string, to: string) =>
      lines
        .slice(lines.indexOf(from) + 1, lines.indexOf(to))
        .filter((l) => l.includes('testing'))
        .map((l) => (/Scavenge/.test(l) ? 'minor' : /Mark-Compact/.test(l) ? 'major' : l));
    expect(asked('start', 'under the young mark')).toEqual([]);
    expect(asked('under the young mark', 'at the young mark')).toEqual(['minor']);
    expect(asked('at the young mark', 'at the full mark')).toEqual(['major']);
  });
});
