/** Creating, dropping and counting the loader's tables. */
import type { Warehouse } from './connect.ts';
import { inTransaction } from './connect.ts';
import { WarehouseError, pgFields } from '../common/errors.ts';
import { DATA_TABLES, STAGING_TABLE, STAR_TABLES } from '../common/datasets.ts';
import type { Queryable } from '../dialect/carry-over.ts';
import { tablesPresentSql } from '../dialect/catalog.ts';
import { LEDGER, recordedStarCounts, requestFirstBuild, stagedRows } from '../ledger/index.ts';

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
    await requestFirstBuild(client, wh.names);
  });
}

/** True when the loader's tables exist in the schema. */
export async function tablesExist(wh: Warehouse): Promise<boolean> {
  const schema = wh.names.schema;
  const { rows } = await wh.pool.query(tablesPresentSql(wh.names, EXISTENCE_PROBES), schema ? [schema] : []);
  return rows.length >= EXISTENCE_PROBES.length;
}

/** Tables whose presence says create-tables has run. */
const EXISTENCE_PROBES = [LEDGER.objects, LEDGER.runs, LEDGER.rejects, 'stg_events', 'songplays'];

/** Throws a clear error when the tables have not been created. */
export async function requireTables(wh: Warehouse): Promise<void> {
  const schema = wh.names.schema;
  if (!(await tablesExist(wh))) {
    throw new WarehouseError('SCHEMA', `the loader's tables do not exist in ${schema ? `schema ${schema}` : 'the default schema'} of ${wh.description}`, {
      hint: 'run `sparkify create-tables` first, or use `sparkify run`',
    });
  }
}

/**
 * Row count of every reported table, from what the loader already knows: a
 * staging table holds the rows its objects' ledger rows say (both are
 * written in one transaction), and the model step records each star table's
 * count when it changes it. A count not recorded yet is counted.
 * `sparkify check` compares these with COUNT(*).
 */
export async function tableCounts(wh: Warehouse, db: Queryable = wh.pool): Promise<Record<string, number>> {
  const [staged, recorded] = await Promise.all([stagedRows(db, wh.names), recordedStarCounts(wh.names, db)]);
  const counts: Record<string, number> = { ...recorded };
  for (const [dataset, table] of Object.entries(STAGING_TABLE)) counts[table] = staged[dataset as keyof typeof staged];
  Object.assign(counts, await countRows(wh, STAR_TABLES.filter((t) => recorded[t] === undefined), db));
  return Object.fromEntries(DATA_TABLES.map((t) => [t, counts[t]]));
}

/** COUNT(*) of `tables` (default: every reported table). */
export async function countRows(wh: Warehouse, tables: readonly string[] = DATA_TABLES, db: Queryable = wh.pool): Promise<Record<string, number>> {
  if (tables.length === 0) return {};
  const parts = tables.map((t) => `SELECT '${t}' AS name, COUNT(*) AS n FROM ${wh.names.t(t)}`);
  const { rows } = await db.query(parts.join(' UNION ALL '));
  return Object.fromEntries(tables.map((t) => [t, Number(rows.find((r) => r.name === t)?.n ?? 0)]));
}
