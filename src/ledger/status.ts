/**
 * What is loaded, read from the ledger: objects by data set and day, the last
 * runs with their counts, rejects by reason, and whether staging is ahead of
 * the star schema (`sparkify status`; the CLI renders it, cli/status.ts).
 */
import type { Dataset } from '../common/datasets.ts';
import { dayOfKey } from '../extract/day-of-key.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { lastRuns, loadedObjectRows, pendingModel, pendingShardAreas, rejectCounts } from './index.ts';

export interface StatusReport {
  /** Which warehouse and schema this status reads, and which setting chose them. */
  destination?: string;
  objects: { dataset: Dataset; day: string | null; objects: number; rows: number; rejects: number; lastLoadedAt: string }[];
  runs: { runId: number; command: string; status: string; startedAt: string; finishedAt: string | null; loaded: number | null; skipped: number | null; failed: number | null; staged: number | null; rejected: number | null; model: string | null; error: string | null }[];
  rejects: { dataset: string; field: string | null; reason: string; count: number }[];
  pendingModel: { objects: number; rebuild: boolean };
  /** Shards whose staged parts wait in the staging prefix for `sparkify model` (Redshift), e.g. `1/3`. */
  shardParts: string[];
}

export async function readStatus(wh: Warehouse, options: { runs?: number } = {}): Promise<StatusReport> {
  const n = wh.names;
  const byDay = new Map<string, StatusReport['objects'][number]>();
  for (const o of await loadedObjectRows(wh.pool, n)) {
    const day = o.dataset === 'events' ? (dayOfKey(o.key) ?? null) : null;
    const k = `${o.dataset}|${day}`;
    const entry = byDay.get(k) ?? { dataset: o.dataset, day, objects: 0, rows: 0, rejects: 0, lastLoadedAt: '' };
    entry.objects++;
    entry.rows += o.rows;
    entry.rejects += o.rejects;
    const at = timestamp(o.loadedAt);
    if (at > entry.lastLoadedAt) entry.lastLoadedAt = at;
    byDay.set(k, entry);
  }
  const runs = await lastRuns(wh.pool, n, options.runs ?? 10);
  const grouped = new Map<string, StatusReport['rejects'][number]>();
  for (const r of await rejectCounts(wh.pool, n)) {
    const reason = reasonKind(r.reason);
    const k = `${r.dataset}|${r.field}|${reason}`;
    const g = grouped.get(k) ?? { dataset: r.dataset, field: r.field, reason, count: 0 };
    g.count += r.count;
    grouped.set(k, g);
  }
  return {
    objects: [...byDay.values()].sort((a, b) => a.dataset.localeCompare(b.dataset) || String(a.day).localeCompare(String(b.day))),
    runs: runs.map((r) => ({ ...r, startedAt: timestamp(r.startedAt), finishedAt: r.finishedAt ? timestamp(r.finishedAt) : null })),
    rejects: [...grouped.values()].sort((a, b) => b.count - a.count),
    pendingModel: await pendingModel(wh.pool, n),
    // Registered by shard runs on Redshift (stage/shard-parts.ts).
    shardParts: (await pendingShardAreas(wh.pool, n)).map((a) => a.shard),
  };
}

/** A reason without the value that varies: `field "ts" must be an integer, got …` → `field "ts" must be an integer`. */
export function reasonKind(reason: string): string {
  return reason
    .replace(/, got .*$/, '')
    .replace(/^(field "[^"]+") (?:the string ".*"|-?[\d.e+]+) (is out of .*)$/, '$1 $2')
    .replace(/^(malformed JSON(?: document)?): .*$/, '$1')
    .replace(/ \(first bad byte at offset \d+\)$/, '')
    .replace(/^line is \d+ bytes, /, 'line is ')
    .replace(/is \d+ bytes of UTF-8/, 'is too many bytes of UTF-8');
}

function timestamp(v: unknown): string {
  if (v instanceof Date) return v.toISOString().replace('T', ' ').slice(0, 19);
  return String(v).slice(0, 19);
}
