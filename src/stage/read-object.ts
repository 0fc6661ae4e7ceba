/**
 * The one way an object is read, whichever warehouse its rows go to: opened,
 * decoded (gunzip), split into records by the format rule, validated and
 * encoded (object-encoder.ts, on worker threads when there are some), its
 * rows handed on in pieces as they are made and its rejects spooled. A
 * backend only says where the rows go (`into`): a COPY stream (Postgres), CSV
 * parts on S3 (Redshift), or memory (`readWholeObject`, for small objects,
 * which are then committed many to a transaction: a song object is a few
 * hundred bytes and one COPY per object would cost more than the data).
 *
 * An object that fails as a whole — a malformed JSON document, a broken gzip
 * stream — is one reject and no rows: once that is known no more rows are
 * handed on, the reader reads on to the end (for the reject's raw text), and
 * then the rows the destination is reading fail with an error, so that it
 * keeps none of them (a COPY is aborted); the result says `documentFailed`.
 */
import type { Readable } from 'node:stream';
import { pipe } from '../common/pipe.ts';
import { bytesRead } from '../common/gc-by-bytes.ts';
import type { Dataset } from '../common/datasets.ts';
import { decoding, isDecodeError } from '../extract/decode.ts';
import { ObjectReader, type Format } from '../extract/object-reader.ts';
import { loadedVersion, type Source, type SourceObject } from '../extract/source.ts';
import type { PieceSettings } from './encode-piece.ts';
import type { EncodePool } from './encode-pool.ts';
import { ObjectEncoder, type EncoderOptions } from './object-encoder.ts';
import { ParallelEncoder, type ParallelOptions } from './parallel-encoder.ts';
import { RejectSpool } from './reject-spool.ts';

/** What the scheduler adds to a backend's read options for each read. */
export interface ReadHooks {
  signal?: AbortSignal;
  /** Called with the number of decoded bytes as they are read. */
  onBytes?: (n: number) => void;
}

export interface ReadOptions extends EncoderOptions, ReadHooks {
  runId: number;
  maxRecordBytes?: number;
  /** Worker threads that encode NDJSON lines into binary rows (parallel-encoder.ts); none: this thread does. */
  workers?: WorkerOptions;
  /** Rows are handed on in pieces of at least this many bytes, but the last (default 0: whatever each step of the reader made). */
  flushBytes?: number;
}

export interface WorkerOptions extends ParallelOptions {
  pool: EncodePool;
  /** Objects smaller than this are encoded on this thread: a piece's trip costs more than their lines (default 64 KiB). */
  minObjectBytes?: number;
}

/** One object read: the version read, its rows staged, its rejects (the caller disposes of them) and its format. */
export interface ObjectRead {
  object: SourceObject;
  rows: number;
  rejects: RejectSpool;
  format: Format | undefined;
  /** The object failed as a whole: its one reject is in `rejects`, `rows` is 0, and the destination's rows ended in an error. */
  documentFailed: boolean;
}

/** An object read in full: its encoded rows (for its staging table) as well. */
export interface WholeObject extends ObjectRead {
  chunks: (Buffer | string)[];
}

/**
 * Where a read's rows go: consumes them all, with backpressure, and settles
 * when they are where they go; if the rows fail (an object that failed as a
 * whole, a source that broke), it must keep none of them and fail too.
 */
export type RowDestination = (rows: AsyncIterable<Buffer | string>) => Promise<void>;

/**
 * Reads `listed` from `source` and hands its rows to `into`. On an error
 * (the source's, or the destination's) the rejects are disposed of and it throws.
 */
export async function readObject(source: Source, listed: SourceObject, options: ReadOptions, into: RowDestination): Promise<ObjectRead> {
  const opened = await source.open(listed, options.signal);
  const { encoder, reader, parallel } = objectPipeline(listed.dataset, listed.key, options);
  const sink = parallel ?? encoder;
  const { stages, sourceRaw } = decoding(opened, listed.key, listed.size);
  const consume = (body: AsyncIterable<Buffer>) => into(encodedRows(body, reader, encoder, parallel, options));
  try {
    // A plain body is read directly: pipeline() costs an AbortController per call,
    // which shows on a run of 100,000 tiny objects. for-await destroys the body on error.
    if (stages.length === 0 && !options.signal) await consume(opened.body);
    else if (stages.length === 0) await consumeAbortable(opened.body, consume, options.signal!);
    else await pipe([opened.body, ...stages, consume], { signal: options.signal });
  } catch (err) {
    // A destination that failed before it read anything leaves the body open: a socket held.
    opened.body.destroy();
    if (isDecodeError(err)) sink.documentFailed(`object is not valid gzip: ${(err as Error).message}`, sourceRaw(options.raw));
    else if (!(err instanceof DocumentFailed)) {
      encoder.rejects.dispose();
      throw err;
    }
  } finally {
    reader.dispose();
  }
  return { object: loadedVersion(listed, opened), rows: sink.rows, rejects: encoder.rejects, format: reader.format, documentFailed: encoder.documentError !== undefined };
}

/** Reads a whole object into memory (its rows none when it failed as a whole). */
export async function readWholeObject(source: Source, object: SourceObject, options: ReadOptions): Promise<WholeObject> {
  const chunks: (Buffer | string)[] = [];
  const read = await readObject(source, object, { ...options, sizeHint: object.size }, async (rows) => {
    for await (const out of rows) chunks.push(out);
  });
  return { ...read, chunks: read.documentFailed ? [] : chunks };
}

/**
 * Everything needed to turn one object's bytes into rows and rejects: its
 * encoder, its reader, and — when worker threads encode its lines — the
 * reader's sink that sends them there (`parallel`), whose `output()` then
 * gives the rows and whose `rows` counts them.
 */
function objectPipeline(dataset: Dataset, key: string, options: ReadOptions): { encoder: ObjectEncoder; reader: ObjectReader; parallel?: ParallelEncoder } {
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
 * The rows of `body` as the encoder makes them, read step by step (a chunk
 * read, a slice of a long line read back) so that rows are taken in between,
 * with backpressure. A document known to be malformed gives nothing more,
 * and fails at the end.
 */
async function* encodedRows(body: AsyncIterable<Buffer>, reader: ObjectReader, encoder: ObjectEncoder, parallel: ParallelEncoder | undefined, options: ReadOptions): AsyncGenerator<Buffer | string> {
  const flush = options.flushBytes ?? 0;
  for await (const _ of readSteps(body, reader, options.onBytes)) {
    if (reader.failed) continue;
    // With workers, rows come back in line order (waiting while too many pieces are out), this thread's too.
    if (parallel) yield* parallel.output(false, flush);
    else if (encoder.pendingBytes > 0 && encoder.pendingBytes >= flush) yield encoder.take()!;
  }
  if (encoder.documentError) throw new DocumentFailed();
  if (parallel) yield* parallel.output(true);
  const out = encoder.take();
  if (out) yield out;
}

/** Ends the rows of an object that failed as a whole (its reject is in its spool already). */
class DocumentFailed extends Error {
  constructor() {
    super('the object failed as a whole');
    this.name = 'DocumentFailed';
  }
}

/** Feeds `body` to `reader` and yields after every step of the reader's work. */
async function* readSteps(body: AsyncIterable<Buffer>, reader: ObjectReader, onBytes?: (n: number) => void): AsyncGenerator<void> {
  for await (const chunk of body) {
    onBytes?.(chunk.length);
    bytesRead(chunk.length);
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
