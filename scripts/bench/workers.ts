/**
 * The events staging scenario with worker threads: the same day objects
 * staged into an empty database with `--workers 0`, 1 and 2, one run each,
 * in that order. For each: the staging rate and the loader's CPU-seconds per
 * million events (user + system of the whole process, every thread, from
 * the --json summary's `cpuMs`), a figure that carries from one machine to
 * another where a rate does not.
 */

/** What the scenario reads of a loader run's --json summary. */
export interface WorkerRun {
  records: { staged: number };
  timings: { stageMs: number };
  cpuMs?: number;
  peakRssMb: number;
}

export interface WorkerFigures {
  workers: number;
  rows: number;
  stageMs: number;
  rowsPerSec: number;
  cpuMs: number;
  /** CPU-seconds of the loader process per million events staged (the model step's client side included). */
  cpuSecPerMillionEvents: number;
  peakRssMb: number;
}

/** Runs `load(workers)` (a fresh database each time) for 0, 1 and 2 workers and sums up each run. */
export async function workersScenario(load: (workers: number) => Promise<WorkerRun>, log: (message: string) => void): Promise<{ runs: WorkerFigures[]; rateVsNoWorkers: Record<string, number> }> {
  const runs: WorkerFigures[] = [];
  for (const workers of [0, 1, 2]) {
    log(`events staging with --workers ${workers}`);
    const r = await load(workers);
    const rows = r.records.staged;
    const cpuMs = r.cpuMs ?? NaN;
    runs.push({
      workers,
      rows,
      stageMs: r.timings.stageMs,
      rowsPerSec: Math.round(rows / (r.timings.stageMs / 1000)),
      cpuMs,
      cpuSecPerMillionEvents: Math.round((cpuMs / 1000 / (rows / 1e6)) * 100) / 100,
      peakRssMb: r.peakRssMb,
    });
  }
  const base = runs[0].rowsPerSec;
  const rateVsNoWorkers = Object.fromEntries(runs.slice(1).map((r) => [`workers${r.workers}`, Math.round((r.rowsPerSec / base) * 100) / 100]));
  return { runs, rateVsNoWorkers };
}
