/** Creating, dropping and counting the loader's tables. */
import type { Warehouse } from './connect.ts';
import { inTransaction } from './connect.ts';
import { WarehouseError, pgFields } from '../common/errors.ts';
import { STAGING_TABLE, STAGING_TABLES, STAR_TABLES, type StarTable } from '../common/datasets.ts';
import type { Queryable } from '../dialect/carry-over.ts';
import type { TableNames } from '../dialect/sql.ts';

/** Tables whose row counts a summary reports (SPEC §8 `tables`). */
export const REPORTED_TABLES = [...STAGING_TABLES, ...STAR_TABLES] as const;

/** Creates every table that does not exist yet; with `reset`, drops them all first. */
export async function createTables(wh: Warehouse, options: { reset?: boolean } = {}): Promise<void> {
  const statements = [...(options.reset ? wh.dialect.dropTables(wh.names) : []), ...wh.dialect.createTables(wh.names)];
  await inTransaction(wh.pool, async (client) => {
    for (const sql of statements) {
      try {
        await client.query(sql);
      } catch (err) {
        throw new WarehouseError('SQL', `create-tables failed: ${(err as Error).message}`, { cause: err, sqlState: pgFields(err)?.code, hint: sql.split('\n')[0].slice(0, 100) });
      }
    }
    // A new (or reset) schema starts with a full build of its star schema.
    await client.query(`INSERT INTO ${wh.names.t('etl_state')} (name, value) SELECT 'full_rebuild_pending', 'true' WHERE NOT EXISTS (SELECT 1 FROM ${wh.names.t('etl_objects')})
      AND NOT EXISTS (SELECT 1 FROM ${wh.names.t('etl_state')} WHERE name = 'full_rebuild_pending')`);
  });
}

/** True when the loader's tables exist in the schema. */
export async function tablesExist(wh: Warehouse): Promise<boolean> {
  const schema = wh.names.schema;
  const { rows } = await wh.pool.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema ? '$1' : 'current_schema()'} AND table_name IN ('etl_objects', 'etl_runs', 'etl_rejects', 'stg_events', 'songplays')`,
    schema ? [schema] : [],
  );
  return rows.length >= 5;
}

/** Throws a clear error when the tables have not been created. */
export async function requireTables(wh: Warehouse): Promise<void> {
  const schema = wh.names.schema;
  if (!(await tablesExist(wh))) {
    throw new WarehouseError('SCHEMA', `the loader's tables do not exist in ${schema ? `schema ${schema}` : 'the default schema'} of ${wh.description}`, {
      hint: 'run `sparkify create-tables` first, or use `sparkify run`',
    });
  }
}

/** The etl_state entry that holds a star table's row count (written by the model step). */
const countKey = (table: StarTable) => `rows:${table}`;

/**
 * Row count of every reported table, from what the loader already knows: a
 * staging table holds the rows its objects' etl_objects rows say (both are
 * written in one transaction), and the model step records each star table's
 * count when it changes it. A count not recorded yet is counted.
 * `sparkify check` compares these with COUNT(*).
 */
export async function tableCounts(wh: Warehouse, db: Queryable = wh.pool): Promise<Record<string, number>> {
  const [staged, recorded] = await Promise.all([
    db.query(`SELECT dataset, SUM(rows_staged) AS n FROM ${wh.names.t('etl_objects')} GROUP BY dataset`),
    recordedStarCounts(wh.names, db),
  ]);
  const counts: Record<string, number> = { ...recorded };
  for (const [dataset, table] of Object.entries(STAGING_TABLE)) counts[table] = Number(staged.rows.find((r) => r.dataset === dataset)?.n ?? 0);
  Object.assign(counts, await countRows(wh, STAR_TABLES.filter((t) => recorded[t] === undefined), db));
  return Object.fromEntries(REPORTED_TABLES.map((t) => [t, counts[t]]));
}

/** COUNT(*) of `tables` (default: every reported table). */
export async function countRows(wh: Warehouse, tables: readonly string[] = REPORTED_TABLES, db: Queryable = wh.pool): Promise<Record<string, number>> {
  if (tables.length === 0) return {};
  const parts = tables.map((t) => `SELECT '${t}' AS name, COUNT(*) AS n FROM ${wh.names.t(t)}`);
  const { rows } = await db.query(parts.join(' UNION ALL '));
  return Object.fromEntries(tables.map((t) => [t, Number(rows.find((r) => r.name === t)?.n ?? 0)]));
}

/** Statements recording star table counts, for the model step's transaction. */
export function recordStarCounts(names: TableNames, counts: Partial<Record<StarTable, number>>): string[] {
  const tables = STAR_TABLES.filter((t) => counts[t] !== undefined);
  if (tables.length === 0) return [];
  return [
    `DELETE FROM ${names.t('etl_state')} WHERE name IN (${tables.map((t) => `'${countKey(t)}'`).join(', ')})`,
    `INSERT INTO ${names.t('etl_state')} (name, value) VALUES ${tables.map((t) => `('${countKey(t)}', '${Math.round(counts[t]!)}')`).join(', ')}`,
  ];
}

/** The recorded star table counts (missing ones are absent). */
export async function recordedStarCounts(names: TableNames, db: Queryable): Promise<Partial<Record<StarTable, number>>> {
  const { rows } = await db.query(`SELECT name, value FROM ${names.t('etl_state')} WHERE name IN (${STAR_TABLES.map((t) => `'${countKey(t)}'`).join(', ')})`);
  const out: Partial<Record<StarTable, number>> = {};
  for (const t of STAR_TABLES) {
    const v = rows.find((r) => r.name === countKey(t))?.value;
    if (v !== undefined && /^\d+$/.test(v)) out[t] = Number(v);
  }
  return out;
}
