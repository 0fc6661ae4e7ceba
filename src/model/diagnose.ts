/**
 * When the model step fails on a value (a data exception), finds the staged
 * row that caused it, so the error names the object and line instead of only
 * `interval out of range`. Validation keeps such rows out of staging (SPEC §3);
 * they can come from an older loader, or from SQL run by hand.
 */
import { unconvertibleEvent } from '../dialect/shared.ts';
import { WarehouseError } from '../common/errors.ts';
import type { Warehouse } from '../warehouse/connect.ts';

/** `err`, or an error naming the staged row behind it when one can be found. */
export async function explainModelFailure(wh: Warehouse, err: unknown): Promise<unknown> {
  const state = err instanceof WarehouseError ? err.sqlState : undefined;
  // Class 22: data exceptions (out of range, invalid text for a type).
  if (!state?.startsWith('22')) return err;
  const checks = unconvertibleEvent('e');
  try {
    const which = `CASE ${checks.map((c, i) => `WHEN ${c.where} THEN ${i}`).join(' ')} END`;
    const { rows } = await wh.pool.query(
      `SELECT ${which} AS problem, e.source_key, e.source_line, e.ts, e.user_id, COUNT(*) OVER () AS n
       FROM ${wh.names.t('stg_events')} e WHERE ${checks.map((c) => c.where).join(' OR ')} ORDER BY e.source_key, e.source_line LIMIT 1`,
    );
    const r = rows[0];
    if (!r) return err;
    const check = checks[Number(r.problem)];
    const value = check.column === 'ts' ? String(r.ts) : JSON.stringify(r.user_id);
    const others = Number(r.n) - 1;
    return new WarehouseError(
      'SQL',
      `${(err as Error).message}: stg_events row from ${r.source_key} line ${r.source_line} has field "${check.field}" ${value}, which is not ${check.problem}${others ? ` (and ${others} more such row${others > 1 ? 's' : ''})` : ''}`,
      {
        cause: err,
        sqlState: state,
        table: 'stg_events',
        hint: 'this loader rejects such records: reload that object to validate it again (`sparkify etl --full-refresh`, with --since/--until for its day), or fix it in the source',
      },
    );
  } catch {
    // The diagnosis is a courtesy: the original error stands.
    return err;
  }
}
