/**
 * Session and catalog statements both warehouses answer the same way
 * (Redshift keeps PostgreSQL 8.0's catalog and session functions:
 * DG:PG_BACKEND_PID, DG:PG_CANCEL_BACKEND, DG:r_CURRENT_SCHEMA,
 * DG:r_HAS_SCHEMA_PRIVILEGE, DG:r_HAS_DATABASE_PRIVILEGE, DG:r_PG_NAMESPACE).
 */
import type { TableNames } from './sql.ts';

/** This session's backend process id (`pid`), the one CANCEL_BACKEND_SQL cancels from another session. */
export const BACKEND_PID_SQL = 'SELECT pg_backend_pid() AS pid';

/** Cancels the statement backend $1 is running. */
export const CANCEL_BACKEND_SQL = 'SELECT pg_cancel_backend($1)';

/** The default schema (`s`). */
export const CURRENT_SCHEMA_SQL = 'SELECT current_schema() AS s';

/** Whether the user may create tables in schema $1 (`can`); no row when the schema does not exist. */
export const SCHEMA_CREATE_PRIVILEGE_SQL = `SELECT has_schema_privilege(s.nspname, 'CREATE') AS can FROM pg_namespace s WHERE s.nspname = $1`;

/** Whether the user may create schemas in this database (`can`). */
export const DATABASE_CREATE_PRIVILEGE_SQL = `SELECT has_database_privilege(current_database(), 'CREATE') AS can`;

/** Which of `tables` exist in the configured schema (`table_name`); binds the schema ($1), if one is configured. */
export function tablesPresentSql(names: TableNames, tables: readonly string[]): string {
  return `SELECT table_name FROM information_schema.tables WHERE table_schema = ${names.schema ? '$1' : 'current_schema()'} AND table_name IN (${tables.map((t) => `'${t}'`).join(', ')})`;
}
