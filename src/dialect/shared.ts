/** Pieces of SQL both dialects write the same way. */
import type { TableNames } from './sql.ts';

/** The user id of a staged event as INTEGER ('' and NULL give NULL). */
export const userIdInt = (expr: string): string => `CAST(NULLIF(${expr}, '') AS INTEGER)`;

/** Order of "latest" for users: SPEC §4, then lineage to break exact ties. */
export const LATEST_EVENT_ORDER = (byteOrder: (e: string) => string, alias = 'e'): string =>
  `${alias}.ts DESC, ${alias}.session_id DESC, ${alias}.item_in_session DESC, ${byteOrder(`${alias}.source_key`)} DESC, ${alias}.source_line DESC`;

/** Window form of "latest event per user", valid on both warehouses. */
export function latestEventPerUserWindow(names: TableNames, affectedUsers: string | undefined, byteOrder: (e: string) => string): string {
  const filter = affectedUsers ? `JOIN ${affectedUsers} a ON a.user_id = ${userIdInt('e.user_id')}` : `WHERE e.user_id <> ''`;
  return `SELECT user_id, first_name, last_name, gender, level FROM (
  SELECT ${userIdInt('e.user_id')} AS user_id, e.first_name, e.last_name, e.gender, e.level,
         ROW_NUMBER() OVER (PARTITION BY ${userIdInt('e.user_id')} ORDER BY ${LATEST_EVENT_ORDER(byteOrder)}) AS rn
  FROM ${names.t('stg_events')} e ${filter}
) latest WHERE rn = 1`;
}
