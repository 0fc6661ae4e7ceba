/** A folder as a source: symbolic links are followed, never silently skipped (issue #15, item 10). */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localSource } from '../../src/extract/local-source.ts';
import { loadedVersion, type SourceObject } from '../../src/extract/source.ts';

async function list(dir: string): Promise<SourceObject[]> {
  const out: SourceObject[] = [];
  for await (const o of localSource('events', dir).list()) out.push(o);
  return out;
}

describe('local folder source', () => {
  it('follows links to files and folders, reads a folder reached twice once, and lists a dangling link so that reading it fails', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sparkify-links-'));
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(join(elsewhere, 'more'), { recursive: true });
    writeFileSync(join(elsewhere, 'day2.json'), '{"a":2}\n');
    writeFileSync(join(elsewhere, 'more', 'day3.json'), '{"a":3}\n');
    const logs = join(root, 'log_data');
    mkdirSync(logs);
    writeFileSync(join(logs, 'day1.json'), '{"a":1}\n');
    symlinkSync(join(elsewhere, 'day2.json'), join(logs, 'day2.json'));
    symlinkSync(join(elsewhere, 'more'), join(logs, 'more'));
    symlinkSync(logs, join(logs, 'loop')); // a link back up: listed once, no endless walk
    symlinkSync(join(root, 'nowhere.json'), join(logs, 'gone.json'));

    const objects = await list(logs);
    expect(objects.map((o) => o.key)).toEqual(['log_data/day1.json', 'log_data/day2.json', 'log_data/gone.json', 'log_data/more/day3.json']);
    expect(objects.find((o) => o.key === 'log_data/day2.json')!.size).toBe(8);
    const source = localSource('events', logs);
    for await (const o of source.list()) {
      if (o.key === 'log_data/gone.json') await expect(source.open(o)).rejects.toMatchObject({ code: 'SOURCE', key: 'log_data/gone.json' });
      else {
        const opened = await source.open(o);
        let text = '';
        for await (const chunk of opened.body) text += chunk;
        expect(text).toMatch(/^\{"a":\d\}\n$/);
        // The ledger records the file as it was opened.
        expect(opened.version).toMatchObject({ size: o.size, fingerprint: o.fingerprint });
      }
    }
  });

  it('reads a file overwritten since the listing as it is now, and says which version that is', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sparkify-overwritten-'));
    const file = join(root, 'day.json');
    writeFileSync(file, '{"a":1}\n');
    utimesSync(file, new Date('2024-01-01T00:00:00Z'), new Date('2024-01-01T00:00:00Z'));
    const source = localSource('events', root);
    const [listed] = await list(root);
    writeFileSync(file, '{"a":1}\n{"a":2}\n');
    const opened = await source.open(listed);
    let text = '';
    for await (const chunk of opened.body) text += chunk;
    expect(text).toBe('{"a":1}\n{"a":2}\n');
    const loaded = loadedVersion(listed, opened);
    expect(loaded).toMatchObject({ key: listed.key, size: 16 });
    expect(loaded.fingerprint).not.toBe(listed.fingerprint);
  });

  it('reads small files at once and streams big ones in chunks, each exactly as opened', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sparkify-sizes-'));
    const line = '{"a":"' + 'x'.repeat(90) + '"}\n';
    writeFileSync(join(root, 'big.json'), line.repeat(4000)); // ~390 KB: several read chunks
    writeFileSync(join(root, 'grown.json'), line);
    writeFileSync(join(root, 'small.json'), line.repeat(3));
    const source = localSource('events', root);
    const listed = await list(root);
    // Listed small, then grown past what is read at once: read whole, as opened.
    writeFileSync(join(root, 'grown.json'), line.repeat(2000));
    const read = async (o: SourceObject) => {
      const opened = await source.open(o);
      const chunks: Buffer[] = [];
      for await (const chunk of opened.body) chunks.push(chunk as Buffer);
      return { chunks, text: Buffer.concat(chunks).toString(), version: opened.version };
    };
    const [big, grown, small] = await Promise.all(listed.map(read));
    expect(big.text).toBe(line.repeat(4000));
    expect(big.chunks.length).toBeGreaterThan(1);
    expect(small.text).toBe(line.repeat(3));
    expect(small.chunks).toHaveLength(1);
    expect(small.version).toMatchObject({ size: listed[2].size, fingerprint: listed[2].fingerprint });
    expect(grown.text).toBe(line.repeat(2000));
    expect(grown.version?.size).toBe(line.length * 2000);
  });
});
