/**
 * The stand-in's own bookkeeping in the upstream database: schema
 * `standin_sys` with STL_LOAD_ERRORS (Redshift's columns and CHAR-padded
 * types), the SYS_LOAD_ERROR_DETAIL view and SYS_LOAD_HISTORY, the COPY
 * query-id sequence and the helper functions the SQL rewriter points at. Load
 * errors and history are written on a separate autocommit pool, so they
 * survive the client's ROLLBACK like system-log rows. [REDSHIFT-FACTS §3]
 */
import pg from 'pg';
import type { Cluster } from './cluster.ts';
import { SYS_SCHEMA } from './sql-rewrite.ts';
import { varcharTypeSql } from './varchar-type.ts';

const S = SYS_SCHEMA;

/** Redshift 1.0's version() string shape [GH:aws/amazon-redshift-python-driver#167]. */
export const REDSHIFT_VERSION = 'PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.0 (stand-in)';

/** SYS_LOAD_ERROR_DETAIL.query_id is not the STL query id [DG:r_STL_QUERY]; an offset keeps the two apart. */
export const SYS_QUERY_ID_OFFSET = 1_000_000_000;

const BOOTSTRAP = `
CREATE SCHEMA IF NOT EXISTS ${S};
CREATE TABLE IF NOT EXISTS ${S}.stl_load_errors (
  userid integer, slice integer, tbl integer, starttime timestamp, session integer, query integer,
  filename character(256), line_number bigint, colname character(127), type character(10), col_length character(10),
  position integer, raw_line character(1024), raw_field_value character(1024), err_code integer, err_reason character(100),
  is_partial integer, start_offset bigint
);
CREATE SEQUENCE IF NOT EXISTS ${S}.query_id START 1001;
CREATE OR REPLACE FUNCTION ${S}.pg_last_copy_id(v integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT v';
CREATE OR REPLACE FUNCTION ${S}.pg_last_copy_count(v bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT v';
CREATE OR REPLACE FUNCTION ${S}.version() RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT '${REDSHIFT_VERSION}'::text$$;
CREATE OR REPLACE FUNCTION ${S}.getdate() RETURNS timestamp LANGUAGE sql STABLE AS $$SELECT date_trunc('second', statement_timestamp() AT TIME ZONE 'UTC')$$;
CREATE OR REPLACE FUNCTION ${S}.sysdate() RETURNS timestamp LANGUAGE sql STABLE AS $$SELECT transaction_timestamp() AT TIME ZONE 'UTC'$$;
CREATE TABLE IF NOT EXISTS ${S}.sys_load_history (
  user_id integer, query_id bigint, transaction_id bigint, session_id integer, database_name text, status text, table_name text,
  start_time timestamp, end_time timestamp, duration bigint, data_source text, file_format text, loaded_rows bigint, loaded_bytes bigint,
  source_file_count integer, source_file_bytes bigint, file_count_scanned integer, file_bytes_scanned bigint, error_count bigint, copy_job_id bigint
);
CREATE OR REPLACE VIEW ${S}.sys_load_error_detail AS
  SELECT userid AS user_id, (query::bigint + ${SYS_QUERY_ID_OFFSET}) AS query_id, (-1)::bigint AS transaction_id,
         session AS session_id, current_database()::character(64) AS database_name, tbl AS table_id, starttime AS start_time,
         filename AS file_name, line_number, colname AS column_name, type AS column_type, col_length AS column_length,
         position, err_code AS error_code, err_reason::character(512) AS error_message
  FROM ${S}.stl_load_errors;
`;

/** DB_COLLATION() [DG:r_DB_COLLATION]: the collation the database was created with. */
const collation = (cluster: Cluster) =>
  `CREATE OR REPLACE FUNCTION ${S}.db_collation() RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT '${cluster.caseInsensitive ? 'case_insensitive' : 'case_sensitive'}'::text$$;`;

/** Creates the bookkeeping objects once per database; an advisory lock serialises concurrent stand-ins. */
export async function bootstrap(pool: pg.Pool, cluster: Cluster): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('${S}'))`);
    await client.query(BOOTSTRAP);
    await client.query(collation(cluster));
    await client.query(varcharTypeSql(cluster));
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

export async function nextQueryId(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ id: string }>(`SELECT nextval('${S}.query_id')::text AS id`);
  return Number(rows[0].id);
}

export interface LoadErrorRow {
  filename: string;
  lineNumber: number;
  colname: string;
  type: string;
  colLength: string;
  position: number;
  rawLine: string;
  rawFieldValue: string;
  errCode: number;
  errReason: string;
}

export interface LoadContext {
  userid: number;
  tbl: number;
  /** When the COPY started, by the database's clock (UTC, microseconds), as SYSDATE and GETDATE see time. */
  starttime: string;
  session: number;
  query: number;
}

/** Redshift shows multibyte characters of raw_line as '.'; everything is cut to the column width. */
const rawText = (s: string, width: number): string => [...s.replace(/[^\x00-\x7f]/gu, '.').replace(/\0/g, '.')].slice(0, width).join('');
const cut = (s: string, width: number): string => [...s.replace(/\0/g, '')].slice(0, width).join('');

const COLUMNS = 'userid, slice, tbl, starttime, session, query, filename, line_number, colname, type, col_length, position, raw_line, raw_field_value, err_code, err_reason, is_partial, start_offset';

/** Appends load-error rows on the autocommit pool. */
export async function recordLoadErrors(pool: pg.Pool, ctx: LoadContext, rows: LoadErrorRow[]): Promise<void> {
  const starttime = ctx.starttime;
  for (let at = 0; at < rows.length; at += 500) {
    const batch = rows.slice(at, at + 500);
    const values: unknown[] = [];
    const tuples = batch.map((r) => {
      const base = values.length;
      values.push(
        ctx.userid, 0, ctx.tbl, starttime, ctx.session, ctx.query,
        cut(r.filename, 256), r.lineNumber, cut(r.colname, 127), cut(r.type, 10), cut(r.colLength, 10), r.position,
        rawText(r.rawLine, 1024), rawText(r.rawFieldValue, 1024), r.errCode, cut(r.errReason, 100), 0, 0,
      );
      return `(${Array.from({ length: 18 }, (_, k) => `$${base + k + 1}`).join(', ')})`;
    });
    await pool.query(`INSERT INTO ${S}.stl_load_errors (${COLUMNS}) VALUES ${tuples.join(', ')}`, values);
  }
}

/** One row of SYS_LOAD_HISTORY for a COPY that ended [DG:SYS_LOAD_HISTORY]. */
export interface LoadHistoryRow {
  status: 'completed' | 'aborted';
  tableName: string;
  dataSource: string;
  fileFormat: string;
  loadedRows: number;
  fileCount: number;
  errorCount: number;
}

export async function recordLoadHistory(pool: pg.Pool, ctx: LoadContext, row: LoadHistoryRow): Promise<void> {
  await pool.query(
    `INSERT INTO ${S}.sys_load_history (user_id, query_id, transaction_id, session_id, database_name, status, table_name, start_time, end_time, duration,
       data_source, file_format, loaded_rows, loaded_bytes, source_file_count, source_file_bytes, file_count_scanned, file_bytes_scanned, error_count, copy_job_id)
     VALUES ($1, $2, -1, $3, current_database(), $4, $5, $6::timestamp, clock_timestamp() AT TIME ZONE 'UTC',
       (extract(epoch FROM (clock_timestamp() AT TIME ZONE 'UTC') - $6::timestamp) * 1000000)::bigint, $7, $8, $9, 0, $10, 0, $10, 0, $11, 0)`,
    [ctx.userid, ctx.query + SYS_QUERY_ID_OFFSET, ctx.session, row.status, row.tableName, ctx.starttime, row.dataSource, row.fileFormat, row.loadedRows, row.fileCount, row.errorCount],
  );
}
