/** RejectSpool: a unit's rejects as CSV rows of etl_rejects, in memory up to a limit, then in a temp file. */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { REJECT_COLUMNS } from '../../src/ledger/index.ts';
import { RejectSpool, type Reject } from '../../src/stage/reject-spool.ts';

const reject = (line: number, text = `{"bad":${line}}`): Reject => ({
  dataset: 'events',
  key: 'log_data/2018/11/a.json',
  line,
  field: 'ts',
  reason: `field "ts" is wrong on line ${line}`,
  raw: { text, escaped: false, truncated: false },
});

async function text(spool: RejectSpool): Promise<string> {
  const parts: string[] = [];
  for await (const c of spool.chunks()) parts.push(typeof c === 'string' ? c : c.toString('utf8'));
  return parts.join('');
}

/** This process's spill files (the spool names them after the pid). */
const spillFiles = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`sparkify-rejects-${process.pid}-`));

describe('RejectSpool', () => {
  it('writes one CSV row per reject in the column order of etl_rejects, NULL as the given token', async () => {
    const spool = new RejectSpool(7, '\\N', new Date(Date.UTC(2018, 10, 1, 12, 30, 0, 5)));
    spool.add({ ...reject(3, 'say "hi", then\nbye'), field: undefined });
    expect(REJECT_COLUMNS).toEqual(['run_id', 'dataset', 'source_key', 'source_line', 'field', 'reason', 'raw_text', 'raw_escaped', 'raw_truncated', 'rejected_at']);
    expect(await text(spool)).toBe('7,"events","log_data/2018/11/a.json",3,\\N,"field ""ts"" is wrong on line 3","say ""hi"", then\nbye",false,false,"2018-11-01 12:30:00.005"\n');
    expect(spool.count).toBe(1);
  });

  it('counts every reject and keeps the first five as samples', () => {
    const spool = new RejectSpool(1, '');
    for (let i = 1; i <= 8; i++) spool.add(reject(i));
    expect(spool.count).toBe(8);
    expect(spool.samples.map((r) => r.line)).toEqual([1, 2, 3, 4, 5]);
    spool.dispose();
  });

  it('spills to a temp file beyond 4 MiB and gives every row back in order, file first; dispose removes the file', async () => {
    const before = spillFiles();
    const spool = new RejectSpool(1, '');
    const big = 'x'.repeat(64 * 1024);
    const n = 70; // 70 × 64 KiB: more than the memory limit, so the first rows go to the file
    for (let i = 1; i <= n; i++) spool.add(reject(i, big));
    const spilled = spillFiles().filter((f) => !before.includes(f));
    expect(spilled).toHaveLength(1);
    spool.add(reject(n + 1)); // after the spill: in memory again
    const rows = (await text(spool)).split('\n').filter(Boolean);
    expect(rows).toHaveLength(n + 1);
    expect(rows.map((r) => Number(r.split(',')[3]))).toEqual(Array.from({ length: n + 1 }, (_, i) => i + 1));
    // Reading does not consume: a retried commit reads the same rows again.
    expect((await text(spool)).split('\n').filter(Boolean)).toHaveLength(n + 1);
    spool.dispose();
    expect(existsSync(`${tmpdir()}/${spilled[0]}`)).toBe(false);
    expect(await text(spool)).toBe('');
  });

  it('clear() drops everything, a spilled file too (a document that failed as a whole), and takes new rejects after', async () => {
    const before = spillFiles();
    const spool = new RejectSpool(1, '');
    for (let i = 1; i <= 70; i++) spool.add(reject(i, 'y'.repeat(64 * 1024)));
    expect(spillFiles().filter((f) => !before.includes(f))).toHaveLength(1);
    spool.clear();
    expect(spillFiles().filter((f) => !before.includes(f))).toHaveLength(0);
    expect([spool.count, spool.samples.length]).toEqual([0, 0]);
    spool.add(reject(1, 'whole document'));
    expect(spool.count).toBe(1);
    expect(await text(spool)).toContain('"whole document"');
    spool.dispose();
  });
});
