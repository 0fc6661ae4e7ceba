/**
 * The checks an etl run ends with use the run's own figures: they give the
 * names and verdicts of `sparkify check`, and they fail when what the run
 * wrote (or what it reads from the tables) is wrong.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksAfterRun, runChecks } from '../../src/check/index.ts';
import { etl, withWarehouse } from '../support/in-process.ts';
import { createDatabase, SAMPLE_DIR } from '../support/services.ts';

describe('checks after a run', () => {
  let dir: string;
  const flags: Record<string, string> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sparkify-after-run-'));
    await cp(`${SAMPLE_DIR}log_data`, join(dir, 'log_data'), { recursive: true, filter: (src) => !src.endsWith('2018-11-30-events.json') });
    Object.assign(flags, { target: await createDatabase('after_run'), songs: `${SAMPLE_DIR}song_data`, logs: join(dir, 'log_data') });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const names = async () => (await withWarehouse(flags, (wh) => runChecks(wh))).map((r) => r.name).filter((n) => n !== 'row counts match the ledger');

  it('after a full build and after an incremental one: the checks of `sparkify check`, passing, with what the run wrote', async () => {
    const full = await etl(flags);
    expect(full.model?.mode).toBe('full');
    const afterFull = await withWarehouse(flags, (wh) => checksAfterRun(wh, full));
    expect(afterFull.map((r) => r.name)).toEqual(await names());
    expect(afterFull.filter((r) => !r.ok)).toEqual([]);
    expect(afterFull.find((r) => r.name === 'songplays.user_id in users')?.detail).toMatch(/^0 of \d+ songplays not in users$/);

    await cp(`${SAMPLE_DIR}log_data/2018/11/2018-11-30-events.json`, join(dir, 'log_data/2018/11/2018-11-30-events.json'));
    const incremental = await etl(flags);
    expect(incremental.model?.mode).toBe('incremental');
    expect(incremental.tables.songplays).toBe(6820);
    const checks = await withWarehouse(flags, (wh) => checksAfterRun(wh, incremental));
    expect(checks.filter((r) => !r.ok)).toEqual([]);
    const w = incremental.model!.written!;
    expect(w.rows).toBe(w.inserted);
    expect(w.rows).toBeGreaterThan(0);
    expect(checks.find((r) => r.name === 'songplays.start_time in time')?.detail).toBe(`0 values of start_time missing from time, in the ${w.rows} songplays this run wrote`);
    // The counts the run reports are the tables' own.
    const all = await withWarehouse(flags, (wh) => runChecks(wh));
    expect(all.find((r) => r.name === 'row counts match the ledger')).toMatchObject({ ok: true });
  });

  it('fail on what the run found wrong, and on what the tables hold after a full build', async () => {
    const summary = await etl(flags);
    const broken = { ...summary, model: { mode: 'incremental' as const, durationMs: 1, written: { rows: 5, inserted: 4, noUser: 1, noTime: 0, noSong: 0, noArtist: 2, duplicatedKeys: 0 } } };
    const failed = (await withWarehouse(flags, (wh) => checksAfterRun(wh, broken))).filter((r) => !r.ok).map((r) => r.name);
    expect(failed).toEqual(['songplays.user_id in users', 'songplays.artist_id in artists', 'staging reconciles with songplays']);

    const full = await etl({ ...flags, fullRefresh: true } as never);
    await withWarehouse(flags, (wh) => wh.pool.query(`DELETE FROM ${wh.names.t('users')} WHERE user_id = (SELECT MIN(user_id) FROM ${wh.names.t('users')})`));
    const afterDelete = await withWarehouse(flags, (wh) => checksAfterRun(wh, full));
    expect(afterDelete.filter((r) => !r.ok).map((r) => r.name)).toEqual(['songplays.user_id in users']);
  });
});
