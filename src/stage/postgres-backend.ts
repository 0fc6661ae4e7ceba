/**
 * Staging into Postgres: binary rows (rejects: CSV) through `COPY … FROM STDIN`
 * (pg-copy-streams), with backpressure from the COPY all the way back to the
 * object body. Objects are read the one way (read-object.ts); this backend
 * only says where their rows go.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { STAGING_TABLE, stagingColumns, type Dataset } from '../common/datasets.ts';
import { DISK_FULL, DISK_FULL_HINT, WarehouseError, pgFields } from '../common/errors.ts';
import { isTransient } from '../common/retry.ts';
import type { Source, SourceObject } from '../extract/source.ts';
import { copyFromStdin } from '../dialect/postgres-copy.ts';
import { inTransaction, type Warehouse } from '../warehouse/connect.ts';
import { objectOutcome, type LocalStagingBackend } from './backend.ts';
import { forgetObjects, LEDGER, recordObjects, REJECT_COLUMNS } from '../ledger/index.ts';
import type { ObjectOutcome } from './outcome.ts';
import { readObject, type ObjectRead, type ReadHooks, type ReadOptions, type WholeObject } from './read-object.ts';
import { type RejectSpool } from './reject-spool.ts';
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

export function postgresBackend(wh: Warehouse, runId: number, neverLoaded?: Set<string>, options: PostgresBackendOptions = {}): LocalStagingBackend {
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

  /** COPYs rows into a table; the caller's transaction makes it atomic. */
  async function copy(client: pg.ClientBase, table: string, columns: readonly string[], format: 'csv' | 'binary', source: AsyncIterable<string | Buffer> | Iterable<string | Buffer>, from?: { key: string; signal?: AbortSignal }): Promise<void> {
    try {
      await pipeline(Readable.from(source, { objectMode: false }), client.query(copyFrom(copyFromStdin(wh.names.t(table), columns, format))), { signal: from?.signal });
    } catch (err) {
      throw copyError(err, table, from?.key);
    }
  }

  /** A streamed object's rows as one binary COPY stream. */
  async function* binaryStream(rows: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer | string> {
    yield BINARY_HEADER;
    yield* rows;
    yield BINARY_TRAILER;
  }

  async function copyRejects(client: pg.ClientBase, spools: readonly RejectSpool[]): Promise<void> {
    const withRows = spools.filter((s) => s.count > 0);
    if (withRows.length === 0) return;
    await copy(client, LEDGER.rejects, REJECT_COLUMNS, 'csv', (async function* () {
      for (const s of withRows) yield* s.chunks();
    })());
  }

  async function commitBatch(items: readonly WholeObject[]): Promise<ObjectOutcome[]> {
    if (items.length === 0) return [];
    const dataset = items[0].object.dataset;
    const outcomes = items.map(objectOutcome);
    // The items' reject spools belong to the caller, who may retry this call with them.
    await inTransaction(wh.pool, async (client) => {
      await forgetObjects(client, ctx, dataset, items.map((i) => i.object.key));
      if (items.some((i) => i.rows > 0)) await copy(client, STAGING_TABLE[dataset], stagingColumns(dataset), 'binary', [BINARY_HEADER, ...items.flatMap((i) => i.chunks), BINARY_TRAILER]);
      await copyRejects(client, items.map((i) => i.rejects));
      await recordObjects(client, ctx, runId, outcomes);
    });
    return outcomes;
  }

  async function streamObject(source: Source, listed: SourceObject, hooks: ReadHooks): Promise<ObjectOutcome> {
    const dataset: Dataset = listed.dataset;
    // Body chunks from S3 are ~16 KiB: COPY gets fewer, larger messages.
    const options = { ...readOptions, ...hooks, flushBytes: COPY_WRITE_BYTES };
    let read: ObjectRead | undefined;
    try {
      return await inTransaction(wh.pool, async (client) => {
        await forgetObjects(client, ctx, dataset, [listed.key]);
        read = await readObject(source, listed, options, (rows) => copy(client, STAGING_TABLE[dataset], stagingColumns(dataset), 'binary', binaryStream(rows), { key: listed.key, signal: hooks.signal }));
        if (read.documentFailed) throw new DocumentRejected();
        await copyRejects(client, [read.rejects]);
        const outcome = objectOutcome(read);
        await recordObjects(client, ctx, runId, [outcome]);
        return outcome;
      });
    } catch (err) {
      if (!(err instanceof DocumentRejected)) throw err;
      // Rows of it may already have gone into the rolled-back COPY: load it again as one reject.
      const [outcome] = await commitBatch([{ ...read!, chunks: [] }]);
      return outcome;
    } finally {
      read?.rejects.dispose();
    }
  }

  return { kind: 'local', readOptions, commitBatch, streamObject, close: async () => pool?.close() };
}

/** Rolls back a streamed object's transaction when the object turns out to be one malformed document. */
class DocumentRejected extends Error {
  constructor() {
    super('document rejected');
    this.name = 'DocumentRejected';
  }
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
