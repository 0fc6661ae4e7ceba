/**
 * The Redshift statements of the ledger, the run lease and the catalog and
 * load-error lookups, for golden.test.ts: each ledger function runs against a
 * warehouse that records what it is sent (and answers every query with one
 * empty row), so the golden files hold exactly what a Redshift run sends.
 */
import type pg from 'pg';
import { STAR_TABLES } from '../../src/common/datasets.ts';
import { BACKEND_PID_SQL, CANCEL_BACKEND_SQL, CURRENT_SCHEMA_SQL, DATABASE_CREATE_PRIVILEGE_SQL, SCHEMA_CREATE_PRIVILEGE_SQL, tablesPresentSql } from '../../src/dialect/catalog.ts';
import { redshift } from '../../src/dialect/redshift.ts';
import { LAST_COPY_COUNT_SQL, LOAD_ERROR_VIEWS, loadErrorsSql, probeViewSql } from '../../src/dialect/redshift-load-errors.ts';
import { TableNames } from '../../src/dialect/sql.ts';
import { ledgerCheck } from '../../src/check/ledger.ts';
import * as ledger from '../../src/ledger/index.ts';
import type { Warehouse } from '../../src/warehouse/connect.ts';

const names = new TableNames('dwh');

/** A Redshift warehouse that records every statement; `work` gets it, and what it sent is returned. */
async function sent(work: (wh: Warehouse, client: pg.PoolClient) => Promise<unknown>): Promise<string[]> {
  const out: string[] = [];
  const client = {
    query: async (sql: string) => (out.push(sql), { rows: [{}], rowCount: 1 }),
    on: () => client,
    off: () => client,
    release: () => undefined,
  };
  const pool = { query: client.query, connect: async () => client };
  await work({ names, dialect: redshift, pool, description: 'recorder', close: async () => undefined } as unknown as Warehouse, client as unknown as pg.PoolClient);
  return out;
}

export async function ledgerStatements(): Promise<Record<string, string[]>> {
  const shard = { index: 1, count: 3 };
  const runner = { host: 'etl-host', pid: 4242 };
  const counts = { objectsListed: 1, objectsLoaded: 1, objectsSkipped: 0, objectsFailed: 0, objectsPruned: 0, recordsStaged: 10, recordsRejected: 0 };
  const area = { name: `${ledger.SHARD_PARTS}1/3`, shard: '1/3', url: 's3://staging/tmp/sparkify-run-7-ab' };
  const lease = redshift.runLock;
  if (lease.kind !== 'lease') throw new Error('Redshift takes the run lock as a lease');
  const leaseTable = names.t(ledger.LEASE_TABLE);
  return {
    'ledger.sql': [
      // runs
      ...(await sent((wh) => ledger.startRun(wh, 'etl', runner))),
      ...(await sent((wh) => ledger.startRun(wh, 'etl', runner, shard))),
      ...(await sent((wh) => ledger.finishRun(wh, 7, 'ok', counts))),
      ledger.interruptedRun(names, 7)[0],
      ...(await sent((wh) => ledger.lastRuns(wh.pool, names, 10))),
      // loaded objects
      ...(await sent((wh) => ledger.loadedObjects(wh.pool, wh, ['events', 'songs']))),
      ...(await sent((wh) => ledger.loadedKeys(wh.pool, wh, 'events'))),
      ...(await sent((wh) => ledger.loadedObjectRows(wh.pool, names))),
      ...(await sent((wh) => ledger.stagedEventBytes(wh.pool, names))),
      ...(await sent((wh) => ledger.stagedRows(wh.pool, names))),
      ...(await sent((wh) => ledger.pruneObjects(wh, 'songs', ['song_data/A/A/A/TRAAAAW128F429D538.json']))),
      ...(await sent((wh) => ledger.forgetDatasets(wh, ['events', 'songs']))),
      // state
      ...(await sent((_, client) => ledger.requestFirstBuild(client, names))),
      ...ledger.clearDirtyStatements(names),
      ...(await sent((wh) => ledger.modelState(wh.pool, names))),
      ...(await sent((wh) => ledger.pendingModel(wh.pool, names))),
      ...ledger.recordStarCounts(names, { songplays: 6820, users: 97, songs: 71, artists: 69, time: 6813 }),
      ...(await sent((wh) => ledger.recordedStarCounts(names, wh.pool))),
      ledgerCheck(names).sql,
      ...(await sent((wh) => ledger.registerShardArea(wh, shard, area.url))),
      ...(await sent((wh) => ledger.pendingShardAreas(wh.pool, names))),
      ...(await sent((wh, client) => ledger.unregisterShardAreas(client, wh, [area]))),
      // rejects
      ...(await sent((wh) => ledger.findRejects(wh.pool, wh, { object: 'log_data/2018/11/2018-11-01-events.json', reason: 'must be an integer', limit: 20 }))),
      ...(await sent((wh) => ledger.rejectCounts(wh.pool, names))),
      ...(await sent((wh) => ledger.deleteRejectsBefore(wh.pool, names, new Date(0)))),
    ],
    'lock.sql': [lease.createTable(leaseTable), lease.lock(leaseTable), lease.read(leaseTable), lease.remove(leaseTable, 2), lease.take(leaseTable), lease.renew(leaseTable), lease.release(leaseTable)],
    'catalog.sql': [
      BACKEND_PID_SQL,
      CANCEL_BACKEND_SQL,
      CURRENT_SCHEMA_SQL,
      SCHEMA_CREATE_PRIVILEGE_SQL,
      DATABASE_CREATE_PRIVILEGE_SQL,
      tablesPresentSql(names, [ledger.LEDGER.objects, 'stg_events', 'songplays']),
      redshift.aclSql(names, STAR_TABLES),
      // Keys are informational on Redshift: nothing is read for them.
      ...(await sent((wh) => redshift.enforcedKeys(wh.pool, names))),
      ...(await sent((wh) => redshift.caseInsensitive(wh.pool))),
      ...LOAD_ERROR_VIEWS.map(([, view]) => probeViewSql(view)),
      loadErrorsSql('sys', { sessionId: 1073807491, since: '2026-11-26 01:05:00', file: 's3://udacity-dend/log_data/2018/11/2018-11-01-events.json' }).text,
      loadErrorsSql('sys', { fileLike: '%sparkify-run-7-ab/u1/%' }, 1).text,
      loadErrorsSql('stl', { queryId: 123456 }).text,
      loadErrorsSql('stl', { fileLike: '%sparkify-run-7-ab/u1/%' }, 1).text,
      LAST_COPY_COUNT_SQL,
    ],
  };
}
