/**
 * Where Redshift keeps what a COPY could not load (not in the client's
 * error, REDSHIFT-FACTS §3), and how it is read:
 *
 * - SYS_LOAD_ERROR_DETAIL, on provisioned clusters (concurrency-scaling
 *   clusters included) and on Serverless, which has no STL views at all
 *   [DG:SYS_LOAD_ERROR_DETAIL, DG:r_STL_LOAD_ERRORS, MG:serverless-monitoring];
 * - STL_LOAD_ERRORS, only where the SYS views are absent (older clusters).
 *
 * SYS rows are found by the session that ran the COPY, its start time and its
 * file (SYS_LOAD_ERROR_DETAIL.query_id is not the id pg_last_copy_id() returns
 * [DG:r_STL_QUERY]); STL rows by the COPY's query id. CHAR columns are trimmed.
 */

/** Where this warehouse keeps load errors. */
export type LoadErrorSource = 'sys' | 'stl' | 'none';

/** The views to try, in order. */
export const LOAD_ERROR_VIEWS = [['sys', 'sys_load_error_detail'], ['stl', 'stl_load_errors']] as const;

/** Fails unless the connection may read `view`. */
export const probeViewSql = (view: string): string => `SELECT 1 FROM ${view} WHERE 1 = 0`;

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

/**
 * The load errors of one COPY, by line, from `source`; `limit` keeps only the
 * latest ones. Columns: file, line_number, colname, err_code, err_reason,
 * raw_line, raw_field_value (STL only).
 */
export function loadErrorsSql(source: Exclude<LoadErrorSource, 'none'>, ref: CopyRef, limit?: number): { text: string; values: unknown[] } {
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
  return { text: `SELECT ${columns} FROM ${view}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}`, values };
}

/** Rows the session's last COPY loaded (`n`) [DG:PG_LAST_COPY_COUNT]. */
export const LAST_COPY_COUNT_SQL = 'SELECT pg_last_copy_count() AS n';
