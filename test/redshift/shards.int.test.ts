/**
 * Shards on Redshift, through the stand-in: shard runs write their units'
 * gzipped CSV parts and descriptors to the staging prefix and load nothing
 * into the warehouse (concurrent COPYs into one Redshift table only queue);
 * `sparkify model` loads every shard's parts with one COPY per table, then
 * builds the star schema. A shard killed mid-run leaves an incomplete unit
 * that is never loaded; its rerun discards what it left. The lease rows keep
 * the same rules as Postgres' advisory locks (test/shards.int.test.ts checks
 * the refusals of the CLI).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { json, runCli, s3Env, startCli } from '../support/cli.ts';
import { withWarehouse } from '../support/in-process.ts';
import { expectReferenceFigures, REFERENCE_COUNTS } from '../support/reference.ts';
import { s3Endpoint } from '../support/services.ts';
import { until } from '../support/wait.ts';
import { startS3FaultProxy } from '../faults/s3-fault-proxy.ts';
import { shardOfKey } from '../../src/common/shard.ts';
import { readStatus, renderStatus } from '../../src/cli/status.ts';
import { acquireRunLock } from '../../src/warehouse/lock.ts';
import { createTables } from '../../src/warehouse/tables.ts';
import { redshiftTestBed, type RedshiftTestBed } from './setup.ts';

let bed: RedshiftTestBed;
beforeAll(async () => {
  bed = await redshiftTestBed();
}, 60_000);
afterAll(async () => bed.close());

describe('shards on Redshift', () => {
  it('leave their parts in the staging prefix; the model loads them with one COPY per table; a killed shard is rerun alone', async () => {
    const c = await bed.cluster('rs_shards');
    await withWarehouse({ target: c.target, schema: 'dwh' }, (wh) => createTables(wh));
    const prefix = 'tmp/shards';
    const shardFlags = (i: number, endpoint = s3Endpoint()) => ['etl', ...bed.flags(c.target, prefix, 'stage', ['--shard', `${i}/3`]), '--s3-endpoint', endpoint];
    // Shard 1 reads through a proxy that lets one day object through, then stalls: it has written
    // its songs' unit (descriptor included) and is in the middle of its days' unit when it is killed.
    let logGets = 0;
    const proxy = await startS3FaultProxy({ upstream: s3Endpoint(), decide: (req) => (req.method === 'GET' && req.key.startsWith('log_data/') && ++logGets > 1 ? { kind: 'stall', at: 0.5 } : undefined) });
    try {
      const victim = startCli([...shardFlags(1, proxy.endpoint), '--concurrency', '1'], { env: s3Env() });
      const others = [0, 2].map((i) => runCli(shardFlags(i), { env: s3Env() }));
      const descriptors = async () => (await bed.stagedKeys(`${prefix}/`)).filter((k) => k.endsWith('/unit.json'));
      const victimUnits = async () => {
        const out: unknown[] = [];
        for (const key of await descriptors()) {
          const unit = JSON.parse(await (await bed.s3.send(new GetObjectCommand({ Bucket: bed.stagingBucket, Key: key }))).Body!.transformToString());
          if (unit.shard.index === 1) out.push(unit);
        }
        return out;
      };
      await until('shard 1 to write a unit', async () => logGets >= 2 && (await victimUnits()).length > 0, { timeoutMs: 60_000, everyMs: 50 }).catch(async () => {
        victim.kill();
        throw new Error(`shard 1 never wrote a unit: ${(await victim.done).stderr}`);
      });
      victim.kill();
      expect((await victim.done).signal).toBe('SIGKILL');
      for (const r of await Promise.all(others)) {
        expect(r.code, r.stderr).toBe(0);
        expect(json(r)).toMatchObject({ status: 'ok', objects: { failed: 0 } });
      }
    } finally {
      await proxy.close();
    }
    // Nothing reached the warehouse's tables yet; every shard registered its folder.
    expect(await c.query('SELECT COUNT(*)::int AS n FROM dwh.stg_events')).toEqual([{ n: 0 }]);
    expect((await c.query(`SELECT name FROM dwh.etl_state WHERE name LIKE 'shard-parts %' ORDER BY name`)).map((r) => r.name)).toEqual(['shard-parts 0/3', 'shard-parts 1/3', 'shard-parts 2/3']);
    const status = await withWarehouse({ target: c.target, schema: 'dwh' }, (wh) => readStatus(wh));
    expect(renderStatus(status)).toMatch(/^Staging: the parts of shards 0\/3, 1\/3, 2\/3 wait in the staging prefix; `sparkify model` \(or the next unsharded etl run\) loads them\.$/m);

    // Shard 1 alone, again: it stages its whole share (nothing of it reached etl_objects) and discards what the killed run left.
    const rerun = await runCli(shardFlags(1), { env: s3Env() });
    expect(rerun.code, rerun.stderr).toBe(0);
    const share = json(rerun).objects.listed;
    expect(json(rerun)).toMatchObject({ status: 'ok', objects: { loaded: share } });

    const model = await runCli(['model', '--target', c.target, '--schema', 'dwh', '--iam-role', 'arn:aws:iam::123456789012:role/sparkifyRedshiftRole', '--staging-prefix', `s3://${bed.stagingBucket}/${prefix}`, '--s3-endpoint', s3Endpoint(), '--s3-path-style', '--json'], { env: s3Env() });
    expect(model.code, model.stderr).toBe(0);
    expect(json(model)).toMatchObject({ status: 'ok', shardParts: { areas: 3, objects: 101, rows: 8127, rejects: 0 }, model: { mode: 'full' }, tables: REFERENCE_COUNTS });
    expect(model.stderr).toMatch(/loaded 101 object\(s\) the shards staged: 8127 rows, 0 rejects/);
    // One COPY per staging table, of the parts of all three shards (the stand-in keeps SYS_LOAD_HISTORY).
    const copies = await c.query<{ table_name: string; n: number; files: number }>(`SELECT table_name, COUNT(*)::int AS n, SUM(source_file_count)::int AS files FROM standin_sys.sys_load_history WHERE status = 'completed' GROUP BY 1 ORDER BY 1`);
    expect(copies.map((r) => [r.table_name, r.n])).toEqual([['stg_events', 1], ['stg_songs', 1]]);
    for (const r of copies) expect(r.files, r.table_name).toBeGreaterThanOrEqual(3);
    await expectReferenceFigures(c.upstream, 'dwh');
    expect(await c.query(`SELECT COUNT(*)::int AS n FROM dwh.etl_state WHERE name LIKE 'shard-parts %'`)).toEqual([{ n: 0 }]);
    expect(await bed.stagedKeys(`${prefix}/`)).toEqual([]);

    // A shard refreshes some days, and meets a new object whose one record is a reject; an
    // unsharded run that comes next loads the shard's parts, rejects included, before it plans
    // (or it would stage those objects again, and the older parts would win later).
    let extra = '';
    for (let n = 0; shardOfKey(extra, 3) !== 1; n++) extra = `log_data/2018/11/2018-11-30-extra-${n}.json`;
    const bad = '{"ts": "yesterday", "sessionId": 1, "itemInSession": 0, "page": "Home"}';
    await bed.s3.send(new PutObjectCommand({ Bucket: bed.dataBucket, Key: extra, Body: `${bad}\n` }));
    const refresh = await runCli([...shardFlags(1), '--full-refresh', '--since', '2018-11-01', '--until', '2018-11-30', '--max-errors', '1'], { env: s3Env() });
    expect(refresh.code, refresh.stderr).toBe(0);
    expect(json(refresh)).toMatchObject({ status: 'ok', records: { rejected: 1 } });
    const days = json(refresh).objects.loaded;
    expect(days).toBeGreaterThan(1);
    const next = await runCli(['etl', ...bed.flags(c.target, prefix, 'stage')], { env: s3Env() });
    expect(next.code, next.stderr).toBe(0);
    // The star schema is the sample's still (every check passed), with the one reject beside it.
    expect(json(next)).toMatchObject({ status: 'ok', shardParts: { areas: 1, objects: days, rejects: 1 }, objects: { loaded: 0, skipped: 102 }, model: { mode: 'incremental' }, tables: REFERENCE_COUNTS });
    expect(json(next).checks.every((check: { ok: boolean }) => check.ok)).toBe(true);
    expect(await c.query('SELECT source_key, source_line::int AS source_line, field, raw_text FROM dwh.etl_rejects')).toEqual([{ source_key: extra, source_line: 1, field: 'ts', raw_text: bad }]);
    expect(await bed.stagedKeys(`${prefix}/`)).toEqual([]);
  }, 180_000);

  it('lease rows: shards side by side, one run per shard, one count per load, nothing beside an exclusive holder', async () => {
    const c = await bed.cluster('rs_shard_leases');
    await withWarehouse({ target: c.target, schema: 'dwh' }, async (wh) => {
      await createTables(wh);
      const runner = (pid: number) => ({ host: 'other-host', pid });
      const [a, b] = [await acquireRunLock(wh, runner(1), { shard: { index: 0, count: 3 } }), await acquireRunLock(wh, runner(2), { shard: { index: 1, count: 3 } })];
      await expect(acquireRunLock(wh, runner(3), { shard: { index: 1, count: 3 } })).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringMatching(/^shard 1 of dwh is already being loaded: shard 1\/3: loader other-host:2, since/) });
      await expect(acquireRunLock(wh, runner(3), { shard: { index: 2, count: 4 } })).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringMatching(/^shards of another count are loading dwh: shard 0\/3: loader other-host:1.*; shard 1\/3: loader other-host:2.*; this run is shard 2\/4$/) });
      await expect(acquireRunLock(wh, runner(3))).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringMatching(/^2 sparkify shard runs hold the lock on dwh: shard 0\/3: loader other-host:1, .*; shard 1\/3: loader other-host:2, /) });
      await a.release();
      await b.release();
      const exclusive = await acquireRunLock(wh, runner(3));
      await expect(acquireRunLock(wh, runner(4), { shard: { index: 0, count: 3 } })).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringMatching(/^another sparkify run holds the lock on dwh: loader other-host:3, /) });
      await exclusive.release();
      expect(await c.query('SELECT COUNT(*)::int AS n FROM dwh.etl_lock')).toEqual([{ n: 0 }]);
    });
  }, 60_000);
});
