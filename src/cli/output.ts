/** What the CLI prints on stdout: the --json object or a short human summary. */
import { describeError, SparkifyError } from '../common/errors.ts';
import type { DoctorResult } from '../api/doctor.ts';
import type { EtlSummary } from '../run/summary.ts';
import { redact } from '../common/redact.ts';

/** What failed runs did before failing, by the error they threw. */
const partial = new WeakMap<object, EtlSummary>();

/** Remembers what a run did before it threw `err`, for the --json object of its failure. */
export function rememberSummary(err: unknown, summary: EtlSummary): void {
  if (err !== null && typeof err === 'object') partial.set(err, summary);
}

/**
 * The --json object of a failed (or interrupted) command: for a run, what it
 * did before the failure — objects, records, tables, durationMs (SPEC §8) —
 * and always the one-line error, with its `code` (common/errors.ts).
 */
export function failureJson(err: unknown, status: 'failed' | 'interrupted' = 'failed'): Record<string, unknown> {
  const done = err !== null && typeof err === 'object' ? partial.get(err) : undefined;
  return { ...done, status, ...(err instanceof SparkifyError ? { code: err.code } : {}), error: describeError(err) };
}

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

/** One line per check: `PASS name — detail` or `FAIL name — detail; fix: …`. */
export function renderDoctor(results: readonly DoctorResult[]): string {
  return results.map((r) => `${r.ok ? 'PASS' : 'FAIL'} ${r.name} — ${r.detail}${r.fix ? `\n     fix: ${r.fix}` : ''}`).join('\n');
}
