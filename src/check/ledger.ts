/**
 * The counts a run reports come from the ledger (etl_objects for staging, the
 * model step's counts for the star tables): this check compares them with
 * COUNT(*), so a table changed behind the loader's back is noticed.
 */
import { REPORTED_TABLES } from '../warehouse/tables.ts';
import type { TableNames } from '../dialect/sql.ts';
import { plural, type CheckSpec } from './checks.ts';

const LEDGER: Record<string, (n: TableNames) => string> = {
  stg_events: (n) => `(SELECT COALESCE(SUM(rows_staged), 0) FROM ${n.t('etl_objects')} WHERE dataset = 'events')`,
  stg_songs: (n) => `(SELECT COALESCE(SUM(rows_staged), 0) FROM ${n.t('etl_objects')} WHERE dataset = 'songs')`,
};
const recorded = (n: TableNames, table: string) => LEDGER[table]?.(n) ?? `(SELECT MAX(value) FROM ${n.t('etl_state')} WHERE name = 'rows:${table}')`;

export function ledgerCheck(n: TableNames): CheckSpec {
  return {
    name: 'row counts match the ledger',
    sql: `SELECT ${REPORTED_TABLES.map((t) => `(SELECT COUNT(*) FROM ${n.t(t)}) AS ${t}, ${recorded(n, t)} AS ${t}_ledger`).join(',\n  ')}`,
    judge: (r) => {
      const off = REPORTED_TABLES.filter((t) => r[`${t}_ledger`] !== null && r[`${t}_ledger`] !== undefined && Number(r[`${t}_ledger`]) !== Number(r[t]));
      return off.length === 0
        ? { ok: true, detail: `${plural(REPORTED_TABLES.length, 'table')} hold the rows the ledger says` }
        : { ok: false, detail: off.map((t) => `${t} has ${Number(r[t])} rows, the ledger says ${Number(r[`${t}_ledger`])}`).join('; ') };
    },
  };
}
