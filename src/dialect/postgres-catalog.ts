/** What the loader reads from Postgres' own catalog: enforced keys, who holds a lock, which table a file is, other loaders' sessions. */
import type { Queryable } from './carry-over.ts';
import type { TableNames } from './sql.ts';

/**
 * Keys Postgres guarantees: unique indexes whose columns are all NOT NULL, as
 * `table(col,col)`. Read from the catalog, not assumed: a dropped constraint
 * (or a table made by hand) is counted like on Redshift.
 */
export async function enforcedKeys(db: Queryable, names: TableNames): Promise<Set<string>> {
  const { rows } = await db.query(
    `SELECT c.relname AS table_name,
            (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS columns,
            (SELECT bool_and(a.attnotnull) FROM unnest(i.indkey) k(attnum)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS not_null
     FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace s ON s.oid = c.relnamespace
     WHERE i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
       AND s.nspname = ${names.schema ? '$1' : 'current_schema()'}`,
    names.schema ? [names.schema] : [],
  );
  return new Set(rows.filter((r) => r.not_null).map((r) => `${r.table_name}(${r.columns})`));
}

/**
 * The session holding a lock that blocks writes (or reads, for ACCESS
 * EXCLUSIVE) on a table of schema $1 (NULL: the default schema), other than
 * this loader's, the one on table $2 first.
 */
export const LOCK_HOLDER_SQL = `SELECT c.relname AS rel, l.mode, a.pid, a.application_name AS app, a.usename AS usr, host(a.client_addr) AS addr,
              to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS since, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 120) AS query
       FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.granted AND l.mode NOT IN ('AccessShareLock', 'RowShareLock', 'RowExclusiveLock')
         AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = COALESCE($1, current_schema()))
         AND a.application_name IS DISTINCT FROM current_setting('application_name')
       ORDER BY (c.relname = $2) DESC, a.xact_start
       LIMIT 1`;

/** The table (`rel`) whose data file is file node $2 of tablespace $1 (0: the default). */
export const FILE_RELATION_SQL = 'SELECT pg_filenode_relation($1, $2)::text AS rel';

/** Sessions of other sparkify processes than the one named $1 (`n`): the embedded server stays up while another run uses it. */
export const OTHER_LOADER_SESSIONS_SQL = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'sparkify %' AND pid <> pg_backend_pid() AND application_name <> $1`;
