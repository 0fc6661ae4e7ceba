/** Creating, dropping and counting the loader's tables. */
import type { Warehouse } from './connect.ts';
import { inTransaction } from './connect.ts';
import { WarehouseError, pgFields } from '../errors.ts';

/** Tables whose row counts a summary reports (SPEC §8 `tables`). */
export const REPORTED_TABLES = ['stg_events', 'stg_songs', 'songplays', 'users', 'songs', 'artists', 'time'] as const;

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

/** Throws a clear error when the tables have not been created. */
export async function requireTables(wh: Warehouse): Promise<void> {
  const schema = wh.names.schema;
  const { rows } = await wh.pool.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema ? '$1' : 'current_schema()'} AND table_name IN ('etl_objects', 'etl_runs', 'stg_events', 'songplays')`,
    schema ? [schema] : [],
  );
  if (rows.length < 4) {
    throw new WarehouseError('SCHEMA', `the loader's tables do not exist in ${schema ? `schema ${schema}` : 'the default schema'} of ${wh.description}`, {
      hint: 'run `sparkify create-tables` first, or use `sparkify run`',
    });
  }
}

/** Row count of every reported table. */
export async function tableCounts(wh: Warehouse): Promise<Record<string, number>> {
  const parts = REPORTED_TABLES.map((t) => `SELECT '${t}' AS name, COUNT(*) AS n FROM ${wh.names.t(t)}`);
  const { rows } = await wh.pool.query(parts.join(' UNION ALL '));
  const counts: Record<string, number> = {};
  for (const t of REPORTED_TABLES) counts[t] = Number(rows.find((r) => r.name === t)?.n ?? 0);
  return counts;
}
