/**
 * Stage: moves the objects a run must load into the staging tables, as they
 * arrive from the listing (a run does not wait for the whole listing).
 *
 * Small objects (song files are a few hundred bytes) are read in parallel and
 * committed many to a transaction; large ones are streamed, one transaction
 * each. One limiter per resource: `reads` (read-limiter.ts) bounds the small
 * objects being read from the source, adapting to the source's latency;
 * `transactions` bounds warehouse connections in flight. Memory is bounded:
 * at most `unitConcurrency + 1` units are held at once (each batch at most 500
 * objects or 16 MiB of source bytes, read whole; each streamed object one chunk
 * and one record), reads in flight are bounded by count and bytes, and the
 * objects not yet taken stay in the listing's read-ahead. A failed object does
 * not stop the others; a failed warehouse (or listing) does, after the work in
 * flight has settled.
 */
import pLimit from 'p-limit';
import type { Source, SourceObject } from '../extract/source.ts';
import { describeError, DISK_FULL, InterruptedError, SparkifyError, sqlStateOf, WarehouseError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { isLockTimeout } from '../warehouse/explain.ts';
import { DEFAULT_RETRY, isTransient, withRetry, type RetryPolicy } from '../common/retry.ts';
import type { StagingBackend } from './backend.ts';
import type { ObjectOutcome } from './outcome.ts';
import { ReadLimiter } from './read-limiter.ts';
import { readWholeObject, type WholeObject } from './read-object.ts';

export type { LocalStagingBackend, RemoteStagingBackend, StagingBackend } from './backend.ts';
export type { ObjectOutcome } from './outcome.ts';

/** How objects are grouped into load units (planUnits). */
export interface UnitLimits {
  /** Objects up to this size are read whole and batched (default 256 KiB); larger ones are streamed, one each. */
  smallObjectBytes?: number;
  /** Most objects in one batch transaction (default 500). */
  batchObjects?: number;
  /** Most listed source bytes in one batch transaction (default 16 MiB). */
  batchBytes?: number;
}

export interface StageOptions extends UnitLimits {
  /** The objects to stage (sorted by key), taken only as fast as units are staged. */
  objects: AsyncIterable<SourceObject> | Iterable<SourceObject>;
  /** The source each object is read from. */
  sourceOf: (o: SourceObject) => Source;
  /** Where the rows go. */
  backend: StagingBackend;
  log: Logger;
  progress?: StageProgress;
  /** At most this many small objects read from the source at once; undefined: it adapts (read-limiter.ts). */
  readConcurrency?: number;
  /** Transactions in flight (≤ pool size). */
  unitConcurrency: number;
  retry?: RetryPolicy;
  signal?: AbortSignal;
}

export interface StageProgress {
  bytes?(n: number): void;
  objectDone?(outcome: ObjectOutcome): void;
  objectFailed?(object: SourceObject, err: unknown): void;
}

export interface StageResult {
  /** Loaded objects that had rejects (the others were reported through `objectDone`). */
  outcomes: ObjectOutcome[];
  failed: { object: SourceObject; error: unknown }[];
  /** The most small objects read at once, and the limit the reads had reached. */
  reads: { peak: number; limit: number };
}

export type Unit = { kind: 'batch'; objects: SourceObject[] } | { kind: 'stream'; object: SourceObject };

/** Groups objects (sorted by key) into load units, as they arrive. */
export async function* planUnits(objects: AsyncIterable<SourceObject> | Iterable<SourceObject>, options: UnitLimits = {}): AsyncGenerator<Unit> {
  const small = options.smallObjectBytes ?? 256 * 1024;
  const maxObjects = options.batchObjects ?? 500;
  const maxBytes = options.batchBytes ?? 16 * 1024 * 1024;
  let batch: SourceObject[] = [];
  let batchBytes = 0;
  for await (const o of objects) {
    if (o.size > small) {
      yield { kind: 'stream', object: o };
      continue;
    }
    if (batch.length && (batch[0].dataset !== o.dataset || batch.length >= maxObjects || batchBytes + o.size > maxBytes)) {
      yield { kind: 'batch', objects: batch };
      batch = [];
      batchBytes = 0;
    }
    batch.push(o);
    batchBytes += o.size;
  }
  if (batch.length) yield { kind: 'batch', objects: batch };
}

/**
 * Stages `objects` (each from its source) through `backend`, taking them from
 * the iterable only as fast as units are staged. An error the iterable throws
 * (a listing that failed) stops the run like a broken warehouse.
 */
export async function stageObjects(options: StageOptions): Promise<StageResult> {
  const { objects, sourceOf, backend, log, progress = {} } = options;
  const outcomes: ObjectOutcome[] = [];
  const failed: StageResult['failed'] = [];
  const reads = new ReadLimiter({ fixed: options.readConcurrency });
  const transactions = pLimit(options.unitConcurrency);
  const policy = options.retry ?? DEFAULT_RETRY;
  let fatal: unknown;

  const retrying = <T>(what: string, work: () => Promise<T>) =>
    withRetry(work, policy, {
      signal: options.signal,
      isRetryable: (err) => !(err instanceof InterruptedError) && isTransient(err),
      onRetry: (err, attempt, delay) => log.warn(`${what}: ${describeError(err)}; retrying in ${delay} ms (attempt ${attempt + 1} of ${policy.attempts})`),
    });

  /** Reports one attempt's bytes, and takes them back if it fails: a retried object is not counted twice. */
  const counting =
    <T>(work: (onBytes: (n: number) => void) => Promise<T>) =>
    async (): Promise<T> => {
      let counted = 0;
      try {
        return await work((n) => {
          counted += n;
          progress.bytes?.(n);
        });
      } catch (err) {
        if (counted) progress.bytes?.(-counted);
        throw err;
      }
    };

  const succeed = (list: ObjectOutcome[]) => {
    for (const o of list) {
      // Only objects with rejects are kept (for their log lines): 100,000 clean ones cost nothing.
      if (o.rejects > 0) outcomes.push(o);
      progress.objectDone?.(o);
    }
  };
  const fail = (object: SourceObject, error: unknown) => {
    failed.push({ object, error });
    progress.objectFailed?.(object, error);
    const message = describeError(error);
    // Errors from below (a socket, a stream) may not say which object they hit.
    log.error(message.includes(object.key) ? message : `${object.key}: ${message}`);
  };
  /**
   * Errors that mean the warehouse (not one object) is broken: stop taking new work. A lock
   * wait that timed out is one (every next object would wait as long for the same lock), and
   * so is a full disk (every next object would fail the same way).
   */
  const isFatal = (err: unknown) =>
    err instanceof InterruptedError || isLockTimeout(err) || sqlStateOf(err) === DISK_FULL || (err instanceof SparkifyError && (err.code === 'CONNECTION' || (err instanceof WarehouseError && err.retryable)));

  /** A unit's transaction, once a connection is free; nothing when the run stopped meanwhile. */
  const transaction = (work: () => Promise<ObjectOutcome[]>) => transactions(() => (fatal || options.signal?.aborted ? Promise.resolve([]) : work()));

  async function runUnit(unit: Unit): Promise<void> {
    if (fatal || options.signal?.aborted) return;
    try {
      if (backend.kind === 'remote') {
        const list = unit.kind === 'stream' ? [unit.object] : unit.objects;
        succeed(await transaction(() => retrying(`load from ${list[0].key}`, () => backend.loadRemote(list))));
        return;
      }
      if (unit.kind === 'stream') {
        const o = unit.object;
        succeed(await transaction(async () => [await retrying(o.key, counting((onBytes) => backend.streamObject(sourceOf(o), o, { signal: options.signal, onBytes })))]));
        return;
      }
      // Every read settles before the batch goes on or fails: no read outlives its unit.
      const settled = await Promise.allSettled(
        unit.objects.map((o) =>
          reads.run(o.size, () =>
            retrying(o.key, counting((onBytes) => readWholeObject(sourceOf(o), o, { ...backend.readOptions, signal: options.signal, onBytes }))).catch((err: unknown) => {
              if (isFatal(err)) throw err;
              fail(o, err);
              return undefined;
            }),
          ),
        ),
      );
      const read = settled.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
      const broken = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (broken) {
        for (const r of read) r?.rejects.dispose();
        throw broken.reason;
      }
      const ok = read.filter((r): r is WholeObject => r !== undefined);
      try {
        if (ok.length) succeed(await transaction(() => retrying(`batch from ${ok[0].object.key}`, () => backend.commitBatch(ok))));
      } finally {
        for (const r of ok) r.rejects.dispose();
      }
    } catch (err) {
      if (isFatal(err) || options.signal?.aborted) {
        fatal ??= options.signal?.aborted && !(err instanceof InterruptedError) ? (options.signal.reason ?? err) : err;
        return;
      }
      for (const o of unit.kind === 'stream' ? [unit.object] : unit.objects) if (!failed.some((f) => f.object === o)) fail(o, err);
    }
  }

  // A unit is taken from the listing only when one of `held` slots is free: one more than the
  // transactions, so that the next batch is read while the others commit.
  const held = Math.max(1, options.unitConcurrency) + 1;
  const inFlight = new Set<Promise<void>>();
  try {
    for await (const unit of planUnits(objects, options)) {
      if (inFlight.size >= held) await Promise.race(inFlight);
      if (fatal || options.signal?.aborted) break;
      const p: Promise<void> = runUnit(unit).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  } catch (err) {
    fatal ??= options.signal?.aborted ? (options.signal.reason ?? err) : err;
  } finally {
    await Promise.all(inFlight);
  }
  if (fatal) throw fatal;
  if (options.signal?.aborted) throw options.signal.reason;
  return { outcomes, failed, reads: { peak: reads.peak, limit: reads.limit } };
}
