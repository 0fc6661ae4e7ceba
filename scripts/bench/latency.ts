/**
 * The latency scenario of `npm run bench`: the song objects from S3 as real
 * S3 serves them, 20 ms before each answer, against the same objects without
 * the delay. Every run goes through the same proxy (latency-proxy.ts), so that
 * the proxy's own work on the shared cores weighs on all of them, and uses the
 * loader's default settings (no --concurrency): the ratio says how much of
 * S3's latency the loader hides by itself. The runs go with, without, without,
 * with the delay: on a machine whose other work comes and goes, one run of
 * each, one after the other, measured the load of the moment as much as the
 * delay (0.64 and 0.94 for the same code within ten minutes).
 */
import type { BenchWarehouse } from './warehouse.ts';
import { startLatencyProxy } from './latency-proxy.ts';

/** What the bench needs of one loader run (its --json summary). */
export interface LatencyRun {
  objects: { loaded: number };
  timings: { listMs: number; stageMs: number };
  peakRssMb: number;
  wallMs: number;
}

export interface LatencyOptions {
  /** The S3 server behind the proxy. */
  upstream: string;
  /** s3://bucket/prefix of the song objects. */
  songs: string;
  /** Delay of each answer, ms (default 20). */
  delayMs?: number;
  wh: BenchWarehouse;
  /** Database of the scenario, created and dropped for each run. */
  db: string;
  /** Runs the loader with these arguments (the bench adds credentials and --json). */
  loader: (args: string[]) => Promise<LatencyRun>;
  log: (message: string) => void;
}

export interface LatencyRunResult {
  delayMs: number;
  objects: number;
  listMs: number;
  stageMs: number;
  objectsPerSec: number;
  /** The most object GETs in flight at once, as the proxy saw them. */
  peakGetsInFlight: number;
  peakRssMb: number;
}

export interface LatencyResult {
  /** Both runs of each kind together: objects and stage time summed. */
  atLatency: LatencyRunResult;
  local: LatencyRunResult;
  /** objects/s with the delay / without. */
  songsAtLatencyVsLocal: number;
  /** Every run, in order. */
  runs: LatencyRunResult[];
}

export async function songsAtLatency(options: LatencyOptions): Promise<LatencyResult> {
  const delayMs = options.delayMs ?? 20;
  const proxy = await startLatencyProxy({ upstream: options.upstream, delayMs });
  try {
    const once = async (delay: number): Promise<LatencyRunResult> => {
      proxy.delayMs = delay;
      proxy.resetCounts();
      await options.wh.recreate(options.db);
      options.log(`songs through a proxy that delays each S3 answer by ${delay} ms, default settings`);
      const r = await options.loader(['run', '--target', options.wh.url(options.db), '--songs', options.songs, '--s3-endpoint', proxy.endpoint, '--s3-path-style']);
      await options.wh.drop(options.db);
      return {
        delayMs: delay,
        objects: r.objects.loaded,
        listMs: r.timings.listMs,
        stageMs: r.timings.stageMs,
        objectsPerSec: Math.round(r.objects.loaded / (r.timings.stageMs / 1000)),
        peakGetsInFlight: proxy.counts.get('get')?.peak ?? 0,
        peakRssMb: r.peakRssMb,
      };
    };
    const runs: LatencyRunResult[] = [];
    for (const delay of [delayMs, 0, 0, delayMs]) runs.push(await once(delay));
    const both = (delay: number): LatencyRunResult => {
      const of = runs.filter((r) => r.delayMs === delay);
      const objects = of.reduce((n, r) => n + r.objects, 0);
      const stageMs = of.reduce((n, r) => n + r.stageMs, 0);
      return {
        delayMs: delay,
        objects,
        listMs: of.reduce((n, r) => n + r.listMs, 0),
        stageMs,
        objectsPerSec: Math.round(objects / (stageMs / 1000)),
        peakGetsInFlight: Math.max(...of.map((r) => r.peakGetsInFlight)),
        peakRssMb: Math.max(...of.map((r) => r.peakRssMb)),
      };
    };
    const atLatency = both(delayMs);
    const local = both(0);
    const rate = (r: LatencyRunResult) => r.objects / r.stageMs;
    return { atLatency, local, songsAtLatencyVsLocal: Math.round((rate(atLatency) / rate(local)) * 100) / 100, runs };
  } finally {
    await proxy.close();
  }
}
