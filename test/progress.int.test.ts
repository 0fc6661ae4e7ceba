import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import { createDatabase, SAMPLE_DIR } from './support/services.ts';

describe('progress of the built CLI on a pipe', () => {
  it('prints plain progress lines on stderr and no terminal control codes', async () => {
    const url = await createDatabase('progress');
    // From a folder without a dwh.cfg: only these flags count.
    const r = await runCli(['run', '--target', url, '--songs', `${SAMPLE_DIR}song_data`, '--logs', `${SAMPLE_DIR}log_data`], { cwd: tmpdir() });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('progress: '));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^progress: \d+\/101 objects, \d+ records \(\d+ rejected\), \d+\.\d MB of \d+\.\d MB, \d+ records\/s, ETA \d+(?:s|m\d\ds|h\d\dm)$/);
    // The last line is the final state: every object, every record of the sample (8056 events + 71 songs).
    const total = lines.at(-1)!.match(/^progress: (\d+)\/101 objects, (\d+) records \((\d+) rejected\), ([\d.]+) MB of ([\d.]+) MB/)!;
    expect(total.slice(1, 4)).toEqual(['101', '8127', '0']);
    expect(total[4]).toBe(total[5]);
    // eslint-disable-next-line no-control-regex
    expect(r.stderr + r.stdout).not.toMatch(/\x1b\[|\r/);
  });
});
