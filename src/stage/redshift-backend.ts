/**
 * Staging into Redshift, stage mode (default): rows are validated here exactly
 * as for Postgres, written as gzipped CSV parts to a run-unique S3 prefix,
 * and loaded with one `COPY … MANIFEST` per table inside the unit's
 * transaction; the parts are removed after commit (or failure). Redshift has
 * no COPY FROM STDIN (REDSHIFT-FACTS §5).
 *
 * A shard run (`defer`) stops before the warehouse: each unit's parts stay in
 * the run's folder with a descriptor written last (shard-parts.ts), and the
 * coordinator loads every shard's parts with one COPY per table — concurrent
 * COPYs into one Redshift table would only queue [DG:c_best-practices-single-copy-command].
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { STAGING_TABLE, stagingColumns, type Dataset } from '../common/datasets.ts';
import { WarehouseError } from '../common/errors.ts';
import type { Source, SourceObject } from '../extract/source.ts';
import type { Shard } from '../common/shard.ts';
import { NULL_MARKER } from '../dialect/redshift-staging.ts';
import { inTransaction, type Warehouse } from '../warehouse/connect.ts';
import { objectOutcome, type LocalStagingBackend } from './backend.ts';
import { forgetObjects, LEDGER, lockForLoad, recordObjects, registerShardArea, REJECT_COLUMNS } from '../ledger/index.ts';
import type { ObjectOutcome } from './outcome.ts';
import { copyManifest } from './copy-manifest.ts';
import { readObject, type ObjectRead, type ReadHooks, type ReadOptions, type WholeObject } from './read-object.ts';
import { type RejectSpool } from './reject-spool.ts';
import { StagingArea, type StagingLocation } from './s3-staging.ts';
import { writeUnitDescriptor } from './shard-parts.ts';

export interface RedshiftStageSettings {
  iamRole: string;
  staging: StagingLocation;
  /** COPY … REGION, when the buckets are in another region than the cluster. */
  region?: string;
  partBytes?: number;
  /** A shard run: leave each unit's parts for the coordinator instead of loading them. */
  defer?: Shard;
}

export function redshiftStageBackend(wh: Warehouse, runId: number, s3: S3Client, settings: RedshiftStageSettings, neverLoaded?: Set<string>): LocalStagingBackend {
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

  const copy = (client: pg.ClientBase, table: string, columns: readonly string[], manifestUrl: string, folder: string) =>
    copyManifest(wh, client, { table, columns, manifestUrl, iamRole: settings.iamRole, region: settings.region }, folder);

  // A shard run registers its folder once, before its first unit is complete (shard-parts.ts).
  let registered: Promise<string[]> | undefined;

  /**
   * Uploads rows and rejects of a unit, then loads them in one transaction —
   * or, in a shard run, writes the unit's descriptor, which makes the unit
   * complete for the coordinator (it returns true: the folder stays).
   */
  async function commit(dataset: Dataset, outcomes: ObjectOutcome[], folder: string, rowParts: string[], spools: readonly RejectSpool[]): Promise<boolean> {
    const rejects = area.writer(folder, 'rejects', { partBytes: settings.partBytes });
    for (const spool of spools) for await (const chunk of spool.chunks()) await rejects.write(chunk);
    const rejectParts = await rejects.finish();
    if (settings.defer) {
      const shard = settings.defer;
      await (registered ??= registerShardArea(wh, shard, area.url(area.prefix)));
      await writeUnitDescriptor(s3, area.bucket, folder, { runId, shard, dataset, rows: rowParts, rejects: rejectParts, objects: outcomes.map((o) => ({ ...o.object, rows: o.rows, rejects: o.rejects, format: o.format })) });
      return true;
    }
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
      if (rejectsManifest) await copy(client, LEDGER.rejects, REJECT_COLUMNS, rejectsManifest, folder);
      await recordObjects(client, ctx, runId, outcomes);
    });
    return false;
  }

  /**
   * A unit's folder: numbered, or in a shard run named after its objects, so
   * that a retry of the unit writes over what an attempt left (a descriptor
   * whose write seemed to fail, say) instead of beside it.
   */
  const unitFolder = (objects: readonly SourceObject[]) =>
    area.unit(settings.defer ? `u-${createHash('sha256').update(objects.map((o) => o.key).join('\n')).digest('hex').slice(0, 24)}` : `u${++units}`);

  async function commitBatch(items: readonly WholeObject[]): Promise<ObjectOutcome[]> {
    if (items.length === 0) return [];
    const folder = unitFolder(items.map((i) => i.object));
    const outcomes = items.map(objectOutcome);
    let keep = false;
    try {
      const rows = area.writer(folder, 'rows', { partBytes: settings.partBytes });
      for (const i of items) for (const chunk of i.chunks) await rows.write(chunk);
      keep = await commit(items[0].object.dataset, outcomes, folder, await rows.finish(), items.map((i) => i.rejects));
      return outcomes;
    } finally {
      // The items' reject spools belong to the caller, who may retry this call with them.
      if (!keep) await area.remove(folder);
    }
  }

  async function streamObject(source: Source, listed: SourceObject, hooks: ReadHooks): Promise<ObjectOutcome> {
    const folder = unitFolder([listed]);
    let read: ObjectRead | undefined;
    let keep = false;
    try {
      const rows = area.writer(folder, 'rows', { partBytes: settings.partBytes });
      read = await readObject(source, listed, { ...readOptions, ...hooks }, async (chunks) => {
        for await (const chunk of chunks) await rows.write(chunk);
      });
      const parts = await rows.finish();
      // A document that failed as a whole contributes its one reject and no rows (the parts are removed with the folder).
      const outcome = objectOutcome(read);
      keep = await commit(read.object.dataset, [outcome], folder, read.documentFailed ? [] : parts, [read.rejects]);
      return outcome;
    } finally {
      read?.rejects.dispose();
      if (!keep) await area.remove(folder);
    }
  }

  /** The run's folder goes, unless it holds a shard's parts: then what earlier runs of the shard left goes. */
  async function close(): Promise<void> {
    if (!settings.defer) return area.remove();
    for (const url of registered ? await registered.catch(() => []) : []) await area.removeUrl(url);
  }

  return { kind: 'local', readOptions, commitBatch, streamObject, close };
}
