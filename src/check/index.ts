/**
 * `sparkify check`: data-quality checks on the loaded warehouse (checks.ts),
 * run after every etl and on demand. A check that fails is a result, not an
 * error; only a warehouse that cannot answer throws.
 */
import type pg from 'pg';
import { WarehouseError, pgFields } from '../common/errors.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { checkSpecs, type CheckResult, type CheckSpec } from './checks.ts';
import { ledgerCheck } from './ledger.ts';

export type { CheckResult } from './checks.ts';
export { checkSpecs } from './checks.ts';
export { checksAfterRun, stagingReadsBesideModel, type RunFacts } from './after-run.ts';

/** Runs every check over the whole tables, one query each, and returns their verdicts in order. Read-only. */
export async function runChecks(wh: Warehouse, db: Pick<pg.ClientBase, 'query'> = wh.pool): Promise<CheckResult[]> {
  const enforced = await wh.dialect.enforcedKeys(db, wh.names);
  return runSpecs(db, [...checkSpecs(wh.names, wh.dialect, enforced), ledgerCheck(wh.names)]);
}

/** Runs check specs in order; a check that cannot run is an error naming it. */
export async function runSpecs(db: Pick<pg.ClientBase, 'query'>, specs: readonly CheckSpec[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const spec of specs) {
    let row: Record<string, unknown>;
    try {
      row = (await db.query(spec.sql)).rows[0] ?? {};
    } catch (err) {
      const f = pgFields(err);
      throw new WarehouseError('SQL', `check "${spec.name}" could not run: ${(err as Error).message}`, {
        cause: err,
        sqlState: f?.code,
        table: f?.table,
        hint: f?.code === '42P01' ? 'run `sparkify create-tables` and `sparkify etl` first' : undefined,
      });
    }
    results.push({ name: spec.name, ...spec.judge(row) });
  }
  return results;
}

/** One line per check: `PASS name — detail` or `FAIL name — detail`. */
export function renderChecks(results: readonly CheckResult[]): string {
  return results.map((r) => `${r.ok ? (r.warning ? 'WARN' : 'PASS') : 'FAIL'} ${r.name} — ${r.detail}`).join('\n');
}

/** True when no check failed (the CLI exits 3 otherwise). */
export function checksPassed(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.ok);
}
