/**
 * The counts a run reports come from the ledger (the loaded objects' rows for
 * staging, the model step's counts for the star tables): this check compares
 * them with COUNT(*), so a table changed behind the loader's back is noticed.
 */
import { DATA_TABLES } from '../common/datasets.ts';
import type { TableNames } from '../dialect/sql.ts';
import { ledgerCountSql } from '../ledger/index.ts';
import { plural, type CheckSpec } from './checks.ts';

export function ledgerCheck(n: TableNames): CheckSpec {
  return {
    name: 'row counts match the ledger',
    sql: `SELECT ${DATA_TABLES.map((t) => `(SELECT COUNT(*) FROM ${n.t(t)}) AS ${t}, ${ledgerCountSql(n, t)} AS ${t}_ledger`).join(',\n  ')}`,
    judge: (r) => {
      const off = DATA_TABLES.filter((t) => r[`${t}_ledger`] !== null && r[`${t}_ledger`] !== undefined && Number(r[`${t}_ledger`]) !== Number(r[t]));
      return off.length === 0
        ? { ok: true, detail: `${plural(DATA_TABLES.length, 'table')} hold the rows the ledger says` }
        : { ok: false, detail: off.map((t) => `${t} has ${Number(r[t])} rows, the ledger says ${Number(r[`${t}_ledger`])}`).join('; ') };
    },
  };
}
