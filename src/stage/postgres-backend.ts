/**
 * Staging into Postgres: CSV through `COPY … FROM STDIN` (pg-copy-streams),
 * with backpressure from the COPY all the way back to the object body.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { STAGING_TABLE, stagingColumns, type Dataset } from '../common/datasets.ts';
import { DISK_FULL, DISK_FULL_HINT, WarehouseError, pgFields } from '../common/errors.ts';
import { isTransient } from '../common/retry.ts';
import { pipe } from '../common/pipe.ts';
import { decoding, isDecodeError, type Decoding } from '../extract/decode.ts';
import { loadedVersion, type Source, type SourceObject } from '../extract/source.ts';
import { inTransaction, type Warehouse } from '../warehouse/connect.ts';
import { DocumentRejected, type StagingBackend } from './backend.ts';
import { forgetObjects, recordObjects } from '../ledger/index.ts';
import type { ObjectOutcome } from './outcome.ts';
import { objectPipeline, readSteps, type ReadObject, type ReadOptions } from './read-object.ts';
import { REJECT_COLUMNS, RejectSpool } from './reject-spool.ts';
import { BINARY_HEADER, BINARY_TRAILER } from './binary-copy.ts';
import { EncodePool } from './encode-pool.ts';
import type { ParallelOptions } from './parallel-encoder.ts';

const { from: copyFrom } = pgCopy;

/** Rows of a streamed object are written to its COPY in pieces of at least this many bytes. */
const COPY_WRITE_BYTES = 128 * 1024;

export interface PostgresBackendOptions extends ParallelOptions {
  /** Worker threads that encode NDJSON lines (default 0: this thread encodes everything). */
  workers?: number;
  /** Objects smaller than this are encoded on this thread (default 64 KiB). */
  minObjectBytes?: number;
  /** Longest record (default 16 MiB, object-reader.ts). */
  maxRecordBytes?: number;
}

export function postgresBackend(wh: Warehouse, runId: number, neverLoaded?: Set<string>, options: PostgresBackendOptions = {}): StagingBackend {
  const ctx = { names: wh.names, dialect: wh.dialect, neverLoaded };
  // Started on first use, stopped by close().
  const pool = options.workers ? new EncodePool(options.workers) : undefined;
  const readOptions: ReadOptions = {
    runId,
    format: 'binary',
    nullToken: wh.dialect.csvNull,
    limits: { enforceWidths: wh.dialect.enforcesWidths },
    raw: { maxBytes: wh.dialect.rawMaxBytes },
    maxRecordBytes: options.maxRecordBytes,
    workers: pool && { pool, pieceBytes: options.pieceBytes, maxPieces: options.maxPieces, minObjectBytes: options.minObjectBytes },
  };

  const copyStatement = (table: string, columns: readonly string[], format: 'csv' | 'binary') => `COPY ${wh.names.t(table)} (${columns.join(', ')}) FROM STDIN WITH (FORMAT ${format})`;

  /** COPYs rows into a table; the caller's transaction makes it atomic. */
  async function copy(client: pg.ClientBase, table: string, columns: readonly string[], format: 'csv' | 'binary', source: AsyncIterable<string | Buffer> | Iterable<string | Buffer>): Promise<void> {
    try {
      await pipeline(Readable.from(source, { objectMode: false }), client.query(copyFrom(copyStatement(table, columns, format))));
    } catch (err) {
      throw copyError(err, table);
    }
  }

  /** Staged rows of several objects as one binary COPY stream. */
  function* binaryStream(items: readonly ReadObject[]): Generator<Buffer | string> {
    yield BINARY_HEADER;
    for (const i of items) yield* i.chunks;
    yield BINARY_TRAILER;
  }

  async function copyRejects(client: pg.ClientBase, spools: readonly RejectSpool[]): Promise<void> {
    const withRows = spools.filter((s) => s.count > 0);
    if (withRows.length === 0) return;
    await copy(client, 'etl_rejects', REJECT_COLUMNS, 'csv', (async function* () {
      for (const s of withRows) yield* s.chunks();
    })());
  }

  async function commitBatch(items: readonly ReadObject[]): Promise<ObjectOutcome[]> {
    if (items.length === 0) return [];
    const dataset = items[0].object.dataset;
    const outcomes = items.map((i) => ({ object: i.object, rows: i.rows, rejects: i.rejects.count, format: i.format, samples: i.rejects.samples.slice(0, 3) }));
    // The items' reject spools belong to the caller, who may retry this call with them.
    await inTransaction(wh.pool, async (client) => {
      await forgetObjects(client, ctx, dataset, items.map((i) => i.object.key));
      if (items.some((i) => i.rows > 0)) await copy(client, STAGING_TABLE[dataset], stagingColumns(dataset), 'binary', binaryStream(items));
      await copyRejects(client, items.map((i) => i.rejects));
      await recordObjects(client, ctx, runId, outcomes);
    });
    return outcomes;
  }

  async function streamObject(source: Source, listed: SourceObject, hooks: { signal?: AbortSignal; onBytes?: (n: number) => void }): Promise<ObjectOutcome> {
    const dataset: Dataset = listed.dataset;
    const { encoder, reader, parallel } = objectPipeline(dataset, listed.key, readOptions);
    let object = listed;
    let decoded: Decoding | undefined;
    try {
      return await inTransaction(wh.pool, async (client) => {
        await forgetObjects(client, ctx, dataset, [listed.key]);
        const opened = await source.open(listed, hooks.signal);
        object = loadedVersion(listed, opened);
        decoded = decoding(opened, listed.key, listed.size);
        const rows = async function* (chunks: AsyncIterable<Buffer>) {
          yield BINARY_HEADER;
          for await (const _ of readSteps(chunks, reader, hooks.onBytes)) {
            // Body chunks from S3 are ~16 KiB: COPY gets fewer, larger messages. A document
            // known to be malformed sends nothing more; it is read to its end for its raw text.
            if (reader.failed) continue;
            // With workers, rows come back in line order (waiting while too many pieces are out).
            if (parallel) yield* parallel.output(false, COPY_WRITE_BYTES);
            else if (encoder.pendingBytes >= COPY_WRITE_BYTES) yield encoder.take()!;
          }
          if (encoder.documentError) throw new DocumentRejected();
          if (parallel) yield* parallel.output(true);
          const out = encoder.take();
          if (out) yield out;
          yield BINARY_TRAILER;
        };
        try {
          await pipe([opened.body, ...decoded.stages, rows, client.query(copyFrom(copyStatement(STAGING_TABLE[dataset], stagingColumns(dataset), 'binary')))], { signal: hooks.signal });
        } catch (err) {
          if (err instanceof DocumentRejected || isDecodeError(err)) throw err;
          throw copyError(err, STAGING_TABLE[dataset], listed.key);
        }
        await copyRejects(client, [encoder.rejects]);
        const outcome = { object, rows: (parallel ?? encoder).rows, rejects: encoder.rejects.count, format: reader.format, samples: encoder.rejects.samples.slice(0, 3) };
        await recordObjects(client, ctx, runId, [outcome]);
        return outcome;
      });
    } catch (err) {
      if (!(err instanceof DocumentRejected) && !isDecodeError(err)) throw err;
      // Rows of it may already have gone into the rolled-back COPY: load it again as one reject.
      if (isDecodeError(err)) (parallel ?? encoder).documentFailed(`object is not valid gzip: ${(err as Error).message}`, decoded!.sourceRaw(readOptions.raw));
      const [outcome] = await commitBatch([{ object, chunks: [], rows: 0, rejects: encoder.rejects, format: reader.format }]);
      return outcome;
    } finally {
      reader.dispose();
      encoder.rejects.dispose();
    }
  }

  return { readOptions, readsLocally: true, commitBatch, streamObject, close: async () => pool?.close() };
}

/** A failed COPY, naming the table (and object) and keeping pg's error. */
export function copyError(err: unknown, table: string, key?: string): Error {
  if (err instanceof WarehouseError) return err;
  const fields = pgFields(err);
  if (!fields) return err as Error; // a source error surfaced through the pipeline
  const where = key ? ` from ${key}` : '';
  return new WarehouseError('COPY', `COPY into ${table}${where} failed: ${(err as Error).message}${fields.where ? ` (${fields.where.split('\n')[0]})` : ''}`, {
    cause: err,
    table,
    sqlState: fields.code,
    retryable: isTransient(err),
    hint: fields.code === DISK_FULL ? DISK_FULL_HINT : undefined,
  });
}
