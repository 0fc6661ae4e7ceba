/**
 * One writing command at a time per warehouse schema: a second one says who
 * holds the lock and exits 1 — create-tables (with or without --reset), etl,
 * run and demo alike — and a run never reports success for rows that are not there.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, SAMPLE_DIR } from './support/services.ts';
import { json, runCli } from './support/cli.ts';
import { testConfig, withWarehouse } from './support/in-process.ts';
import { acquireRunLock } from '../src/warehouse/lock.ts';
import { createTables } from '../src/warehouse/tables.ts';
import { runEtl } from '../src/run/etl.ts';
import { silentLogger } from '../src/common/log.ts';
import { postgresBackend } from '../src/stage/postgres-backend.ts';

const HELD = /^error: another sparkify run holds the lock on schema public: loader [^\n]+, connected since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/m;

describe('run lock', () => {
  it('refuses a second run while one holds the lock, and lets it run after', async () => {
    const url = await createDatabase('lock');
    const args = ['etl', '--target', url, '--logs', `${SAMPLE_DIR}log_data`];
    await withWarehouse({ target: url }, async (wh) => {
      await createTables(wh);
      const lock = await acquireRunLock(wh, { host: 'etl-host', pid: 4242 });
      try {
        const r = await runCli(args);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(HELD);
      } finally {
        await lock.release();
      }
    });
    expect((await runCli(args)).code).toBe(0);
  });

  it('is taken by every command that writes: create-tables --reset cannot drop the tables under a load (issue #15, item 2)', async () => {
    const url = await createDatabase('lock_writers');
    const logs = ['--logs', `${SAMPLE_DIR}log_data`];
    expect((await runCli(['run', '--target', url, ...logs])).code).toBe(0);
    // A demo sample that is already there (demo generates one only when it is missing).
    const sample = mkdtempSync(join(tmpdir(), 'sparkify-lock-demo-'));
    cpSync(join(SAMPLE_DIR, 'log_data', '2018', '11', '2018-11-01-events.json'), join(sample, 'log_data', '2018-11-01-events.json'), { recursive: true });
    cpSync(join(SAMPLE_DIR, 'song_data', 'A', 'A', 'A'), join(sample, 'song_data'), { recursive: true });
    writeFileSync(join(sample, '.complete'), '{}');
    await withWarehouse({ target: url }, async (wh) => {
      const lock = await acquireRunLock(wh, { host: 'etl-host', pid: 4242 });
      try {
        for (const args of [['create-tables', '--reset', '--yes'], ['create-tables'], ['run', ...logs], ['etl', ...logs], ['demo', '--sample', sample]]) {
          const r = await runCli([...args, '--target', url]);
          expect(r.code, args.join(' ')).toBe(1);
          expect(r.stderr, args.join(' ')).toMatch(HELD);
        }
      } finally {
        await lock.release();
      }
    });
    // Nothing was dropped or loaded meanwhile.
    const after = await runCli(['etl', '--target', url, ...logs, '--json']);
    expect(json(after)).toMatchObject({ status: 'ok', objects: { loaded: 0 }, tables: { stg_events: 8056, songplays: 6820 } });
  });

  it('lets shards of one load hold it together, and keeps out an exclusive holder, a second run of a shard and shards of another count', async () => {
    const url = await createDatabase('lock_shards');
    await withWarehouse({ target: url }, async (wh) => {
      const runner = { host: 'etl-host', pid: 4242 };
      const [a, b] = [await acquireRunLock(wh, runner, { shard: { index: 0, count: 2 } }), await acquireRunLock(wh, runner, { shard: { index: 1, count: 2 } })];
      const holder = (i: number) => `shard ${i}/2: loader [^,]+, connected since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC`;
      await expect(acquireRunLock(wh, runner)).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringMatching(new RegExp(`^2 sparkify shard runs hold the lock on schema public: ${holder(0)}; ${holder(1)}$`)) });
      await expect(acquireRunLock(wh, runner, { shard: { index: 1, count: 2 } })).rejects.toMatchObject({ message: expect.stringMatching(new RegExp(`^shard 1 of schema public is already being loaded: ${holder(1)}$`)) });
      await expect(acquireRunLock(wh, runner, { shard: { index: 2, count: 3 } })).rejects.toMatchObject({ message: expect.stringMatching(/^shards of another count are loading schema public: shard 0\/2: .*; shard 1\/2: .*; this run is shard 2\/3$/) });
      await a.release();
      await b.release();
      const exclusive = await acquireRunLock(wh, runner);
      await expect(acquireRunLock(wh, runner, { shard: { index: 0, count: 2 } })).rejects.toMatchObject({ message: expect.stringMatching(/^another sparkify run holds the lock on schema public: loader [^,]+, connected since/) });
      await exclusive.release();
      // Everything was released: a shard takes it again.
      await (await acquireRunLock(wh, runner, { shard: { index: 0, count: 2 } })).release();
    });
  });

  it('fails a run whose own etl_runs row vanished under it (tables reset by hand) instead of reporting success', async () => {
    const url = await createDatabase('lock_vanished');
    const config = testConfig({ target: url, logs: `${SAMPLE_DIR}log_data` });
    await withWarehouse({ target: url }, async (wh) => {
      await createTables(wh);
      const run = runEtl(wh, config, 'etl', {
        log: silentLogger,
        backend: (w, runId, _s3, neverLoaded) => {
          const b = postgresBackend(w, runId, neverLoaded);
          // What a DROP or reset by hand does to the run's bookkeeping in the middle of the load.
          return { ...b, commitBatch: async (items) => (await w.pool.query('DELETE FROM etl_runs'), b.commitBatch(items)) };
        },
      });
      await expect(run).rejects.toMatchObject({ code: 'SCHEMA', message: expect.stringMatching(/^run \d+ is no longer in etl_runs: the tables were dropped or reset while it ran/) });
    });
  });
});
