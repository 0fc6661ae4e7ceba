/**
 * What a Redshift COPY did, read back: the rows it loaded, its query id, and
 * its load errors. The errors of a COPY are not in the client's error
 * (REDSHIFT-FACTS §3) but in a system view:
 *
 * - SYS_LOAD_ERROR_DETAIL, on provisioned clusters (concurrency-scaling
 *   clusters included) and on Serverless, which has no STL views at all
 *   [DG:SYS_LOAD_ERROR_DETAIL, DG:r_STL_LOAD_ERRORS, MG:serverless-monitoring];
 * - STL_LOAD_ERRORS, only where the SYS views are absent (older clusters).
 *
 * SYS rows are found by the session that ran the COPY, its start time and its
 * file (SYS_LOAD_ERROR_DETAIL.query_id is not the id pg_last_copy_id() returns
 * [DG:r_STL_QUERY]). Every lookup runs on its own pooled connection, outside
 * the load's transaction: Redshift has no savepoints, so a lookup that failed
 * inside the transaction would abort the load.
 */
import type pg from 'pg';

/** Rows the session's last COPY loaded (column `n`) [DG:PG_LAST_COPY_COUNT]. */
export const LAST_COPY_COUNT = 'SELECT pg_last_copy_count() AS n';

/** Query id of the session's last COPY (column `id`), which names its STL_LOAD_ERRORS rows [DG:PG_LAST_COPY_ID]. */
export const LAST_COPY_ID = 'SELECT pg_last_copy_id() AS id';

/** Where this warehouse keeps load errors. */
export type LoadErrorSource = 'sys' | 'stl' | 'none';

/** The first of SYS_LOAD_ERROR_DETAIL, STL_LOAD_ERRORS that the connection can read. */
export async function findLoadErrorSource(pool: Pick<pg.Pool, 'query'>): Promise<LoadErrorSource> {
  for (const [source, view] of [['sys', 'sys_load_error_detail'], ['stl', 'stl_load_errors']] as const) {
    try {
      await pool.query(`SELECT 1 FROM ${view} WHERE 1 = 0`);
      return source;
    } catch {
      // Absent (42P01) or not allowed (Serverless answers STL with 42501): try the next.
    }
  }
  return 'none';
}

/** One load error of a COPY, as the view keeps it (CHAR columns trimmed). */
export interface LoadError {
  file: string;
  line: number;
  column: string;
  code: number;
  reason: string;
  /** STL only: the line as loaded (at most 1024 bytes, multibyte characters as '.') and the field's value. */
  rawLine?: string;
  rawValue?: string;
}

/** Which COPY's errors to read. */
export interface CopyRef {
  /** SYS: the COPY's session (pg_backend_pid()) and a time at or before its start (SYSDATE of its transaction). */
  sessionId?: number;
  since?: string;
  /** The data file exactly, or a LIKE pattern of files (a run-unique folder). */
  file?: string;
  fileLike?: string;
  /** STL: the COPY's query id (pg_last_copy_id()). */
  queryId?: number;
}

const SYS_COLUMNS = `TRIM(file_name) AS file, line_number, TRIM(column_name) AS colname, error_code AS err_code, TRIM(error_message) AS err_reason, NULL AS raw_line, NULL AS raw_field_value`;
const STL_COLUMNS = `TRIM(filename) AS file, line_number, TRIM(colname) AS colname, err_code, TRIM(err_reason) AS err_reason, TRIM(raw_line) AS raw_line, TRIM(raw_field_value) AS raw_field_value`;

/** The load errors of one COPY, by line; `limit` keeps only the latest ones. */
export async function readLoadErrors(pool: Pick<pg.Pool, 'query'>, source: LoadErrorSource, ref: CopyRef, limit?: number): Promise<LoadError[]> {
  if (source === 'none') return [];
  const where: string[] = [];
  const values: unknown[] = [];
  const bind = (sql: string, value: unknown) => {
    values.push(value);
    where.push(sql.replace('?', `$${values.length}`));
  };
  if (source === 'sys') {
    if (ref.sessionId !== undefined) bind('session_id = ?', ref.sessionId);
    if (ref.since !== undefined) bind('start_time >= ?', ref.since);
    if (ref.file !== undefined) bind('TRIM(file_name) = ?', ref.file);
    if (ref.fileLike !== undefined) bind('TRIM(file_name) LIKE ?', ref.fileLike);
  } else {
    if (ref.queryId !== undefined) bind('query = ?', ref.queryId);
    if (ref.fileLike !== undefined) bind('TRIM(filename) LIKE ?', ref.fileLike);
  }
  const [columns, view, time] = source === 'sys' ? [SYS_COLUMNS, 'sys_load_error_detail', 'start_time'] : [STL_COLUMNS, 'stl_load_errors', 'starttime'];
  const order = limit === undefined ? 'line_number' : `${time} DESC, line_number LIMIT ${Math.trunc(limit)}`;
  const { rows } = await pool.query(`SELECT ${columns} FROM ${view}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}`, values);
  return rows.map((r) => ({
    file: r.file as string,
    line: Number(r.line_number),
    column: (r.colname as string | null) ?? '',
    code: Number(r.err_code),
    reason: (r.err_reason as string | null) ?? '',
    rawLine: (r.raw_line as string | null) ?? undefined,
    rawValue: (r.raw_field_value as string | null) ?? undefined,
  }));
}
