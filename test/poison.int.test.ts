/**
 * A poison record must not freeze the star schema (issue #15, item 1): a ts
 * that passes as int64 but no TIMESTAMP can hold is a reject at validation,
 * and a model step that still fails on a staged value (loaded by an older
 * version) names the object and line behind it.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase } from './support/services.ts';
import { json, runCli } from './support/cli.ts';

const E = (i: number, ts: string) => `{"ts":${ts},"sessionId":1,"itemInSession":${i},"page":"NextSong","userId":"5","level":"free"}`;

function logs(lines: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'sparkify-poison-'));
  mkdirSync(join(root, 'log_data'));
  writeFileSync(join(root, 'log_data', '2018-11-01-events.json'), `${lines.join('\n')}\n`);
  return join(root, 'log_data');
}

describe('poison records', () => {
  it('rejects a ts past the timestamp range at validation, and the model step and every later run go on', async () => {
    const url = await createDatabase('poison');
    const dir = logs([E(0, '1541030400000'), E(1, '9223372036854775807'), E(2, '9.3e15'), E(3, '-62135596800001'), E(4, '253402300799999')]);
    const r = await runCli(['run', '--target', url, '--logs', dir, '--json']);
    expect(r.code, r.stderr).toBe(3);
    expect(json(r)).toMatchObject({ status: 'rejects', records: { staged: 2, rejected: 3 }, tables: { songplays: 2, time: 2 } });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const rejects = (await client.query(`SELECT source_line::int AS line, field, reason FROM etl_rejects ORDER BY source_line`)).rows;
      expect(rejects.map((x) => [x.line, x.field])).toEqual([
        [2, 'ts'],
        [3, 'ts'],
        [4, 'ts'],
      ]);
      expect(rejects[0].reason).toBe('field "ts" 9223372036854775807 is not a time in years 0001–9999 UTC (-62135596800000 ≤ ts ≤ 253402300799999), so it cannot be a start_time');
      expect((await client.query(`SELECT max(start_time)::text AS t FROM songplays`)).rows[0].t).toBe('9999-12-31 23:59:59.999');
    } finally {
      await client.end();
    }
    const again = await runCli(['etl', '--target', url, '--logs', dir, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(json(again)).toMatchObject({ status: 'ok', objects: { loaded: 0 }, tables: { songplays: 2 } });
  });

  it('names the object and line when a staged value breaks the model step', async () => {
    const url = await createDatabase('poison_staged');
    const dir = logs([E(0, '1541030400000'), E(1, '1541030400001')]);
    expect((await runCli(['run', '--target', url, '--logs', dir])).code).toBe(0);
    // What an older loader (one without the ts rule) left in staging.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`UPDATE stg_events SET ts = 9223372036854775807 WHERE source_line = 2`);
      await client.query(`INSERT INTO etl_dirty_objects (dataset, source_key) SELECT dataset, source_key FROM etl_objects`);
    } finally {
      await client.end();
    }
    // A new day arrives: it is staged, then the model step fails.
    writeFileSync(join(dir, '2018-11-02-events.json'), `${E(7, '1541116800000')}\n${E(8, '1541116800001')}\n`);
    const failed = await runCli(['etl', '--target', url, '--logs', dir, '--json']);
    expect(failed.code).toBe(1);
    // --json on failure says what was done before it (issue #15, item 9).
    expect(json(failed)).toMatchObject({ status: 'failed', objects: { listed: 2, loaded: 1, skipped: 1, failed: 0 }, records: { staged: 2, rejected: 0 }, tables: { stg_events: 4 } });
    expect(json(failed).durationMs).toBeGreaterThan(0);
    expect(json(failed).error).toMatch(/model step .*out of range: stg_events row from log_data\/2018-11-01-events\.json line 2 has field "ts" 9223372036854775807, which is not a time in years 0001–9999/);
    expect(failed.stderr).toMatch(/sparkify etl --full-refresh/);
    // Reloaded from its source (and validated), the object replaces the bad row and the star schema catches up.
    const fixed = await runCli(['etl', '--target', url, '--logs', dir, '--full-refresh', '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(json(fixed)).toMatchObject({ records: { staged: 4, rejected: 0 }, tables: { songplays: 4 } });
  });
});
