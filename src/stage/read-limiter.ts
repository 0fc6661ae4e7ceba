/**
 * How many small objects are read from the source at once.
 *
 * A GET of a 300-byte song object costs the loader about a millisecond of
 * work but 20–50 ms of waiting on real S3: with 8 reads in flight a run
 * can never pass 400 objects/s at 20 ms. So the limit adapts. It starts at 8
 * and doubles, up to 128, each time the loader's thread spent most of the
 * last 100 ms idle (event-loop utilization under 75%) while reads queued
 * for a slot: more GETs in flight help only when the loader is waiting for
 * them, not when it is busy parsing (a local folder, a fast local server),
 * and the limit never grows on mere waiting for the warehouse (reads then
 * do not queue). It never shrinks: a read in flight costs little. It may grow
 * where a busy source server, not latency, keeps the loader waiting: measured
 * against a local s3rver on two shared cores, 128 reads in flight cost 5% more
 * CPU per object than 8, and staged 10% more objects per second.
 *
 * Memory stays bounded whatever the limit: a read is admitted only while the
 * listed sizes of the reads in flight stay within a byte budget (8 MiB), so
 * 128 song objects are read at once but only 32 objects of 256 KiB. One read
 * is always admitted, whatever its size. An explicit `--concurrency N` is a
 * fixed limit of N (the budget still applies).
 *
 * Reads are admitted in the order they asked (FIFO), so a large object is
 * never starved by a stream of small ones.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** The limit a run starts with (the former fixed default). */
export const INITIAL_READS = 8;
/** The most reads at once the limit grows to. */
export const MAX_READS = 128;
/** Listed bytes of the objects being read at once. */
export const READ_BYTE_BUDGET = 8 * 1024 * 1024;

/** Every this many ms the limiter looks at whether it should grow. */
const WINDOW_MS = 100;
/** Below this event-loop utilization, the loader's thread is mostly waiting. */
const IDLE_BELOW = 0.75;

export interface ReadLimiterOptions {
  /** A fixed limit (--concurrency N); undefined: adapt from INITIAL_READS to MAX_READS. */
  fixed?: number;
  /** Listed bytes of the reads in flight (default READ_BYTE_BUDGET). */
  byteBudget?: number;
  /** Tests: the clock (ms) and the event-loop utilization since the previous call. */
  now?: () => number;
  utilization?: () => number;
}

export class ReadLimiter {
  /** Reads allowed at once, now. */
  limit: number;
  /** Reads in flight, and the most there ever were. */
  inFlight = 0;
  peak = 0;
  private bytes = 0;
  private readonly queue: { size: number; go: () => void }[] = [];
  private readonly max: number;
  private readonly budget: number;
  private readonly now: () => number;
  private readonly utilization: () => number;
  private windowStart: number;
  /** Whether a read waited for a slot (not for bytes) since the window started. */
  private starved = false;

  constructor(options: ReadLimiterOptions = {}) {
    if (options.fixed !== undefined && !(Number.isSafeInteger(options.fixed) && options.fixed >= 1)) throw new TypeError(`a read limit must be a positive integer, got ${options.fixed}`);
    this.limit = options.fixed ?? INITIAL_READS;
    this.max = options.fixed ?? MAX_READS;
    this.budget = options.byteBudget ?? READ_BYTE_BUDGET;
    this.now = options.now ?? (() => performance.now());
    this.utilization = options.utilization ?? eventLoopUtilization();
    this.windowStart = this.now();
  }

  /** Runs `work` (the read of an object of `size` listed bytes) once a slot is free. */
  async run<T>(size: number, work: () => Promise<T>): Promise<T> {
    await this.acquire(size);
    try {
      return await work();
    } finally {
      this.release(size);
    }
  }

  private acquire(size: number): Promise<void> | void {
    this.adapt();
    if (this.queue.length === 0 && this.fits(size)) return this.take(size);
    if (this.inFlight >= this.limit) this.starved = true;
    return new Promise((resolve) => this.queue.push({ size, go: () => resolve(this.take(size)) }));
  }

  private release(size: number): void {
    this.inFlight--;
    this.bytes -= size;
    this.adapt();
    while (this.queue.length > 0 && this.fits(this.queue[0].size)) this.queue.shift()!.go();
    if (this.queue.length > 0 && this.inFlight >= this.limit) this.starved = true;
  }

  private fits(size: number): boolean {
    return this.inFlight < this.limit && (this.inFlight === 0 || this.bytes + size <= this.budget);
  }

  private take(size: number): void {
    this.inFlight++;
    this.bytes += size;
    if (this.inFlight > this.peak) this.peak = this.inFlight;
  }

  /** At the end of each window: double the limit if reads waited for slots while the thread idled. */
  private adapt(): void {
    const t = this.now();
    if (t - this.windowStart < WINDOW_MS) return;
    const busy = this.utilization();
    if (this.starved && busy < IDLE_BELOW && this.limit < this.max) this.limit = Math.min(this.max, this.limit * 2);
    this.windowStart = t;
    this.starved = this.queue.length > 0 && this.inFlight >= this.limit;
  }
}

/** Event-loop utilization since the previous call (the first call: since this function was called). */
function eventLoopUtilization(): () => number {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, last);
    last = now;
    return delta.utilization;
  };
}
