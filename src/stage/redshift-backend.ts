/**
 * Staging into Redshift, stage mode (default): rows are validated here exactly
 * as for Postgres, written as gzipped CSV parts to a run-unique S3 prefix,
 * and loaded with one `COPY … MANIFEST` per table inside the unit's
 * transaction; the parts are removed after commit (or failure). Redshift has
 * no COPY FROM STDIN (REDSHIFT-FACTS §5).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { STAGING_TABLE, stagingColumns, type Dataset } from '../datasets.ts';
import { copyCsvManifest } from '../dialect/redshift-copy.ts';
import { WarehouseError, pgFields } from '../errors.ts';
import { isTransient } from '../retry.ts';
import { decoding, isDecodeError } from '../extract/decode.ts';
import { rawText } from '../extract/raw-text.ts';
import { loadedVersion, type Source, type SourceObject } from '../extract/source.ts';
import { pipe } from '../pipe.ts';
import { inTransaction, type Warehouse } from '../warehouse/connect.ts';
import type { StagingBackend } from './backend.ts';
import { forgetObjects, lockForLoad, recordObjects, type ObjectOutcome } from './bookkeeping.ts';
import { findLoadErrorSource, readLoadErrors, type LoadErrorSource } from './load-errors.ts';
import { objectPipeline, readSteps, type ReadObject, type ReadOptions } from './read-object.ts';
import { REJECT_COLUMNS, type RejectSpool } from './reject-spool.ts';
import { StagingArea, type StagingLocation } from './s3-staging.ts';

export interface RedshiftStageSettings {
  iamRole: string;
  staging: StagingLocation;
  /** COPY … REGION, when the buckets are in another region than the cluster. */
  region?: string;
  partBytes?: number;
}

const NULL_MARKER = '\\N';

export function redshiftStageBackend(wh: Warehouse, runId: number, s3: S3Client, settings: RedshiftStageSettings, neverLoaded?: Set<string>): StagingBackend {
  const ctx = { names: wh.names, dialect: wh.dialect, neverLoaded };
  const area = new StagingArea(s3, settings.staging, runId);
  let units = 0;
  const readOptions: ReadOptions = {
    runId,
    format: 'csv',
    nullToken: NULL_MARKER,
    // Redshift limits are validated, never silently applied (SPEC §7).
    limits: { enforceWidths: true, nullMarker: NULL_MARKER },
    raw: { maxBytes: wh.dialect.rawMaxBytes, mustEscape: (t) => t === NULL_MARKER },
  };

  async function copy(client: pg.ClientBase, table: string, columns: readonly string[], manifestUrl: string, folder: string): Promise<number> {
    try {
      await client.query(copyCsvManifest({ table: wh.names.t(table), columns, manifestUrl, iamRole: settings.iamRole, region: settings.region }));
    } catch (err) {
      throw await loadError(err, table, folder);
    }
    const { rows } = await client.query('SELECT pg_last_copy_count() AS n');
    return Number(rows[0].n);
  }

  // Where a failed COPY's errors can be read, found at the first failure.
  let errorSource: Promise<LoadErrorSource> | undefined;

  /** A failed COPY's own errors live in a system view, not in the client error (REDSHIFT-FACTS §3). */
  async function loadError(err: unknown, table: string, folder: string): Promise<Error> {
    const fields = pgFields(err);
    if (!fields) return err as Error;
    let detail = '';
    try {
      // The folder is unique to this run and unit: its files are this COPY's.
      const [e] = await readLoadErrors(wh.pool, await (errorSource ??= findLoadErrorSource(wh.pool)), { fileLike: `%${folder}/%` }, 1);
      if (e) detail = `: ${e.file} line ${e.line}, column ${e.column}: ${e.reason} (${e.code})`;
    } catch {
      // The views are not readable (permissions): the client error is all we have.
    }
    return new WarehouseError('COPY', `COPY into ${table} failed${detail || `: ${(err as Error).message}`}`, { cause: err, table, sqlState: fields.code, retryable: isTransient(err) });
  }

  /** Uploads rows and rejects of a unit, then loads them in one transaction. */
  async function commit(dataset: Dataset, outcomes: ObjectOutcome[], folder: string, rowParts: string[], spools: readonly RejectSpool[]): Promise<void> {
    const rejects = area.writer(folder, 'rejects', { partBytes: settings.partBytes });
    for (const spool of spools) for await (const chunk of spool.chunks()) await rejects.write(chunk);
    const rejectParts = await rejects.finish();
    // An empty manifest fails a COPY (REDSHIFT-FACTS §9): no parts, no COPY.
    const rowsManifest = rowParts.length ? await area.manifest(folder, 'rows', rowParts) : undefined;
    const rejectsManifest = rejectParts.length ? await area.manifest(folder, 'rejects', rejectParts) : undefined;
    const expected = outcomes.reduce((n, o) => n + o.rows, 0);
    await inTransaction(wh.pool, async (client) => {
      await lockForLoad(client, ctx);
      await forgetObjects(client, ctx, dataset, outcomes.map((o) => o.object.key));
      if (rowsManifest) {
        const loaded = await copy(client, STAGING_TABLE[dataset], stagingColumns(dataset), rowsManifest, folder);
        if (loaded !== expected) throw new WarehouseError('COPY', `COPY into ${STAGING_TABLE[dataset]} loaded ${loaded} rows, ${expected} were staged`, { table: STAGING_TABLE[dataset] });
      }
      if (rejectsManifest) await copy(client, 'etl_rejects', REJECT_COLUMNS, rejectsManifest, folder);
      await recordObjects(client, ctx, runId, outcomes);
    });
  }

  async function commitBatch(items: readonly ReadObject[]): Promise<ObjectOutcome[]> {
    if (items.length === 0) return [];
    const folder = area.unit(`u${++units}`);
    const outcomes = items.map((i) => ({ object: i.object, rows: i.rows, rejects: i.rejects.count, format: i.format, samples: i.rejects.samples.slice(0, 3) }));
    try {
      const rows = area.writer(folder, 'rows', { partBytes: settings.partBytes });
      for (const i of items) for (const chunk of i.chunks) await rows.write(chunk);
      await commit(items[0].object.dataset, outcomes, folder, await rows.finish(), items.map((i) => i.rejects));
      return outcomes;
    } finally {
      // The items' reject spools belong to the caller, who may retry this call with them.
      await area.remove(folder);
    }
  }

  async function streamObject(source: Source, listed: SourceObject, hooks: { signal?: AbortSignal; onBytes?: (n: number) => void }): Promise<ObjectOutcome> {
    const folder = area.unit(`u${++units}`);
    const { encoder, reader } = objectPipeline(listed.dataset, listed.key, readOptions);
    try {
      const rows = area.writer(folder, 'rows', { partBytes: settings.partBytes });
      const opened = await source.open(listed, hooks.signal);
      const object = loadedVersion(listed, opened);
      const { stages, sourceRaw } = decoding(opened, listed.key, listed.size);
      try {
        await pipe([opened.body, ...stages, async (chunks: AsyncIterable<Buffer>) => {
          for await (const _ of readSteps(chunks, reader, hooks.onBytes)) {
            // A document known to be malformed writes nothing more; it is read to its end for its raw text.
            if (!reader.failed) await rows.write(encoder.take() ?? '');
          }
          if (!encoder.documentError) await rows.write(encoder.take() ?? '');
        }], { signal: hooks.signal });
      } catch (err) {
        if (!isDecodeError(err)) throw err;
        encoder.documentFailed(`object is not valid gzip: ${(err as Error).message}`, sourceRaw(readOptions.raw));
      }
      const parts = await rows.finish();
      // A document that failed as a whole contributes its one reject and no rows (the parts are removed with the folder).
      const outcome = { object, rows: encoder.rows, rejects: encoder.rejects.count, format: reader.format, samples: encoder.rejects.samples.slice(0, 3) };
      await commit(object.dataset, [outcome], folder, encoder.documentError ? [] : parts, [encoder.rejects]);
      return outcome;
    } finally {
      reader.dispose();
      encoder.rejects.dispose();
      await area.remove(folder);
    }
  }

  return { readOptions, readsLocally: true, commitBatch, streamObject, close: () => area.remove() };
}
