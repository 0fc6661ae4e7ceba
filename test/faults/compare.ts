/** Row-level comparison of two loads: rows lost and rows duplicated, as multiset differences. */

export interface TableDiff {
  lost: number;
  duplicated: number;
}

/** Rows of `expected` missing from `actual` (lost) and rows of `actual` beyond `expected` (duplicated), counting repeats. */
export function multisetDiff(expected: readonly unknown[], actual: readonly unknown[]): TableDiff {
  const balance = new Map<string, number>();
  for (const row of expected) {
    const k = rowKey(row);
    balance.set(k, (balance.get(k) ?? 0) + 1);
  }
  for (const row of actual) {
    const k = rowKey(row);
    balance.set(k, (balance.get(k) ?? 0) - 1);
  }
  let lost = 0;
  let duplicated = 0;
  for (const n of balance.values()) {
    if (n > 0) lost += n;
    else duplicated -= n;
  }
  return { lost, duplicated };
}

/** Sums the differences of every table present in `expected`. */
export function diffTables(expected: Record<string, readonly unknown[]>, actual: Record<string, readonly unknown[]>): TableDiff & { byTable: Record<string, TableDiff> } {
  const byTable: Record<string, TableDiff> = {};
  let lost = 0;
  let duplicated = 0;
  for (const table of Object.keys(expected)) {
    const d = multisetDiff(expected[table], actual[table] ?? []);
    byTable[table] = d;
    lost += d.lost;
    duplicated += d.duplicated;
  }
  return { lost, duplicated, byTable };
}

function rowKey(row: unknown): string {
  return JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Date ? v.toISOString() : v));
}
