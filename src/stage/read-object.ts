/**
 * Reads a whole object into memory as CSV rows and rejects: used for small
 * objects, which are then committed many to a transaction (a song object is
 * a few hundred bytes; one COPY per object would cost more than the data).
 */
import type { Readable } from 'node:stream';
import { pipe } from '../common/pipe.ts';
import type { Dataset } from '../common/datasets.ts';
import { decoding, isDecodeError } from '../extract/decode.ts';
import { ObjectReader, type Format } from '../extract/object-reader.ts';
import { loadedVersion, type Source, type SourceObject } from '../extract/source.ts';
import type { PieceSettings } from './encode-piece.ts';
import type { EncodePool } from './encode-pool.ts';
import { ObjectEncoder, type EncoderOptions } from './object-encoder.ts';
import { ParallelEncoder, type ParallelOptions } from './parallel-encoder.ts';
import { RejectSpool } from './reject-spool.ts';

export interface ReadOptions extends EncoderOptions {
  runId: number;
  maxRecordBytes?: number;
  signal?: AbortSignal;
  /** Called with the number of decoded bytes as they are read. */
  onBytes?: (n: number) => void;
  /** Worker threads that encode NDJSON lines into binary rows (parallel-encoder.ts); none: this thread does. */
  workers?: WorkerOptions;
}

export interface WorkerOptions extends ParallelOptions {
  pool: EncodePool;
  /** Objects smaller than this are encoded on this thread: a piece's trip costs more than their lines (default 64 KiB). */
  minObjectBytes?: number;
}

/** An object read in full: its encoded rows (for its staging table) and its rejects. */
export interface ReadObject {
  object: SourceObject;
  chunks: (Buffer | string)[];
  rows: number;
  rejects: RejectSpool;
  format: Format | undefined;
}

/**
 * Everything needed to turn one object's bytes into rows and rejects: its
 * encoder, its reader, and — when worker threads encode its lines — the
 * reader's sink that sends them there (`parallel`), whose `output()` then
 * gives the rows and whose `rows` counts them.
 */
export function objectPipeline(dataset: Dataset, key: string, options: ReadOptions): { encoder: ObjectEncoder; reader: ObjectReader; parallel?: ParallelEncoder } {
  const spool = new RejectSpool(options.runId, options.nullToken);
  const encoder = new ObjectEncoder(dataset, key, spool, options);
  const settings = options.workers && (options.sizeHint ?? Infinity) >= (options.workers.minObjectBytes ?? 64 * 1024) ? pieceSettings(dataset, key, options) : undefined;
  const parallel = settings && new ParallelEncoder(encoder, options.workers!.pool, settings, options.workers);
  const reader = new ObjectReader(parallel ?? encoder, { raw: options.raw, maxRecordBytes: options.maxRecordBytes });
  return { encoder, reader, parallel };
}

/** What a worker needs to encode this object's lines; undefined when a worker cannot (CSV rows, raw text escaped by a function). */
function pieceSettings(dataset: Dataset, key: string, options: ReadOptions): PieceSettings | undefined {
  if (options.format !== 'binary' || options.raw.mustEscape !== undefined) return undefined;
  return { dataset, key, limits: { ...options.limits }, nullToken: options.nullToken, rawMaxBytes: options.raw.maxBytes, maxRecordBytes: options.maxRecordBytes };
}

/**
 * Feeds `body` to `reader` and yields after every step of the reader's work
 * (a chunk read, a slice of a long line read back), so the caller can take the
 * encoder's rows in between, with backpressure.
 */
export async function* readSteps(body: AsyncIterable<Buffer>, reader: ObjectReader, onBytes?: (n: number) => void): AsyncGenerator<void> {
  for await (const chunk of body) {
    onBytes?.(chunk.length);
    reader.push(chunk);
    yield;
    while (reader.pump()) yield;
  }
  reader.end();
  yield;
  while (reader.pump()) yield;
}

/** Reads `body` with `consume`, destroying it if `signal` aborts. */
async function consumeAbortable(body: Readable, consume: (b: AsyncIterable<Buffer>) => Promise<void>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  const stop = () => body.destroy(signal.reason as Error);
  signal.addEventListener('abort', stop, { once: true });
  try {
    await consume(body);
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

export async function readWholeObject(source: Source, object: SourceObject, options: ReadOptions): Promise<ReadObject> {
  const opened = await source.open(object, options.signal);
  const { encoder, reader, parallel } = objectPipeline(object.dataset, object.key, { ...options, sizeHint: object.size });
  const chunks: (Buffer | string)[] = [];
  const consume = async (body: AsyncIterable<Buffer>) => {
    for await (const _ of readSteps(body, reader, options.onBytes)) {
      // With workers, rows of this thread come in line order through the parallel sink too.
      if (parallel) for await (const out of parallel.output(false)) chunks.push(out);
      else {
        const out = encoder.take();
        if (out) chunks.push(out);
      }
    }
    if (parallel) for await (const out of parallel.output(true)) chunks.push(out);
  };
  const { stages, sourceRaw } = decoding(opened, object.key, object.size);
  try {
    // A plain body is read directly: pipeline() costs an AbortController per call,
    // which shows on a run of 100,000 tiny objects. for-await destroys the body on error.
    if (stages.length === 0 && !options.signal) await consume(opened.body);
    else if (stages.length === 0) await consumeAbortable(opened.body, consume, options.signal!);
    else await pipe([opened.body, ...stages, consume], { signal: options.signal });
  } catch (err) {
    if (!isDecodeError(err)) {
      encoder.rejects.dispose();
      throw err;
    }
    (parallel ?? encoder).documentFailed(`object is not valid gzip: ${(err as Error).message}`, sourceRaw(options.raw));
  } finally {
    reader.dispose();
  }
  return { object: loadedVersion(object, opened), chunks: encoder.documentError ? [] : chunks, rows: (parallel ?? encoder).rows, rejects: encoder.rejects, format: reader.format };
}
