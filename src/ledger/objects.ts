/**
 * The ledger of loaded objects (etl_objects) and what loads change for the
 * model step (etl_dirty_*). A load transaction takes the tables (lockForLoad),
 * forgets what an object had staged, remembering what its old rows touched,
 * stages the new rows, then records the objects and marks them dirty: each
 * object is either fully loaded or not at all (SPEC §6). Plain SQL with bind
 * parameters, valid on Postgres and Redshift.
 */
import type pg from 'pg';
import { STAGING_TABLE, type Dataset } from '../common/datasets.ts';
import type { Queryable } from '../dialect/carry-over.ts';
import type { Dialect, TableNames } from '../dialect/index.ts';
import { sqlTimestamp } from '../dialect/sql.ts';
import type { SourceObject } from '../extract/source.ts';
import { inTransaction, type Warehouse } from '../warehouse/connect.ts';
import { requestFullRebuild } from './state.ts';
import { DIRTY_ROWS, LEDGER, LOAD_TABLES } from './names.ts';

/** Where the ledger is: the schema's names and the warehouse's dialect. */
export interface Ledger {
  names: TableNames;
  dialect: Dialect;
}

export interface BookkeepingContext extends Ledger {
  /**
   * Keys of objects that had no etl_objects row when the run planned its
   * load: they have no staged rows (rows are only committed with their
   * manifest row), so a first load skips forgetting them. A key leaves the set
   * on its first attempt, since that attempt may commit even if its caller
   * never hears back: a retry then forgets whatever it did.
   */
  neverLoaded?: Set<string>;
}

/** An object a load staged: its version, rows and rejects. */
export interface RecordedObject {
  object: SourceObject;
  rows: number;
  rejects: number;
  format: string | undefined;
}

/** What the ledger knows of a loaded object, for planning the next load. */
export interface LoadedObject {
  key: string;
  dataset: Dataset;
  fingerprint: string;
}

/** Keys per statement: keeps parameter lists well under every protocol limit. */
const KEYS_PER_STATEMENT = 500;

/** The first statements of a load transaction: the dialect's table locks (Redshift), in their fixed order. */
export async function lockForLoad(client: Pick<pg.ClientBase, 'query'>, ctx: Ledger): Promise<void> {
  for (const sql of ctx.dialect.lockTables(LOAD_TABLES.map((t) => ctx.names.t(t)))) await client.query(sql);
}

/** Removes everything staged for these objects, remembering what their rows touched. */
export async function forgetObjects(client: Pick<pg.ClientBase, 'query'>, ctx: BookkeepingContext, dataset: Dataset, keys: readonly string[]): Promise<void> {
  const { names: n } = ctx;
  const fresh = ctx.neverLoaded;
  const known = fresh ? keys.filter((k) => !fresh.delete(k)) : keys;
  for (const chunk of chunks(known, KEYS_PER_STATEMENT)) {
    const list = placeholders(ctx.dialect, chunk.length, 1);
    if (dataset === 'events') {
      await client.query(`INSERT INTO ${n.t(LEDGER.dirtyEvents)} (session_id, item_in_session, user_id) SELECT session_id, item_in_session, user_id FROM ${n.t('stg_events')} WHERE source_key IN (${list})`, chunk);
    } else {
      await client.query(`INSERT INTO ${n.t(LEDGER.dirtySongs)} (song_id, artist_id, title, artist_name, duration) SELECT song_id, artist_id, title, artist_name, duration FROM ${n.t('stg_songs')} WHERE source_key IN (${list})`, chunk);
    }
    for (const table of [STAGING_TABLE[dataset], LEDGER.rejects, LEDGER.objects, LEDGER.dirtyObjects]) {
      await client.query(`DELETE FROM ${n.t(table)} WHERE source_key IN (${list})`, chunk);
    }
  }
}

/** Writes the ledger rows of loaded objects and marks them for the model step. */
export async function recordObjects(client: Pick<pg.ClientBase, 'query'>, ctx: Ledger, runId: number, objects: readonly RecordedObject[], at = new Date()): Promise<void> {
  const { names: n } = ctx;
  const loadedAt = sqlTimestamp(at);
  for (const chunk of chunks(objects, KEYS_PER_STATEMENT)) {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (const o of chunk) {
      const base = values.length;
      values.push(o.object.key, o.object.dataset, o.object.fingerprint, o.object.etag ?? null, o.object.size, o.object.lastModified !== undefined ? sqlTimestamp(new Date(o.object.lastModified)) : null, o.format ?? null, o.rows, o.rejects, loadedAt, runId);
      rows.push(`(${placeholders(ctx.dialect, 11, base + 1)})`);
    }
    await client.query(
      `INSERT INTO ${n.t(LEDGER.objects)} (source_key, dataset, fingerprint, etag, size, last_modified, format, rows_staged, rejects, loaded_at, run_id) VALUES ${rows.join(', ')}`,
      values,
    );
    const dirty: unknown[] = [];
    const dirtyRows = chunk.map((o, i) => {
      dirty.push(o.object.dataset, o.object.key);
      return `(${placeholders(ctx.dialect, 2, i * 2 + 1)})`;
    });
    await client.query(`INSERT INTO ${n.t(LEDGER.dirtyObjects)} (dataset, source_key) VALUES ${dirtyRows.join(', ')}`, dirty);
  }
}

/** The objects the ledger holds of these data sets: what a run plans against. */
export async function loadedObjects(db: Queryable, ctx: Ledger, datasets: readonly Dataset[]): Promise<Map<string, LoadedObject>> {
  const { rows } = await db.query(`SELECT source_key, dataset, fingerprint FROM ${ctx.names.t(LEDGER.objects)} WHERE dataset IN (${placeholders(ctx.dialect, datasets.length, 1)})`, [...datasets]);
  return new Map(rows.map((r) => [r.source_key as string, { key: r.source_key as string, dataset: r.dataset as Dataset, fingerprint: r.fingerprint as string }]));
}

/** Every loaded object: its key, rows, rejects and when it was loaded (`sparkify status`). */
export async function loadedObjectRows(db: Queryable, names: TableNames): Promise<{ dataset: Dataset; key: string; rows: number; rejects: number; loadedAt: unknown }[]> {
  const { rows } = await db.query(`SELECT dataset, source_key, rows_staged, rejects, loaded_at FROM ${names.t(LEDGER.objects)}`);
  return rows.map((r) => ({ dataset: r.dataset, key: r.source_key, rows: Number(r.rows_staged), rejects: Number(r.rejects), loadedAt: r.loaded_at }));
}

/** Keys of the loaded objects of a data set. */
export async function loadedKeys(db: Queryable, ctx: Ledger, dataset: Dataset): Promise<Set<string>> {
  const { rows } = await db.query(`SELECT source_key FROM ${ctx.names.t(LEDGER.objects)} WHERE dataset = ${ctx.dialect.param(1)}`, [dataset]);
  return new Set(rows.map((r) => String(r.source_key)));
}

/** Bytes of the loaded event objects. */
export async function stagedEventBytes(db: Queryable, names: TableNames): Promise<number> {
  const { rows } = await db.query(`SELECT COALESCE(SUM(size), 0) AS bytes FROM ${names.t(LEDGER.objects)} WHERE dataset = 'events'`);
  return Number(rows[0].bytes);
}

/** Rows staged per data set, as the ledger records them (written with the rows, in one transaction). */
export async function stagedRows(db: Queryable, names: TableNames): Promise<Record<Dataset, number>> {
  const { rows } = await db.query(`SELECT dataset, SUM(rows_staged) AS n FROM ${names.t(LEDGER.objects)} GROUP BY dataset`);
  const of = (dataset: Dataset) => Number(rows.find((r) => r.dataset === dataset)?.n ?? 0);
  return { events: of('events'), songs: of('songs') };
}

/**
 * --full-refresh: forgets every staged object of these data sets (a run
 * given only --logs keeps the songs) in one load transaction, and asks the
 * next model step to rebuild everything from what is loaded again.
 */
export async function forgetDatasets(wh: Warehouse, datasets: readonly Dataset[]): Promise<void> {
  const n = wh.names;
  await inTransaction(wh.pool, async (client) => {
    await lockForLoad(client, wh);
    for (const dataset of datasets) {
      await client.query(wh.dialect.emptyTable(n.t(STAGING_TABLE[dataset])));
      await client.query(wh.dialect.emptyTable(n.t(DIRTY_ROWS[dataset])));
      for (const t of [LEDGER.objects, LEDGER.rejects, LEDGER.dirtyObjects]) await client.query(`DELETE FROM ${n.t(t)} WHERE dataset = $1`, [dataset]);
    }
    await requestFullRebuild(client, n);
  });
}

/** Removes the staged rows of objects no longer in the source (--prune), one data set per load transaction. */
export async function pruneObjects(wh: Warehouse, dataset: Dataset, keys: readonly string[]): Promise<void> {
  await inTransaction(wh.pool, async (client) => {
    await lockForLoad(client, wh);
    await forgetObjects(client, { names: wh.names, dialect: wh.dialect }, dataset, keys);
  });
}

function placeholders(d: Dialect, count: number, first: number): string {
  return Array.from({ length: count }, (_, i) => d.param(first + i)).join(', ');
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
