/**
 * etl_state, the ledger's named values, and the dirty sets the model step
 * works from: whether the next model step must build everything, how far
 * staging is ahead of the star schema, each star table's row count, and the
 * folders shard runs left their parts in (Redshift).
 */
import type pg from 'pg';
import { STAGING_TABLE, STAR_TABLES, type DataTable, type Dataset, type StarTable } from '../common/datasets.ts';
import { ConfigError } from '../common/errors.ts';
import { parseShard, shardName, type Shard } from '../common/shard.ts';
import type { Queryable } from '../dialect/carry-over.ts';
import type { TableNames } from '../dialect/sql.ts';
import { inTransaction, type Warehouse } from '../warehouse/connect.ts';
import { countKey, DIRTY_TABLES, FULL_REBUILD_PENDING, LEDGER, SHARD_PARTS } from './names.ts';
import type { Ledger } from './objects.ts';

type Client = Pick<pg.ClientBase, 'query'>;

/** A new (or reset) schema starts with a full build of its star schema: asks for one unless objects are loaded already. */
export async function requestFirstBuild(client: Client, names: TableNames): Promise<void> {
  const state = names.t(LEDGER.state);
  await client.query(`INSERT INTO ${state} (name, value) SELECT '${FULL_REBUILD_PENDING}', 'true' WHERE NOT EXISTS (SELECT 1 FROM ${names.t(LEDGER.objects)})
      AND NOT EXISTS (SELECT 1 FROM ${state} WHERE name = '${FULL_REBUILD_PENDING}')`);
}

/** Asks the next model step to build everything (a full refresh forgot what was staged). */
export async function requestFullRebuild(client: Client, names: TableNames): Promise<void> {
  await client.query(`DELETE FROM ${names.t(LEDGER.state)} WHERE name = '${FULL_REBUILD_PENDING}'`);
  await client.query(`INSERT INTO ${names.t(LEDGER.state)} (name, value) VALUES ('${FULL_REBUILD_PENDING}', 'true')`);
}

/** Statements forgetting what the model step has now applied: the dirty sets and a pending full build (run in its transaction). */
export function clearDirtyStatements(names: TableNames): string[] {
  return [...DIRTY_TABLES.map((t) => `DELETE FROM ${names.t(t)}`), `DELETE FROM ${names.t(LEDGER.state)} WHERE name = '${FULL_REBUILD_PENDING}'`];
}

/** What the model step decides its mode by: how much changed since the last step, against what is staged. */
export interface ModelState {
  /** A full build was asked for. */
  pending: boolean;
  dirtyObjects: number;
  dirtySongObjects: number;
  /** Rows of replaced objects, remembered before they were deleted. */
  dirtyEvents: number;
  dirtySongs: number;
  objects: number;
  stagedRows: number;
  /** Rows of the objects loaded since the last step. */
  dirtyRows: number;
}

export async function modelState(db: Queryable, names: TableNames): Promise<ModelState> {
  const t = (table: string) => names.t(table);
  const { rows } = await db.query(
    `SELECT
       (SELECT COUNT(*) FROM ${t(LEDGER.state)} WHERE name = '${FULL_REBUILD_PENDING}') AS pending,
       (SELECT COUNT(*) FROM ${t(LEDGER.dirtyObjects)}) AS dirty_objects,
       (SELECT COUNT(*) FROM ${t(LEDGER.dirtyObjects)} WHERE dataset = 'songs') AS dirty_song_objects,
       (SELECT COUNT(*) FROM ${t(LEDGER.dirtyEvents)}) AS dirty_events,
       (SELECT COUNT(*) FROM ${t(LEDGER.dirtySongs)}) AS dirty_songs,
       (SELECT COUNT(*) FROM ${t(LEDGER.objects)}) AS objects,
       (SELECT COALESCE(SUM(rows_staged), 0) FROM ${t(LEDGER.objects)}) AS staged_rows,
       (SELECT COALESCE(SUM(o.rows_staged), 0) FROM ${t(LEDGER.objects)} o WHERE o.source_key IN (SELECT source_key FROM ${t(LEDGER.dirtyObjects)})) AS dirty_rows`,
  );
  const s = rows[0];
  return {
    pending: Number(s.pending) > 0,
    dirtyObjects: Number(s.dirty_objects),
    dirtySongObjects: Number(s.dirty_song_objects),
    dirtyEvents: Number(s.dirty_events),
    dirtySongs: Number(s.dirty_songs),
    objects: Number(s.objects),
    stagedRows: Number(s.staged_rows),
    dirtyRows: Number(s.dirty_rows),
  };
}

/** How far staging is ahead of the star schema: rows in the dirty sets, and whether a full build is pending (`sparkify status`). */
export async function pendingModel(db: Queryable, names: TableNames): Promise<{ objects: number; rebuild: boolean }> {
  const t = (table: string) => names.t(table);
  const { rows } = await db.query(
    `SELECT ${DIRTY_TABLES.map((d) => `(SELECT COUNT(*) FROM ${t(d)})`).join(' + ')} AS dirty,
            (SELECT COUNT(*) FROM ${t(LEDGER.state)} WHERE name = '${FULL_REBUILD_PENDING}') AS rebuild`,
  );
  return { objects: Number(rows[0].dirty), rebuild: Number(rows[0].rebuild) > 0 };
}

/** Statements recording star table counts, for the model step's transaction. */
export function recordStarCounts(names: TableNames, counts: Partial<Record<StarTable, number>>): string[] {
  const tables = STAR_TABLES.filter((t) => counts[t] !== undefined);
  if (tables.length === 0) return [];
  return [
    `DELETE FROM ${names.t(LEDGER.state)} WHERE name IN (${tables.map((t) => `'${countKey(t)}'`).join(', ')})`,
    `INSERT INTO ${names.t(LEDGER.state)} (name, value) VALUES ${tables.map((t) => `('${countKey(t)}', '${Math.round(counts[t]!)}')`).join(', ')}`,
  ];
}

/** The recorded star table counts (missing ones are absent). */
export async function recordedStarCounts(names: TableNames, db: Queryable): Promise<Partial<Record<StarTable, number>>> {
  const { rows } = await db.query(`SELECT name, value FROM ${names.t(LEDGER.state)} WHERE name IN (${STAR_TABLES.map((t) => `'${countKey(t)}'`).join(', ')})`);
  const out: Partial<Record<StarTable, number>> = {};
  for (const t of STAR_TABLES) {
    const v = rows.find((r) => r.name === countKey(t))?.value;
    if (v !== undefined && /^\d+$/.test(v)) out[t] = Number(v);
  }
  return out;
}

/**
 * A one-row expression: the rows the ledger says `table` holds — the staged
 * rows of its loaded objects for a staging table, the count the model step
 * recorded for a star table (NULL before the first model step).
 */
export function ledgerCountSql(names: TableNames, table: DataTable): string {
  const dataset = (Object.keys(STAGING_TABLE) as Dataset[]).find((d) => STAGING_TABLE[d] === table);
  if (dataset) return `(SELECT COALESCE(SUM(rows_staged), 0) FROM ${names.t(LEDGER.objects)} WHERE dataset = '${dataset}')`;
  return `(SELECT MAX(value) FROM ${names.t(LEDGER.state)} WHERE name = '${countKey(table as StarTable)}')`;
}

/** A shard's folder of staged parts, as etl_state names it. */
export interface ShardArea {
  /** `shard-parts 1/3` */
  name: string;
  /** `1/3` */
  shard: string;
  url: string;
}

/** etl_state.value is a VARCHAR(256) on Redshift. */
const SHARD_AREA_MAX_BYTES = 256;

/**
 * Registers `url` as the folder of `shard`'s parts, discarding the folders
 * that earlier runs of this shard, or shards of another count, registered
 * (none of them is running: the run lock says so). Returns their URLs, for
 * the caller to delete.
 */
export async function registerShardArea(wh: Warehouse, shard: Shard, url: string): Promise<string[]> {
  if (Buffer.byteLength(url) > SHARD_AREA_MAX_BYTES) {
    throw new ConfigError(`the staging folder ${url} is longer than the ${SHARD_AREA_MAX_BYTES} bytes ${LEDGER.state} can hold for a shard`, { hint: 'use a shorter staging prefix (--staging-prefix, [S3] STAGING_PREFIX)' });
  }
  const table = wh.names.t(LEDGER.state);
  const name = `${SHARD_PARTS}${shardName(shard)}`;
  return inTransaction(wh.pool, async (client) => {
    // Shards register side by side: on Redshift they queue on the table instead of conflicting.
    for (const sql of wh.dialect.lockTables([table])) await client.query(sql);
    const { rows } = await client.query(`SELECT name, value FROM ${table} WHERE name LIKE $1`, [`${SHARD_PARTS}%`]);
    const stale = rows.filter((r) => {
      const other = parseShard(String(r.name).slice(SHARD_PARTS.length), LEDGER.state);
      return typeof other === 'string' || other.index === shard.index || other.count !== shard.count;
    });
    const names = [...new Set([name, ...stale.map((r) => String(r.name))])];
    await client.query(`DELETE FROM ${table} WHERE name IN (${names.map((_, i) => wh.dialect.param(i + 1)).join(', ')})`, names);
    await client.query(`INSERT INTO ${table} (name, value) VALUES ($1, $2)`, [name, url]);
    return stale.map((r) => String(r.value));
  });
}

/** The shard folders waiting for the coordinator, by name. */
export async function pendingShardAreas(db: Queryable, names: TableNames): Promise<ShardArea[]> {
  const { rows } = await db.query(`SELECT name, value FROM ${names.t(LEDGER.state)} WHERE name LIKE $1 ORDER BY name`, [`${SHARD_PARTS}%`]);
  return rows.map((r) => ({ name: String(r.name), shard: String(r.name).slice(SHARD_PARTS.length), url: String(r.value) }));
}

/** Forgets shard folders once their parts are loaded (in the loading transaction). */
export async function unregisterShardAreas(client: Client, ctx: Ledger, areas: readonly ShardArea[]): Promise<void> {
  const names = areas.map((a) => a.name);
  await client.query(`DELETE FROM ${ctx.names.t(LEDGER.state)} WHERE name IN (${names.map((_, i) => ctx.dialect.param(i + 1)).join(', ')})`, names);
}
