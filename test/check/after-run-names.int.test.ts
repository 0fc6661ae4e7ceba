/**
 * The checks after a run read what that run changed: the double-encoded
 * names of staging are those of the events the run staged (a daily run does
 * not read every staged event again), while `sparkify check` reads them all.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase, SAMPLE_DIR } from '../support/services.ts';
import { json, runCli } from '../support/cli.ts';
import { MOJIBAKE_PATTERN } from '../../src/check/mojibake.ts';
import { checksAfterRun } from '../../src/check/index.ts';
import { withWarehouse } from '../support/in-process.ts';

const NAMES = 'names without double-encoded UTF-8';

describe('checks after a run', () => {
  it('count the double-encoded names of the events the run staged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparkify-after-run-names-'));
    cpSync(`${SAMPLE_DIR}log_data`, join(dir, 'log_data'), { recursive: true });
    const day = join(dir, 'log_data', '2018', '11', '2018-11-15-events.json');
    const later = join(dir, 'later.json');
    renameSync(day, later);
    const target = await createDatabase('after_run_names');
    const run = async () => {
      const r = await runCli(['run', '--target', target, '--songs', `${SAMPLE_DIR}song_data`, '--logs', join(dir, 'log_data'), '--json']);
      expect(r.code, r.stderr).toBe(0);
      return json(r);
    };
    const names = (s: Record<string, any>) => (s.checks as { name: string; detail: string }[]).find((c) => c.name === NAMES)?.detail ?? '';
    const distinct = async (where: string) => {
      const db = new pg.Client({ connectionString: target });
      await db.connect();
      try {
        const pattern = `'${MOJIBAKE_PATTERN.replace(/'/g, "''")}'`;
        const sql = (column: string) => `SELECT count(DISTINCT ${column}) AS n FROM stg_events WHERE ${column} ~ ${pattern} AND ${where}`;
        return Number((await db.query(sql('artist'))).rows[0].n) + Number((await db.query(sql('song'))).rows[0].n);
      } finally {
        await db.end();
      }
    };

    const first = await run();
    const staged = await distinct('TRUE');
    expect(staged).toBeGreaterThan(0);
    // Every staged event's names: read by the full build in a gap of its schedule, or by the check.
    const figure = (s: Record<string, any>, column: string) => Number(new RegExp(`stg_events\\.${column} (\\d+)`).exec(names(s))?.[1] ?? 0);
    expect(figure(first, 'artist') + figure(first, 'song')).toBe(staged);

    // Figures the build read beside its work are used when the run staged every event, and only then.
    const beside = { queries: {}, rows: { 'staging names': { n4: 7, e4: 'Read beside', n5: 0, e5: null } } };
    const after = async (runId: number) =>
      withWarehouse({ target }, async (wh) => (await checksAfterRun(wh, { runId, model: { mode: 'full', durationMs: 1 }, tables: first.tables }, wh.pool, beside)).find((c) => c.name === NAMES)!.detail);
    expect(await after(first.runId)).toContain('stg_events.artist 7 (e.g. "Read beside")');
    expect(await after(first.runId + 1)).not.toContain('Read beside');

    renameSync(later, day);
    const daily = await run();
    expect(daily.model.mode).toBe('incremental');
    const ofDay = await distinct(`source_key LIKE '%2018-11-15-events.json'`);
    expect(ofDay).toBeGreaterThan(0);
    expect(ofDay).toBeLessThan(await distinct('TRUE'));
    // Its figures: the day's distinct names in stg_events, plus the catalogue's and the users' (read whole).
    const artist = Number(/stg_events\.artist (\d+)/.exec(names(daily))?.[1] ?? 0);
    const song = Number(/stg_events\.song (\d+)/.exec(names(daily))?.[1] ?? 0);
    expect(artist + song).toBe(ofDay);
    expect(names(daily)).toContain('(stg_events: the events this run staged)');
  });
});
