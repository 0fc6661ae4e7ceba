/**
 * What a run reports when it ends (SPEC §8: the `--json` object): counts,
 * tables, timings and the resources it used. Filled as the run goes, so a run
 * that throws still says what it did before.
 */
import type { CheckResult } from '../check/index.ts';
import type { ModelResult } from '../model/index.ts';
import type { MergeResult } from '../stage/shard-parts.ts';
import { LEDGER, type RunCounts } from '../ledger/index.ts';

export interface EtlSummary {
  status: 'ok' | 'rejects' | 'failed';
  runId?: number;
  /**
   * `listed` counts the objects read after --include/--exclude (`excluded` the others);
   * `vanished`: loaded earlier but no longer in the source (what --prune removes).
   */
  objects: { listed: number; loaded: number; skipped: number; failed: number; pruned: number; excluded: number; vanished: number };
  records: { staged: number; rejected: number };
  tables: Record<string, number>;
  model?: ModelResult;
  durationMs: number;
  /** Where the time went: listing the sources, staging, the model step, the checks after the load (ms). */
  timings: { listMs: number; stageMs: number; modelMs: number; checksMs?: number };
  /** The loader process's peak resident memory, in MB. */
  peakRssMb: number;
  /** User + system CPU of the loader process (all its threads, workers included) from its start, in ms. */
  cpuMs: number;
  dryRun?: { load: string[]; prune: string[] };
  /** Data-quality checks run after the load (check/). */
  checks?: CheckResult[];
  /** A shard run: which share it staged (`1/3`), and how many listed objects belong to the other shards. */
  shard?: { name: string; otherShards: number };
  /** What shard runs left in the staging prefix and this run loaded (Redshift). */
  shardParts?: MergeResult;
  error?: string;
}

/** A summary of a run that has done nothing yet. */
export function newSummary(): EtlSummary {
  return {
    status: 'ok',
    objects: { listed: 0, loaded: 0, skipped: 0, failed: 0, pruned: 0, excluded: 0, vanished: 0 },
    records: { staged: 0, rejected: 0 },
    tables: {},
    durationMs: 0,
    timings: { listMs: 0, stageMs: 0, modelMs: 0 },
    peakRssMb: 0,
    cpuMs: 0,
  };
}

/** The counts the ledger records of a run. */
export function countsOf(s: EtlSummary): RunCounts {
  return {
    objectsListed: s.objects.listed,
    objectsLoaded: s.objects.loaded,
    objectsSkipped: s.objects.skipped,
    objectsFailed: s.objects.failed,
    objectsPruned: s.objects.pruned,
    recordsStaged: s.records.staged,
    recordsRejected: s.records.rejected,
    modelMode: s.model?.mode,
  };
}

/** Stamps the run's duration, peak memory and CPU on the summary. */
export function finish(s: EtlSummary, started: number): EtlSummary {
  s.durationMs = Date.now() - started;
  s.peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  s.cpuMs = processCpuMs();
  return s;
}

/** User + system CPU of this process so far (every thread), in ms. */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return Math.round((user + system) / 1000);
}

/**
 * The verdict of a run that staged everything it could (SPEC §8): failed when
 * an object could not be loaded, `rejects` when more records were rejected
 * than --max-errors allows.
 */
export function judge(s: EtlSummary, maxErrors: number): void {
  if (s.objects.failed > 0) {
    s.status = 'failed';
    s.error = `${s.objects.failed} object(s) could not be loaded; the others were, and the next run retries them`;
  } else if (s.records.rejected > maxErrors) {
    s.status = 'rejects';
    s.error = `${s.records.rejected} record(s) rejected, more than --max-errors ${maxErrors}; see ${LEDGER.rejects} or \`sparkify status\``;
  }
}
