/**
 * The statements of Redshift direct mode (stage/redshift-direct.ts) around
 * its COPYs (redshift-copy.ts): each object is copied into a temp table with
 * the staging table's columns and NOT NULLs, checked, and moved into staging
 * with its key. `temp` is an unqualified name the loader makes up.
 */
import type { Field } from '../common/datasets.ts';
import { columnDefinition } from './redshift-staging.ts';
import { unconvertibleEvent } from './shared.ts';
import type { TableNames } from './sql.ts';

/** Query id of the session's last COPY (column `id`), which names its STL_LOAD_ERRORS rows [DG:PG_LAST_COPY_ID]. */
export const LAST_COPY_ID = 'SELECT pg_last_copy_id() AS id';

/** The load transaction's session and start time (SYSDATE [DG:r_SYSDATE]), which name its COPYs' SYS_LOAD_ERROR_DETAIL rows: columns `pid`, `since`. */
export const SESSION_AND_START = 'SELECT pg_backend_pid() AS pid, SYSDATE AS since';

/** The temp table of one data set's COPYs: its fields' columns, NOT NULL where staging has it (replacing one an earlier attempt left). */
export function createDirectTemp(temp: string, fields: readonly Field[]): string[] {
  return [`DROP TABLE IF EXISTS ${temp}`, `CREATE TEMP TABLE ${temp} (${fields.map(columnDefinition).join(', ')})`];
}

export const dropDirectTemp = (temp: string): string => `DROP TABLE ${temp}`;

/** Rows in the temp table (column `n`): what the object's COPY loaded, once the unconvertible rows are out. */
export const countDirectTemp = (temp: string): string => `SELECT COUNT(*) AS n FROM ${temp}`;

/** Moves the temp table's rows into `table` (a staging table) with their key ($1) and line 0 (a COPY's lines are unknown); then emptyDirectTemp. */
export const insertFromDirectTemp = (names: TableNames, table: string, temp: string, columns: readonly string[]): string =>
  `INSERT INTO ${names.t(table)} (${columns.join(', ')}, source_key, source_line) SELECT ${columns.join(', ')}, $1, 0 FROM ${temp}`;

export const emptyDirectTemp = (temp: string): string => `DELETE FROM ${temp}`;

/**
 * Event rows in the temp table that the model step could never convert
 * (shared.ts `unconvertibleEvent`): `select` reads them with the index of the
 * check each fails (column `problem`) and what a reject shows of them (ts,
 * session_id, item_in_session, user_id); `remove` deletes them.
 */
export function unconvertibleDirectRows(temp: string): { checks: ReturnType<typeof unconvertibleEvent>; select: string; remove: string } {
  const checks = unconvertibleEvent(temp);
  const any = checks.map((c) => c.where).join(' OR ');
  const which = `CASE ${checks.map((c, i) => `WHEN ${c.where} THEN ${i}`).join(' ')} END`;
  return { checks, select: `SELECT ${which} AS problem, ts, session_id, item_in_session, user_id FROM ${temp} WHERE ${any}`, remove: `DELETE FROM ${temp} WHERE ${any}` };
}
