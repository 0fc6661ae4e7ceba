/**
 * Shards on Redshift: each shard run writes its units' gzipped CSV parts to
 * the staging prefix and leaves them there; `sparkify model` (or the next
 * unsharded run) loads all of them with one COPY per table, since concurrent
 * COPYs into one Redshift table only queue [DG:c_best-practices-single-copy-command].
 *
 * Layout, under the staging prefix: a shard run's own folder
 * `sparkify-run-<run>-<random>/`, one sub-folder per unit (`u-<hash of its
 * keys>/rows-0000.csv.gz…`, `rejects-0000.csv.gz…`) and, written last, the
 * unit's descriptor `unit.json`: its objects (key, version, rows, rejects)
 * and the URLs of its parts. A unit without a descriptor is incomplete and is
 * never loaded. The warehouse knows which folders to read: each shard
 * registers its folder in the ledger (ledger/state.ts) before its first unit
 * is complete, and a rerun of the shard discards what the earlier run left
 * (its objects are not in the ledger, so the rerun stages them
 * again). The coordinator's merge is one transaction: forget the objects'
 * old rows, COPY each table from one manifest of every part, record the
 * objects, unregister the folders; then it deletes them.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { STAGING_TABLE, stagingColumns, type Dataset } from '../common/datasets.ts';
import { ConfigError, describeError, WarehouseError } from '../common/errors.ts';
import { s3Error } from '../extract/s3-source.ts';
import type { SourceObject } from '../extract/source.ts';
import type { Logger } from '../common/log.ts';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from '../common/retry.ts';
import { shardName, type Shard } from '../common/shard.ts';
import { inTransaction, type Warehouse } from '../warehouse/connect.ts';
import { forgetObjects, LEDGER, loadedKeys, lockForLoad, pendingShardAreas, recordObjects, REJECT_COLUMNS, unregisterShardAreas } from '../ledger/index.ts';
import type { ObjectOutcome } from './outcome.ts';
import { copyManifest } from './copy-manifest.ts';
import { listFolder, parseS3Url, StagingArea, type StagingLocation } from './s3-staging.ts';

const DESCRIPTOR = 'unit.json';

/** One object of a unit, as its descriptor records it. */
export interface UnitObject extends SourceObject {
  rows: number;
  rejects: number;
  format?: string;
}

/** What a shard run left of one unit. */
export interface UnitDescriptor {
  runId: number;
  shard: Shard;
  dataset: Dataset;
  /** s3:// URLs of the unit's row parts and reject parts (gzipped CSV). */
  rows: string[];
  rejects: string[];
  objects: UnitObject[];
}

/** Writes a unit's descriptor: the last write of a unit, which makes it complete. */
export async function writeUnitDescriptor(s3: S3Client, bucket: string, folder: string, unit: UnitDescriptor): Promise<void> {
  const key = `${folder}/${DESCRIPTOR}`;
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(unit), ContentType: 'application/json' }));
  } catch (err) {
    throw s3Error(err, `cannot write s3://${bucket}/${key}`);
  }
}

export interface MergeSettings {
  iamRole: string;
  /** The coordinator's staging prefix: the shards' folders must be in its bucket. */
  staging: StagingLocation;
  /** COPY … REGION, when the staging bucket is in another region than the cluster. */
  region?: string;
  retry?: RetryPolicy;
  signal?: AbortSignal;
}

export interface MergeResult {
  /** Shard folders read, and complete units found in them. */
  areas: number;
  units: number;
  objects: number;
  rows: number;
  rejects: number;
}

/**
 * The coordinator's step: loads every complete unit the shards left into the
 * staging tables, in one transaction with one COPY per table, and records
 * their objects as loaded (and changed, for the model step). Returns
 * undefined when no shard left anything.
 */
export async function mergeShardParts(wh: Warehouse, s3: S3Client, runId: number, settings: MergeSettings, log: Logger): Promise<MergeResult | undefined> {
  const areas = await pendingShardAreas(wh.pool, wh.names);
  if (areas.length === 0) return undefined;
  for (const a of areas) {
    const { bucket } = parseS3Url(a.url);
    if (bucket !== settings.staging.bucket) {
      throw new ConfigError(`${a.shard} left its parts in ${a.url}, outside this run's staging bucket s3://${settings.staging.bucket}`, { hint: 'build the star schema with the same --staging-prefix ([S3] STAGING_PREFIX) as the shards' });
    }
  }
  const units = await readUnits(s3, areas.map((a) => a.url));
  const area = new StagingArea(s3, settings.staging, runId);
  const result: MergeResult = { areas: areas.length, units: units.length, objects: 0, rows: 0, rejects: 0 };
  try {
    const folder = area.unit('merge');
    const manifest = async (name: string, urls: string[]) => (urls.length ? area.manifest(folder, name, urls) : undefined);
    const tables = (['events', 'songs'] as const).map((dataset) => ({ dataset, table: STAGING_TABLE[dataset], columns: stagingColumns(dataset), units: units.filter((u) => u.dataset === dataset) }));
    const rowManifests = await Promise.all(tables.map((t) => manifest(t.table, t.units.flatMap((u) => u.rows))));
    const rejectManifest = await manifest(LEDGER.rejects, units.flatMap((u) => u.rejects));
    result.objects = units.reduce((n, u) => n + u.objects.length, 0);
    result.rows = units.reduce((n, u) => n + u.objects.reduce((m, o) => m + o.rows, 0), 0);
    result.rejects = units.reduce((n, u) => n + u.objects.reduce((m, o) => m + o.rejects, 0), 0);
    const ctx = { names: wh.names, dialect: wh.dialect };
    await withRetry(
      () =>
        inTransaction(wh.pool, async (client) => {
          await lockForLoad(client, ctx);
          for (const [i, t] of tables.entries()) {
            const objects = t.units.flatMap((u) => u.objects);
            if (objects.length === 0) continue;
            // Only objects loaded before have rows, rejects and dirt to forget (a first load has none).
            const known = await loadedKeys(client, ctx, t.dataset);
            await forgetObjects(client, ctx, t.dataset, objects.filter((o) => known.has(o.key)).map((o) => o.key));
            const expected = objects.reduce((n, o) => n + o.rows, 0);
            if (rowManifests[i]) {
              const loaded = await copyManifest(wh, client, { table: t.table, columns: t.columns, manifestUrl: rowManifests[i], iamRole: settings.iamRole, region: settings.region }, settings.staging.prefix);
              if (loaded !== expected) throw new WarehouseError('COPY', `COPY into ${t.table} loaded ${loaded} rows from the shards' parts, whose units list ${expected}`, { table: t.table });
            }
          }
          if (rejectManifest) await copyManifest(wh, client, { table: LEDGER.rejects, columns: REJECT_COLUMNS, manifestUrl: rejectManifest, iamRole: settings.iamRole, region: settings.region }, settings.staging.prefix);
          // The ledger names the shard run that staged each object.
          for (const [shardRun, objects] of Map.groupBy(units, (u) => u.runId)) await recordObjects(client, ctx, shardRun, objects.flatMap((u) => u.objects.map(outcomeOf)));
          await unregisterShardAreas(client, ctx, areas);
        }),
      settings.retry ?? DEFAULT_RETRY,
      { signal: settings.signal, onRetry: (err, attempt, delay) => log.warn(`loading the shards' parts: ${describeError(err)}; retrying in ${delay} ms (attempt ${attempt + 1})`) },
    );
  } finally {
    await area.remove().catch((err: unknown) => log.warn(`cannot remove ${area.url(area.prefix)}: ${describeError(err)}`));
  }
  for (const a of areas) await area.removeUrl(a.url).catch((err: unknown) => log.warn(`cannot remove the shard parts in ${a.url}: ${describeError(err)}`));
  for (const sql of wh.dialect.afterStaging(wh.names, [...new Set(units.map((u) => STAGING_TABLE[u.dataset]))])) {
    await wh.pool.query(sql).catch((err: unknown) => log.warn(`cannot refresh staging statistics (${sql}): ${describeError(err)}`));
  }
  return result;
}

function outcomeOf(o: UnitObject): ObjectOutcome {
  const { rows, rejects, format, ...object } = o;
  return { object, rows, rejects, format };
}

/** Every complete unit under the folders, checked: each object in one unit only, every part inside its folder. */
async function readUnits(s3: S3Client, folders: readonly string[]): Promise<UnitDescriptor[]> {
  const gets = pLimit(8);
  const units: UnitDescriptor[] = [];
  for (const url of folders) {
    const { bucket, key } = parseS3Url(url);
    const keys: string[] = [];
    for await (const page of listFolder(s3, bucket, key)) keys.push(...page.filter((k) => k.endsWith(`/${DESCRIPTOR}`)));
    units.push(...(await Promise.all(keys.map((k) => gets(() => readDescriptor(s3, bucket, k, url))))));
  }
  const seen = new Map<string, string>();
  for (const u of units) {
    for (const o of u.objects) {
      const other = seen.get(o.key);
      if (other !== undefined) {
        throw new WarehouseError('SCHEMA', `${o.key} is staged twice in the shards' parts (by shard ${other} and shard ${shardName(u.shard)})`, { hint: `run shard ${shardName(u.shard)} again: a rerun discards what its earlier run left` });
      }
      seen.set(o.key, shardName(u.shard));
    }
  }
  return units;
}

async function readDescriptor(s3: S3Client, bucket: string, key: string, folder: string): Promise<UnitDescriptor> {
  let text: string;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = await out.Body!.transformToString('utf8');
  } catch (err) {
    throw s3Error(err, `cannot read s3://${bucket}/${key}`);
  }
  const bad = (why: string) => new WarehouseError('SCHEMA', `s3://${bucket}/${key} is not a unit descriptor of a shard run: ${why}`, { hint: `remove ${folder} and run its shard again` });
  let unit: UnitDescriptor;
  try {
    unit = JSON.parse(text) as UnitDescriptor;
  } catch (err) {
    throw bad((err as Error).message);
  }
  const inFolder = (u: unknown) => typeof u === 'string' && u.startsWith(`${folder}/`);
  if (unit.dataset !== 'events' && unit.dataset !== 'songs') throw bad('no data set');
  if (!Number.isSafeInteger(unit.runId) || typeof unit.shard?.index !== 'number' || typeof unit.shard?.count !== 'number') throw bad('no run or shard');
  if (!Array.isArray(unit.rows) || !Array.isArray(unit.rejects) || ![...unit.rows, ...unit.rejects].every(inFolder)) throw bad(`parts outside ${folder}`);
  if (!Array.isArray(unit.objects) || !unit.objects.every((o) => typeof o.key === 'string' && o.dataset === unit.dataset && Number.isSafeInteger(o.rows) && Number.isSafeInteger(o.rejects))) throw bad('malformed objects');
  return unit;
}
