/**
 * The ledger on a real Postgres: what each statement writes and reads, in
 * the tables create-tables made — runs, loaded objects and their dirty sets,
 * the pending full build, star counts, shard folders, rejects.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { SourceObject } from '../../src/extract/source.ts';
import * as ledger from '../../src/ledger/index.ts';
import { inTransaction, type Warehouse } from '../../src/warehouse/connect.ts';
import { createTables } from '../../src/warehouse/tables.ts';
import { withWarehouse } from '../support/in-process.ts';
import { createDatabase } from '../support/services.ts';

let target: string;
beforeAll(async () => {
  target = await createDatabase('ledger');
});

/** A fresh schema of the loader's tables, for one test. */
const inSchema = <T>(schema: string, work: (wh: Warehouse) => Promise<T>) =>
  withWarehouse({ target, schema }, async (wh) => {
    await createTables(wh, { reset: true });
    return work(wh);
  });

const object = (key: string, dataset: 'events' | 'songs' = 'events', size = 100): SourceObject => ({ key, dataset, size, fingerprint: `"${key}"`, etag: `"${key}"` });
const counts = { objectsListed: 2, objectsLoaded: 2, objectsSkipped: 0, objectsFailed: 0, objectsPruned: 0, recordsStaged: 3, recordsRejected: 1, modelMode: 'full' };
const runner = { host: 'etl-host', pid: 4242 };

describe('the ledger', () => {
  it('records runs: a new run marks those left running as crashed, except the other shards of its load', async () => {
    await inSchema('ledger_runs', async (wh) => {
      const first = await ledger.startRun(wh, 'etl', runner);
      const shard0 = await ledger.startRun(wh, 'etl', runner, { index: 0, count: 2 });
      expect(shard0).toBeGreaterThan(first);
      const shard1 = await ledger.startRun(wh, 'etl', { ...runner, pid: 4343 }, { index: 1, count: 2 });
      await ledger.finishRun(wh, shard1, 'rejects', counts, 'one record rejected');
      await wh.pool.query(...ledger.interruptedRun(wh.names, shard0));
      const runs = await ledger.lastRuns(wh.pool, wh.names, 10);
      expect(runs.map((r) => [r.runId, r.command, r.status])).toEqual([
        [shard1, 'etl --shard 1/2', 'rejects'],
        [shard0, 'etl --shard 0/2', 'interrupted'],
        [first, 'etl', 'crashed'],
      ]);
      expect(runs[0]).toMatchObject({ loaded: 2, staged: 3, rejected: 1, model: 'full', error: 'one record rejected' });
      expect(await ledger.lastRuns(wh.pool, wh.names, 1)).toHaveLength(1);
    });
  });

  it('refuses to finish a run whose row is gone, by code', async () => {
    await inSchema('ledger_gone', async (wh) => {
      const id = await ledger.startRun(wh, 'etl', runner);
      await wh.pool.query(`DELETE FROM ${wh.names.t(ledger.LEDGER.runs)}`);
      await expect(ledger.finishRun(wh, id, 'ok', counts)).rejects.toMatchObject({ code: 'SCHEMA', message: expect.stringMatching(new RegExp(`^run ${id} is no longer in ${ledger.LEDGER.runs}`)) });
    });
  });

  it('records loaded objects, forgets them with what their rows touched, and prunes and wipes by data set', async () => {
    await inSchema('ledger_objects', async (wh) => {
      const n = wh.names;
      const a = object('log_data/a.json', 'events', 100);
      const b = object('log_data/b.json', 'events', 50);
      const s = object('song_data/s.json', 'songs', 7);
      await inTransaction(wh.pool, async (client) => {
        await ledger.lockForLoad(client, wh);
        await client.query(`INSERT INTO ${n.t('stg_events')} (page, item_in_session, session_id, ts, user_id, source_key, source_line) VALUES ('NextSong', 1, 9, 0, '7', $1, 1)`, [a.key]);
        await ledger.recordObjects(client, wh, 1, [
          { object: a, rows: 1, rejects: 0, format: 'ndjson' },
          { object: b, rows: 0, rejects: 2, format: 'document' },
          { object: s, rows: 0, rejects: 0, format: undefined },
        ]);
      });
      expect(await ledger.loadedObjects(wh.pool, wh, ['events'])).toEqual(new Map([a, b].map((o) => [o.key, { key: o.key, dataset: 'events', fingerprint: o.fingerprint }])));
      expect(await ledger.loadedKeys(wh.pool, wh, 'songs')).toEqual(new Set([s.key]));
      expect(await ledger.stagedRows(wh.pool, n)).toEqual({ events: 1, songs: 0 });
      expect(await ledger.stagedEventBytes(wh.pool, n)).toBe(150);
      expect((await ledger.loadedObjectRows(wh.pool, n)).find((o) => o.key === b.key)).toMatchObject({ dataset: 'events', rows: 0, rejects: 2 });
      expect(await ledger.modelState(wh.pool, n)).toMatchObject({ dirtyObjects: 3, dirtySongObjects: 1, dirtyEvents: 0, objects: 3, stagedRows: 1, dirtyRows: 1 });

      // Forgetting an object remembers its staged rows' events; a key never loaded is skipped once.
      const neverLoaded = new Set([b.key]);
      await inTransaction(wh.pool, (client) => ledger.forgetObjects(client, { names: n, dialect: wh.dialect, neverLoaded }, 'events', [a.key, b.key]));
      expect(neverLoaded.size).toBe(0);
      const dirty = await wh.pool.query(`SELECT session_id, item_in_session, user_id FROM ${n.t(ledger.LEDGER.dirtyEvents)}`);
      expect(dirty.rows).toEqual([{ session_id: '9', item_in_session: 1, user_id: '7' }]);
      expect(await ledger.loadedKeys(wh.pool, wh, 'events')).toEqual(new Set([b.key]));

      await ledger.pruneObjects(wh, 'events', [b.key]);
      expect(await ledger.loadedKeys(wh.pool, wh, 'events')).toEqual(new Set());
      await ledger.forgetDatasets(wh, ['songs']);
      expect(await ledger.loadedKeys(wh.pool, wh, 'songs')).toEqual(new Set());
      expect(await ledger.modelState(wh.pool, n)).toMatchObject({ pending: true, dirtyObjects: 0, dirtyEvents: 1, objects: 0 });
    });
  });

  it('asks for a full build of a new schema once, and forgets it with the dirty sets when the model step clears them', async () => {
    await inSchema('ledger_state', async (wh) => {
      const n = wh.names;
      // create-tables asked for it; asking again changes nothing.
      await ledger.requestFirstBuild(wh.pool, n);
      expect(await ledger.pendingModel(wh.pool, n)).toEqual({ objects: 0, rebuild: true });
      const pending = await wh.pool.query(`SELECT COUNT(*)::int AS n FROM ${n.t(ledger.LEDGER.state)} WHERE name = $1`, [ledger.FULL_REBUILD_PENDING]);
      expect(pending.rows[0].n).toBe(1);
      await inTransaction(wh.pool, (client) => ledger.recordObjects(client, wh, 1, [{ object: object('log_data/x.json'), rows: 0, rejects: 0, format: 'ndjson' }]));
      expect(await ledger.pendingModel(wh.pool, n)).toEqual({ objects: 1, rebuild: true });
      for (const sql of ledger.clearDirtyStatements(n)) await wh.pool.query(sql);
      expect(await ledger.pendingModel(wh.pool, n)).toEqual({ objects: 0, rebuild: false });
      // Objects are loaded: a schema that has them needs no first build.
      await ledger.requestFirstBuild(wh.pool, n);
      expect((await ledger.modelState(wh.pool, n)).pending).toBe(false);
      await inTransaction(wh.pool, (client) => ledger.requestFullRebuild(client, n));
      await inTransaction(wh.pool, (client) => ledger.requestFullRebuild(client, n));
      expect(await ledger.pendingModel(wh.pool, n)).toEqual({ objects: 0, rebuild: true });
    });
  });

  it('records star table counts, replacing the earlier ones, and reads them back', async () => {
    await inSchema('ledger_counts', async (wh) => {
      const n = wh.names;
      expect(await ledger.recordedStarCounts(n, wh.pool)).toEqual({});
      for (const sql of ledger.recordStarCounts(n, { songplays: 6820, users: 97 })) await wh.pool.query(sql);
      for (const sql of ledger.recordStarCounts(n, { users: 98.4, time: 6813 })) await wh.pool.query(sql);
      expect(ledger.recordStarCounts(n, {})).toEqual([]);
      expect(await ledger.recordedStarCounts(n, wh.pool)).toEqual({ songplays: 6820, users: 98, time: 6813 });
      const { rows } = await wh.pool.query(`SELECT ${ledger.ledgerCountSql(n, 'users')} AS users, ${ledger.ledgerCountSql(n, 'songs')} AS songs, ${ledger.ledgerCountSql(n, 'stg_events')} AS events`);
      expect(rows[0]).toEqual({ users: '98', songs: null, events: '0' });
    });
  });

  it('registers shard folders, discarding what earlier runs of the shard and shards of another count left', async () => {
    await inSchema('ledger_shards', async (wh) => {
      const url = (run: number) => `s3://staging/tmp/sparkify-run-${run}-ab`;
      expect(await ledger.registerShardArea(wh, { index: 0, count: 3 }, url(1))).toEqual([]);
      expect(await ledger.registerShardArea(wh, { index: 1, count: 2 }, url(2))).toEqual([url(1)]);
      expect(await ledger.registerShardArea(wh, { index: 0, count: 2 }, url(3))).toEqual([]);
      expect(await ledger.registerShardArea(wh, { index: 0, count: 2 }, url(4))).toEqual([url(3)]);
      const areas = await ledger.pendingShardAreas(wh.pool, wh.names);
      expect(areas).toEqual([
        { name: `${ledger.SHARD_PARTS}0/2`, shard: '0/2', url: url(4) },
        { name: `${ledger.SHARD_PARTS}1/2`, shard: '1/2', url: url(2) },
      ]);
      await inTransaction(wh.pool, (client) => ledger.unregisterShardAreas(client, wh, areas.slice(0, 1)));
      expect((await ledger.pendingShardAreas(wh.pool, wh.names)).map((a) => a.shard)).toEqual(['1/2']);
      await expect(ledger.registerShardArea(wh, { index: 0, count: 2 }, `s3://staging/${'x'.repeat(250)}`)).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/is longer than the 256 bytes/) });
    });
  });

  it('finds rejects by object and reason, counts them by reason, and deletes old ones', async () => {
    await inSchema('ledger_rejects', async (wh) => {
      const t = wh.names.t(ledger.LEDGER.rejects);
      const insert = (key: string, reason: string, at: string) =>
        wh.pool.query(`INSERT INTO ${t} (run_id, dataset, source_key, source_line, field, reason, raw_text, raw_escaped, raw_truncated, rejected_at) VALUES (1, 'events', $1, 1, 'ts', $2, '{}', false, false, $3)`, [key, reason, at]);
      await insert('log_data/a.json', 'field "ts" must be an integer', '2026-01-01 00:00:00');
      await insert('log_data/a.json', 'field "ts" must be an integer', '2026-01-02 00:00:00');
      await insert('log_data/ab.json', 'malformed JSON', '2026-01-03 00:00:00');
      const all = await ledger.findRejects(wh.pool, wh);
      expect(all.total).toBe(3);
      expect(all.rejects.map((r) => r.rejectedAt)).toEqual(['2026-01-03 00:00:00', '2026-01-02 00:00:00', '2026-01-01 00:00:00']);
      expect(all.rejects[0]).toMatchObject({ runId: 1, dataset: 'events', sourceKey: 'log_data/ab.json', sourceLine: 1, field: 'ts', raw: '{}', rawEscaped: false, rawTruncated: false });
      expect((await ledger.findRejects(wh.pool, wh, { object: 'a.json' })).total).toBe(2);
      expect((await ledger.findRejects(wh.pool, wh, { object: 'log_data/a', reason: 'MALFORMED' })).total).toBe(1);
      expect((await ledger.findRejects(wh.pool, wh, { limit: 1 })).rejects).toHaveLength(1);
      expect(await ledger.rejectCounts(wh.pool, wh.names)).toEqual(
        expect.arrayContaining([
          { dataset: 'events', field: 'ts', reason: 'field "ts" must be an integer', count: 2 },
          { dataset: 'events', field: 'ts', reason: 'malformed JSON', count: 1 },
        ]),
      );
      expect(await ledger.deleteRejectsBefore(wh.pool, wh.names, new Date('2026-01-02T12:00:00Z'))).toBe(2);
      expect((await ledger.findRejects(wh.pool, wh)).total).toBe(1);
    });
  });
});
