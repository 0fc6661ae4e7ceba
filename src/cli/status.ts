/**
 * `sparkify status`: what is loaded (by data set and day), the last runs with
 * their counts, rejects by reason, and whether staging is ahead of the star schema.
 */
import type { StatusReport } from '../ledger/status.ts';
import { table } from '../report/render-text.ts';

export { readStatus, type StatusReport } from '../ledger/status.ts';

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
