/**
 * `sparkify status`: what is loaded (by data set and day), the last runs with
 * their counts, rejects by reason, and whether staging is ahead of the star schema.
 */
import type { Dataset } from '../common/datasets.ts';
import { dayOfKey } from '../extract/day-of-key.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { table } from '../report/render-text.ts';

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
  const objects = await wh.pool.query(`SELECT dataset, source_key, rows_staged, rejects, loaded_at FROM ${n.t('etl_objects')}`);
  const byDay = new Map<string, StatusReport['objects'][number]>();
  for (const o of objects.rows) {
    const day = o.dataset === 'events' ? (dayOfKey(o.source_key) ?? null) : null;
    const k = `${o.dataset}|${day}`;
    const entry = byDay.get(k) ?? { dataset: o.dataset, day, objects: 0, rows: 0, rejects: 0, lastLoadedAt: '' };
    entry.objects++;
    entry.rows += Number(o.rows_staged);
    entry.rejects += Number(o.rejects);
    const at = timestamp(o.loaded_at);
    if (at > entry.lastLoadedAt) entry.lastLoadedAt = at;
    byDay.set(k, entry);
  }
  const runs = await wh.pool.query(
    `SELECT run_id, command, status, started_at, finished_at, objects_loaded, objects_skipped, objects_failed, records_staged, records_rejected, model_mode, error
     FROM ${n.t('etl_runs')} ORDER BY run_id DESC LIMIT ${Math.max(1, Math.trunc(options.runs ?? 10))}`,
  );
  const rejects = await wh.pool.query(`SELECT dataset, field, reason, COUNT(*) AS n FROM ${n.t('etl_rejects')} GROUP BY dataset, field, reason`);
  const grouped = new Map<string, StatusReport['rejects'][number]>();
  for (const r of rejects.rows) {
    const reason = reasonKind(r.reason);
    const k = `${r.dataset}|${r.field}|${reason}`;
    const g = grouped.get(k) ?? { dataset: r.dataset, field: r.field, reason, count: 0 };
    g.count += Number(r.n);
    grouped.set(k, g);
  }
  const pending = await wh.pool.query(
    `SELECT (SELECT COUNT(*) FROM ${n.t('etl_dirty_objects')}) + (SELECT COUNT(*) FROM ${n.t('etl_dirty_events')}) + (SELECT COUNT(*) FROM ${n.t('etl_dirty_songs')}) AS dirty,
            (SELECT COUNT(*) FROM ${n.t('etl_state')} WHERE name = 'full_rebuild_pending') AS rebuild`,
  );
  // Registered by shard runs on Redshift (stage/shard-parts.ts).
  const shardParts = await wh.pool.query(`SELECT name FROM ${n.t('etl_state')} WHERE name LIKE 'shard-parts %' ORDER BY name`);
  return {
    objects: [...byDay.values()].sort((a, b) => a.dataset.localeCompare(b.dataset) || String(a.day).localeCompare(String(b.day))),
    runs: runs.rows.map((r) => ({
      runId: Number(r.run_id),
      command: r.command,
      status: r.status,
      startedAt: timestamp(r.started_at),
      finishedAt: r.finished_at ? timestamp(r.finished_at) : null,
      loaded: num(r.objects_loaded),
      skipped: num(r.objects_skipped),
      failed: num(r.objects_failed),
      staged: num(r.records_staged),
      rejected: num(r.records_rejected),
      model: r.model_mode,
      error: r.error,
    })),
    rejects: [...grouped.values()].sort((a, b) => b.count - a.count),
    pendingModel: { objects: Number(pending.rows[0].dirty), rebuild: Number(pending.rows[0].rebuild) > 0 },
    shardParts: shardParts.rows.map((r) => String(r.name).replace(/^shard-parts /, '')),
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

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function timestamp(v: unknown): string {
  if (v instanceof Date) return v.toISOString().replace('T', ' ').slice(0, 19);
  return String(v).slice(0, 19);
}

/** Aligned plain-text rendering for a terminal. */
export function renderStatus(s: StatusReport): string {
  const out: string[] = [];
  if (s.destination) out.push(`Warehouse: ${s.destination}`, '');
  out.push('Loaded objects');
  out.push(table(['data set', 'day', 'objects', 'rows', 'rejects', 'last loaded (UTC)'], s.objects.map((o) => [o.dataset, o.day ?? '-', o.objects, o.rows, o.rejects, o.lastLoadedAt])));
  out.push('', 'Last runs');
  out.push(table(['run', 'command', 'status', 'started (UTC)', 'loaded', 'skipped', 'failed', 'staged', 'rejected', 'model'], s.runs.map((r) => [r.runId, r.command, r.status, r.startedAt, r.loaded ?? '-', r.skipped ?? '-', r.failed ?? '-', r.staged ?? '-', r.rejected ?? '-', r.model ?? '-'])));
  // The error of each listed run that did not succeed: `status` must say why, not only --json.
  const errors = s.runs.filter((r) => r.error);
  if (errors.length) {
    out.push('', 'Errors of the last runs');
    for (const r of errors) out.push(`  run ${r.runId} (${r.status}, ${r.startedAt}): ${r.error}`);
  }
  out.push('', 'Rejects by reason');
  out.push(s.rejects.length ? table(['data set', 'field', 'reason', 'count'], s.rejects.map((r) => [r.dataset, r.field ?? '-', r.reason, r.count])) : '  none');
  out.push('');
  if (s.shardParts.length) out.push(`Staging: the parts of shard${s.shardParts.length === 1 ? '' : 's'} ${s.shardParts.join(', ')} wait in the staging prefix; \`sparkify model\` (or the next unsharded etl run) loads them.`);
  out.push(s.pendingModel.objects > 0 || s.pendingModel.rebuild ? `Star schema: behind staging (${s.pendingModel.objects} pending change rows${s.pendingModel.rebuild ? ', full rebuild pending' : ''}); \`sparkify model\` or the next etl run brings it up to date.` : 'Star schema: up to date with staging.');
  return out.join('\n');
}
