/** What the CLI prints on stdout: the --json object or a short human summary. */
import type { EtlSummary } from './etl.ts';
import { redact } from './redact.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${redact(JSON.stringify(value, null, 2))}\n`);
}

export function humanSummary(s: EtlSummary): string {
  const lines = [
    `status: ${s.status}${s.runId !== undefined ? ` (run ${s.runId})` : ''} in ${(s.durationMs / 1000).toFixed(1)}s`,
    `objects: ${s.objects.listed} listed, ${s.objects.loaded} loaded, ${s.objects.skipped} skipped, ${s.objects.failed} failed${s.objects.pruned ? `, ${s.objects.pruned} pruned` : ''}`,
    `records: ${s.records.staged} staged, ${s.records.rejected} rejected`,
  ];
  if (s.model) lines.push(`model: ${s.model.mode === 'none' ? 'up to date' : `${s.model.mode} build`}`);
  if (s.checks) {
    const failed = s.checks.filter((c) => !c.ok);
    const warned = s.checks.filter((c) => c.ok && c.warning);
    const warnings = warned.length ? `; ${warned.length} warning(s): ${warned.map((c) => c.detail).join('; ')}` : '';
    lines.push(failed.length ? `checks: ${failed.length} of ${s.checks.length} FAILED (${failed.map((c) => c.name).join('; ')})${warnings}` : `checks: all ${s.checks.length} passed${warnings}`);
  }
  const tables = Object.entries(s.tables);
  if (tables.length) lines.push(`tables: ${tables.map(([t, n]) => `${t} ${n}`).join(', ')}`);
  if (s.error) lines.push(`error: ${s.error}`);
  return redact(lines.join('\n'));
}

/** Exit code of a finished run (SPEC §8): 0 ok, 1 failed, 3 rejects over --max-errors or a failed check. */
export function exitCodeOf(s: EtlSummary): number {
  if (s.status === 'failed') return 1;
  if (s.status === 'rejects' || s.checks?.some((c) => !c.ok)) return 3;
  return 0;
}
