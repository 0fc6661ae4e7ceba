/**
 * One `etl` run: lock, list, plan, stage, prune, model, count, record.
 * The CLI resolves config and calls this; everything it needs is passed in.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { checkShardRun, describeTarget, type Config } from '../config/index.ts';
import { STAGING_TABLE, type Dataset } from '../common/datasets.ts';
import { ConfigError, describeError, SourceError, SparkifyError, UsageError } from '../common/errors.ts';
import { keyFilter } from '../extract/key-filter.ts';
import { Listing } from '../extract/listing.ts';
import { localSource } from '../extract/local-source.ts';
import { parseSourceUrl } from '../extract/source-url.ts';
import type { Source, SourceObject } from '../extract/source.ts';
import type { Logger } from '../common/log.ts';
import type { CheckResult } from '../check/index.ts';
import { DEFAULT_RETRY } from '../common/retry.ts';
import { buildStarSchema, type ModelResult } from '../model/index.ts';
import { explainModelFailure } from '../model/diagnose.ts';
import { explainFailure } from '../warehouse/explain.ts';
import { LoadPlanner, type LoadedObject } from './plan.ts';
import { noProgress, type ProgressReporter } from './progress.ts';
import { deleteRejectsBefore, finishRun, forgetDatasets, interruptedRun, LEDGER, loadedObjects, pruneObjects, stagedEventBytes, startRun, type RunCounts, type RunStatus } from '../ledger/index.ts';
import { holdUntilBulkKnown } from '../stage/bulk-gate.ts';
import { stageObjects, type ObjectOutcome, type StagingBackend } from '../stage/index.ts';
import { postgresBackend } from '../stage/postgres-backend.ts';
import { copyRegion, validateIamRole, validateS3Url } from '../dialect/redshift-copy.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { acquireRunLock, type LockOptions, type RunLock } from '../warehouse/lock.ts';
import { shardName } from '../common/shard.ts';
import { mergeShards } from './shard-merge.ts';
import type { MergeResult } from '../stage/shard-parts.ts';
import { requireTables, tableCounts, tablesExist } from '../warehouse/tables.ts';

export interface EtlSummary {
  status: 'ok' | 'rejects' | 'failed';
  runId?: number;
  /**
   * `listed` counts the objects read after --include/--exclude (`excluded` the others);
   * `vanished`: loaded earlier but no longer in the source (what --prune removes).
   */
  objects: { listed: number; loaded: number; skipped: number; failed: number; pruned: number; excluded: number; vanished: number };
  records: { staged: number; rejected: number };
  tables: Record<string, number>;
  model?: ModelResult;
  durationMs: number;
  /** Where the time went: listing the sources, staging, the model step, the checks after the load (ms). */
  timings: { listMs: number; stageMs: number; modelMs: number; checksMs?: number };
  /** The loader process's peak resident memory, in MB. */
  peakRssMb: number;
  /** User + system CPU of the loader process (all its threads, workers included) from its start, in ms. */
  cpuMs: number;
  dryRun?: { load: string[]; prune: string[] };
  /** Data-quality checks run after the load (check/). */
  checks?: CheckResult[];
  /** A shard run: which share it staged (`1/3`), and how many listed objects belong to the other shards. */
  shard?: { name: string; otherShards: number };
  /** What shard runs left in the staging prefix and this run loaded (Redshift). */
  shardParts?: MergeResult;
  error?: string;
}

export interface EtlDeps {
  log: Logger;
  progress?: ProgressReporter;
  signal?: AbortSignal;
  /** Builds the staging backend; `neverLoaded` holds the keys to load that had no ledger row. */
  backend?: (wh: Warehouse, runId: number, s3: S3Client | undefined, neverLoaded: Set<string>) => StagingBackend;
  /** Run lock timings (tests: a fast heartbeat). */
  lockOptions?: LockOptions;
  /** The run lock, when the caller already holds it (`run` holds it across create-tables and etl). */
  lock?: RunLock;
  /** Filled as the run goes: when it throws, this says what was done before (SPEC §8 `--json`). */
  summary?: EtlSummary;
}

/** A summary of a run that has done nothing yet. */
export function newSummary(): EtlSummary {
  return {
    status: 'ok',
    objects: { listed: 0, loaded: 0, skipped: 0, failed: 0, pruned: 0, excluded: 0, vanished: 0 },
    records: { staged: 0, rejected: 0 },
    tables: {},
    durationMs: 0,
    timings: { listMs: 0, stageMs: 0, modelMs: 0 },
    peakRssMb: 0,
    cpuMs: 0,
  };
}

/** How long a failed run waits for the table counts it reports. */
const FAILED_COUNTS_MS = 5_000;

/** Samples of rejects printed per run before "… and N more". */
const REJECT_LINES = 20;

/**
 * One run. `wh` may be undefined only for a dry run whose warehouse does not
 * exist yet (an embedded Postgres never created): it then plans against nothing
 * loaded, and creates nothing.
 */
export async function runEtl(wh: Warehouse | undefined, config: Config, command: string, deps: EtlDeps): Promise<EtlSummary> {
  const started = Date.now();
  const { log } = deps;
  const progress = deps.progress ?? noProgress;
  const summary = deps.summary ?? newSummary();
  const sourceUrls = requireSources(config);
  checkShardRun(config);
  const shard = config.load.shard;
  // Settings the backend needs are checked before anything is locked, listed or written.
  const dryRun = config.load.dryRun;
  if (!wh && !dryRun) throw new UsageError('a run needs a warehouse');
  const makeBackend = deps.backend ?? (await chooseBackend(config));
  // A dry run changes nothing anywhere: no run row, no lock lease, no tables (it plans against
  // empty ones when they do not exist yet, as `run --dry-run` on a new database does).
  const haveTables = !wh ? false : dryRun ? await tablesExist(wh) : (await requireTables(wh), true);
  const lock = dryRun || !wh ? undefined : (deps.lock ?? (await acquireRunLock(wh, config.runner, { ...deps.lockOptions, waitSeconds: config.load.waitSeconds, log, signal: deps.signal, shard })));
  // A run that loses its lock (a Redshift lease taken over while it was paused) stops like an interrupted one.
  const signal = AbortSignal.any([deps.signal, lock?.lost].filter((s): s is AbortSignal => s !== undefined));
  const running: EtlDeps = { ...deps, signal };
  let s3: S3Client | undefined;
  let runId: number | undefined;
  let listings: Listing[] = [];
  try {
    if (!dryRun && wh) {
      runId = await startRun(wh, command, config.runner, shard);
      summary.runId = runId;
      log.context?.({ runId });
      // Recorded the moment a stop arrives, so that even a hard exit leaves the run `interrupted`.
      wh.onInterrupt?.(...interruptedRun(wh.names, runId));
    }
    log.info(`${runId === undefined ? 'dry run' : `run ${runId}`}: loading ${shard ? `shard ${shardName(shard)} (from ${shard.origin}) ` : ''}into ${describeDestination(wh, config)}`);

    const needsS3 = sourceUrls.some(([, url]) => parseSourceUrl(url).kind === 's3') || config.target.kind === 'redshift';
    // The AWS SDK is loaded only when something lives in S3 (it costs ~35 MB and 70 ms).
    const aws = needsS3 ? { ...(await import('../extract/s3-client.ts')), ...(await import('../extract/s3-source.ts')) } : undefined;
    s3 = aws?.makeS3Client(config.s3, { maxAttempts: config.load.retries + 1, timeoutMs: config.load.timeoutSeconds * 1000 });
    // What shards left for the warehouse is loaded before this run plans against the ledger.
    if (!shard && !dryRun && wh) summary.shardParts = await mergeShards(wh, config, runId!, { log, signal });
    const sources = new Map<Dataset, Source>();
    for (const [name, url] of sourceUrls) {
      const dataset: Dataset = name === 'songs' ? 'songs' : 'events';
      const loc = parseSourceUrl(url);
      sources.set(dataset, loc.kind === 's3' ? aws!.s3Source(dataset, s3!, loc.bucket, loc.prefix) : localSource(dataset, loc.dir));
    }

    progress.phase('listing');
    const listStarted = Date.now();
    const filter = keyFilter(config.load.filters);
    listings = [...sources.values()].map((source) => new Listing(source, filter, signal));
    // Every source lists its first page (all at once) before anything is written: a missing bucket
    // or a typo'd prefix fails the run here, and a source with nothing to read is an error naming it.
    const nonEmpty = await Promise.all(listings.map((l) => l.first()));
    for (const [i, listing] of listings.entries()) {
      if (nonEmpty[i] || config.load.allowEmpty) continue;
      summary.objects.excluded += listing.excluded;
      const notice = logListed(listing, log);
      throw new SourceError(`${listing.source.description} lists no ${listing.source.dataset === 'songs' ? 'song' : 'log'} objects${notice}`, undefined, {
        hint: 'check the bucket, prefix or folder (a typo lists nothing); pass --allow-empty if an empty source is expected',
      });
    }
    // --full-refresh without a day range forgets everything staged (after listing
    // worked, so a missing bucket does not leave staging empty) and loads it all again.
    const dayRange = config.load.since !== undefined || config.load.until !== undefined;
    const wipe = config.load.fullRefresh && !dayRange && !dryRun;
    if (wipe) await forgetDatasets(wh!, [...sources.keys()]);
    const loaded = wipe || !haveTables ? new Map<string, LoadedObject>() : await loadedObjects(wh!.pool, wh!, [...sources.keys()]);
    const planner = new LoadPlanner(loaded, {
      fullRefresh: config.load.fullRefresh,
      prune: config.load.prune,
      since: config.load.since,
      until: config.load.until,
      listedDatasets: [...sources.keys()],
      shard,
    });
    // Keys to load that had no ledger row: the backend need not forget their rows.
    const neverLoaded = new Set<string>();
    const datasets = new Set<Dataset>();
    let gone: ReturnType<LoadPlanner['gone']> | undefined;
    /** The objects to load, decided as the sources list them; the plan's totals once the listing ends. */
    const toLoad = async function* (): AsyncGenerator<SourceObject> {
      for (const listing of listings) {
        for await (const o of listing) {
          const decision = planner.decide(o);
          summary.objects.listed = planner.listed;
          summary.objects.skipped = planner.skip;
          if (decision !== 'load') continue;
          if (!loaded.has(o.key)) neverLoaded.add(o.key);
          datasets.add(o.dataset);
          progress.planned(planner.load, planner.loadBytes, true);
          yield o;
        }
        summary.objects.excluded += listing.excluded;
        logListed(listing, log);
      }
      summary.timings.listMs = Date.now() - listStarted;
      if (shard) summary.shard = { name: shardName(shard), otherShards: planner.otherShards };
      gone = planner.gone();
      summary.objects.vanished = gone.vanished;
      progress.planned(planner.load, planner.loadBytes, false);
      if (gone.vanished > 0 && !config.load.prune) {
        log.info(`${gone.vanished} object(s) loaded earlier are no longer in the source; their rows stay until a run with --prune`, { event: 'vanished', objects: gone.vanished });
      }
      if (!dryRun) log.info(`plan: ${planner.load} to load, ${planner.skip} unchanged or out of range${config.load.prune ? `, ${gone.prune.length} to prune` : ''}${shard ? `, ${planner.otherShards} of other shards` : ''}`, { event: 'plan', load: planner.load, skip: planner.skip, prune: gone.prune.length });
    };

    if (dryRun) {
      const load: string[] = [];
      for await (const o of toLoad()) {
        log.info(`would load ${o.key} (${o.size} bytes)`);
        load.push(o.key);
      }
      const prune = gone!.prune;
      summary.dryRun = { load, prune: prune.map((p) => p.key) };
      if (!haveTables) log.info(`the tables do not exist yet in ${describeDestination(wh, config)}: \`sparkify run\` would create them`);
      for (const p of prune) log.info(`would prune ${p.key}`);
      log.info(`dry run: ${planner.load} to load, ${planner.skip} unchanged or out of range, ${prune.length} to prune; nothing was changed`);
      summary.tables = haveTables ? await tableCounts(wh!) : {};
      return finish(summary, started);
    }
    if (!wh) throw new UsageError('a run needs a warehouse');

    // Staging starts with the first page; the events wait until the run knows whether it is a bulk load.
    const backend = makeBackend(wh, runId!, s3, neverLoaded);
    const firstLoad = ![...loaded.values()].some((l) => l.dataset === 'events');
    // Shards leave the indexes as they are (one shard's DROP or CREATE INDEX would stall the others' COPYs); the model step makes sure they exist.
    const objects = shard ? toLoad() : holdUntilBulkKnown(toLoad(), await bulkLoadFrom(wh), (bulk, bytes) => stagingIndexes(wh, bulk, bytes, firstLoad, log));
    let staged: ObjectOutcome[];
    const stageStarted = Date.now();
    try {
      staged = await stage(objects, sources, backend, config, running, progress, summary);
    } finally {
      await backend.close?.().catch((err: unknown) => log.warn(`cannot remove staged files: ${describeError(err)}`));
    }
    summary.timings.stageMs = Date.now() - stageStarted;
    // Staging returns only once it took the listing's last object: what is gone is known.
    if (!gone) throw new Error('staging ended before the listing did');
    if (!shard) await refreshStatistics(wh, datasets, summary, log);
    await prune(wh, gone.prune, log);
    summary.objects.pruned = gone.prune.length;
    logRejects(staged, log);

    if (signal.aborted) throw signal.reason;
    // A shard only stages: the star schema is built once, after every shard (`sparkify model`).
    if (shard) log.info(`shard ${shardName(shard)} is staged; once every shard has finished, \`sparkify model\` builds the star schema`);
    // A day-range refresh reloads some days: the incremental step rebuilds what they touch.
    else await modelStep(wh, config, lock!, summary, { log, signal, progress, force: config.load.fullRefresh && !dayRange ? 'full' : undefined });
    summary.tables = await tableCounts(wh);

    if (summary.objects.failed > 0) {
      summary.status = 'failed';
      summary.error = `${summary.objects.failed} object(s) could not be loaded; the others were, and the next run retries them`;
    } else if (summary.records.rejected > config.load.maxErrors) {
      summary.status = 'rejects';
      summary.error = `${summary.records.rejected} record(s) rejected, more than --max-errors ${config.load.maxErrors}; see ${LEDGER.rejects} or \`sparkify status\``;
    }
    // Shards delete old rejects side by side with other shards' loads: that is left to the model run.
    if (config.load.rejectsRetentionDays !== undefined && !shard) await dropOldRejects(wh, config.load.rejectsRetentionDays, log);
    await finishRun(wh, runId!, summary.status, countsOf(summary), summary.error);
    return finish(summary, started);
  } catch (caught) {
    throw await failedRun(wh, runId, caught, summary, config, deps, started);
  } finally {
    // A listing the run did not finish stops (its page in flight fails with the S3 client).
    s3?.destroy();
    for (const listing of listings) await listing.close().catch(() => undefined);
    if (!deps.lock) await lock?.release();
  }
}

/**
 * The model step of a run: brings the star schema up to date with staging
 * (full or incremental, as buildStarSchema decides unless `force` says).
 */
export async function modelStep(
  wh: Warehouse,
  config: Config,
  lock: RunLock,
  summary: EtlSummary,
  options: { log: Logger; signal: AbortSignal; progress: ProgressReporter; force?: 'full' },
): Promise<void> {
  const { log, signal } = options;
  // A server restart during staging took the lock's session with it: hold it again before modelling.
  await lock.ensure();
  const retry = { ...DEFAULT_RETRY, attempts: config.load.retries + 1 };
  options.progress.phase('model');
  summary.model = await buildStarSchema(wh, log, { force: options.force, signal, retry, swapWaitMs: config.load.swapWaitSeconds * 1000 }).catch(async (err: unknown) => {
    throw await explainModelFailure(wh, err);
  });
  summary.timings.modelMs = summary.model.durationMs;
  if (summary.model.mode !== 'none') log.info(`model: ${summary.model.mode} build in ${summary.model.durationMs} ms`);
}

/**
 * A run failed (or was stopped): records it in the ledger, fills the summary
 * with the error and what the tables hold, and returns the error to throw.
 */
export async function failedRun(wh: Warehouse | undefined, runId: number | undefined, caught: unknown, summary: EtlSummary, config: Config, deps: EtlDeps, started: number): Promise<unknown> {
  // The cancels a stop sent must land before the run's last statements, not on them.
  await wh?.interrupting;
  const err = wh ? await explainFailure(wh, caught, config.load.timeoutSeconds) : caught;
  summary.status = 'failed';
  summary.error = describeError(err);
  if (runId !== undefined && wh) {
    // A stop cancels statements wherever they are: whatever they failed with, the run was interrupted.
    const status: RunStatus = (err instanceof SparkifyError && err.code === 'INTERRUPTED') || deps.signal?.aborted ? 'interrupted' : 'failed';
    await finishRun(wh, runId, status, countsOf(summary), summary.error).catch((e: unknown) => deps.log.debug(`cannot record the run's end: ${describeError(e)}`));
  }
  // What the tables hold after the failure, if the warehouse still answers soon.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Record<string, number>>((resolve) => (timer = setTimeout(() => resolve({}), FAILED_COUNTS_MS)));
  summary.tables = wh ? await Promise.race([tableCounts(wh).catch(() => ({})), late]) : {};
  clearTimeout(timer);
  finish(summary, started);
  return err;
}

/** The staging backend for the warehouse and mode; validates its settings now. */
async function chooseBackend(config: Config): Promise<NonNullable<EtlDeps['backend']>> {
  if (config.target.kind !== 'redshift') return (w, runId, _s3, neverLoaded) => postgresBackend(w, runId, neverLoaded, { workers: config.load.workers });
  const { parseStagingPrefix, StagingArea } = await import('../stage/s3-staging.ts');
  const { redshiftStageBackend } = await import('../stage/redshift-backend.ts');
  const { redshiftDirectBackend } = await import('../stage/redshift-direct.ts');
  const iamRole = validateIamRole(config.redshift.iamRole);
  const prefix = parseStagingPrefix(config.redshift.stagingPrefix);
  const clusterRegion = config.target.kind === 'redshift' ? config.target.redshift.region : undefined;
  const sourceRegion = config.s3.regionConfigured ? config.s3.region : undefined;
  const stagingRegion = config.redshift.stagingRegion;
  // The staging bucket may live in another region than the sources: it gets a client of its own.
  const { makeS3Client } = await import('../extract/s3-client.ts');
  const limits = { maxAttempts: config.load.retries + 1, timeoutMs: config.load.timeoutSeconds * 1000 };
  const withStagingClient = (s3: S3Client, make: (staging: S3Client) => StagingBackend): StagingBackend => {
    if (stagingRegion === undefined || stagingRegion === config.s3.region) return make(s3);
    const client = makeS3Client({ ...config.s3, region: stagingRegion }, limits);
    const backend = make(client);
    return { ...backend, close: async () => {
      try {
        await backend.close?.();
      } finally {
        client.destroy();
      }
    } };
  };
  if (config.redshift.mode === 'stage') {
    // Stage mode's COPYs read the staging bucket only.
    const region = copyRegion(stagingRegion, clusterRegion);
    // A shard leaves its parts for the coordinator, which loads every shard's with one COPY per table.
    return (w, runId, s3, neverLoaded) => withStagingClient(s3!, (staging) => redshiftStageBackend(w, runId, staging, { iamRole, staging: prefix, region, defer: config.load.shard }, neverLoaded));
  }
  // Direct mode's COPYs read the sources and a manifest in the staging bucket: with REGION, all
  // of them must be in that one region; without it, in the cluster's [DG:copy-parameters-data-source-s3].
  if ((stagingRegion ?? clusterRegion) !== (sourceRegion ?? clusterRegion)) {
    throw new ConfigError(`Redshift direct mode: the sources are in ${sourceRegion ?? clusterRegion ?? 'the cluster\'s region'} but the staging bucket, which holds each COPY's manifest, is in ${stagingRegion ?? clusterRegion ?? 'the cluster\'s region'}; one COPY reads all its files from one region`, {
      hint: 'put the staging prefix in the sources\' region, or use --redshift-mode stage (the default), whose COPYs read only the staging bucket',
    });
  }
  const region = copyRegion(sourceRegion ?? stagingRegion, clusterRegion);
  const buckets = new Map<Dataset, string>();
  for (const [dataset, url] of [['songs', config.sources.songs], ['events', config.sources.logs]] as const) {
    if (!url) continue;
    const loc = parseSourceUrl(url);
    if (loc.kind !== 's3') throw new UsageError(`Redshift direct mode reads the sources from S3 itself, but the ${dataset} come from a local folder`, { hint: 'use --redshift-mode stage (the default), which reads local folders too' });
    buckets.set(dataset, loc.bucket);
  }
  const jsonPaths = config.redshift.jsonPaths ? validateS3Url(config.redshift.jsonPaths, 'JSONPaths file') : undefined;
  const { s3Source } = await import('../extract/s3-source.ts');
  return (w, runId, s3, neverLoaded) =>
    withStagingClient(s3!, (staging) =>
      redshiftDirectBackend(w, runId, new StagingArea(staging, prefix, runId), {
        iamRole,
        staging: prefix,
        region,
        jsonPaths,
        maxError: 100000,
        sourceUrl: (o) => `s3://${buckets.get(o.dataset)!}/${o.key}`,
        open: (o) => s3Source(o.dataset, s3!, buckets.get(o.dataset)!, '').open(o),
      }, neverLoaded),
    );
}

/** The configured sources (checked before any connection is opened). */
export function requireSources(config: Config): [string, string][] {
  const urls = Object.entries(config.sources).filter((e): e is [string, string] => !!e[1]);
  if (urls.length === 0) {
    throw new UsageError('no source to load', { hint: 'give --logs and/or --songs (s3://bucket/prefix or a folder), or set LOG_DATA / SONG_DATA under [S3] in dwh.cfg' });
  }
  for (const [name, url] of urls) {
    try {
      parseSourceUrl(url);
    } catch (err) {
      // A source from dwh.cfg names its file and line.
      const origin = config.origins[name as 'songs' | 'logs'];
      if (!origin || origin.startsWith('--') || !(err instanceof SparkifyError)) throw err;
      throw new ConfigError(`${origin}: ${err.message}`, { cause: err });
    }
  }
  return urls;
}

async function stage(
  objects: AsyncIterable<SourceObject>,
  sources: Map<Dataset, Source>,
  backend: StagingBackend,
  config: Config,
  deps: EtlDeps,
  progress: ProgressReporter,
  summary: EtlSummary,
): Promise<ObjectOutcome[]> {
  // The totals grow as the sources list more (progress.planned).
  progress.start(0, 0, true);
  const concurrency = config.load.concurrency;
  const result = await stageObjects(
    objects,
    (o) => sources.get(o.dataset)!,
    backend,
    {
      readConcurrency: concurrency,
      unitConcurrency: Math.max(1, Math.min(concurrency ?? 2, 2)),
      signal: deps.signal,
      retry: { ...DEFAULT_RETRY, attempts: config.load.retries + 1 },
    },
    deps.log,
    {
      bytes: (n) => progress.bytes(n),
      objectDone: (o) => {
        summary.objects.loaded++;
        summary.records.staged += o.rows;
        summary.records.rejected += o.rejects;
        progress.object(o.rows, o.rejects);
      },
      objectFailed: () => {
        summary.objects.failed++;
        progress.object(0, 0);
      },
    },
  );
  if (result.reads.peak > 0) deps.log.debug(`read up to ${result.reads.peak} small objects at once (limit ${result.reads.limit}${concurrency === undefined ? ', adapted to the source' : ', --concurrency'})`);
  return result.outcomes;
}

/** Below this much event data a load keeps the indexes of stg_events: dropping them would save nothing. */
const BULK_MIN_BYTES = 8 * 1024 * 1024;

/** Event bytes to load from which a run is a bulk load: at least BULK_MIN_BYTES, and more than is staged already. */
async function bulkLoadFrom(wh: Warehouse): Promise<number> {
  return Math.max(BULK_MIN_BYTES, (await stagedEventBytes(wh.pool, wh.names)) + 1);
}

/**
 * The indexes of stg_events around staging. When a run loads more event data
 * than is staged already (a first load, a backfill, a full refresh), they are
 * dropped first: maintaining them row by row costs more than building them
 * once afterwards, which the model step does, side by side with the star
 * tables (model/full-build.ts). The source_key index goes too when no events
 * object was loaded before (nothing is deleted by key before the model step).
 * Any other run makes sure they exist (a bulk run that died before its model
 * step left them dropped). Called once, before the run's first event COPY
 * (stage/bulk-gate.ts).
 */
async function stagingIndexes(wh: Warehouse, bulk: boolean, bytes: number, firstLoad: boolean, log: Logger): Promise<void> {
  if (!bulk) {
    for (const sql of await wh.dialect.missingModelIndexes(wh.pool, wh.names)) await wh.pool.query(sql);
    return;
  }
  log.info(`bulk load (${Math.round(bytes / 1048576)} MB of events so far): the indexes of stg_events are built after staging${firstLoad ? '' : ' (but the one by source_key: this run replaces staged objects)'}`);
  for (const sql of wh.dialect.dropModelIndexes(wh.names, { sourceKey: firstLoad })) await wh.pool.query(sql);
}

/** Statistics of the staging tables this run loaded into, where the warehouse needs asking (outside any transaction). */
async function refreshStatistics(wh: Warehouse, datasets: ReadonlySet<Dataset>, summary: EtlSummary, log: Logger): Promise<void> {
  if (summary.objects.loaded === 0) return;
  const tables = [...datasets].map((d) => STAGING_TABLE[d]);
  for (const sql of wh.dialect.afterStaging(wh.names, tables)) {
    await wh.pool.query(sql).catch((err: unknown) => log.warn(`cannot refresh staging statistics (${sql}): ${describeError(err)}`));
  }
}

async function prune(wh: Warehouse, gone: readonly LoadedObject[], log: Logger): Promise<void> {
  for (const dataset of ['events', 'songs'] as const) {
    const keys = gone.filter((p) => p.dataset === dataset).map((p) => p.key);
    if (keys.length === 0) continue;
    await pruneObjects(wh, dataset, keys);
    log.info(`pruned ${keys.length} ${dataset} object(s) no longer in the source`);
  }
}

/** Logs how many objects a source listed (and the filters skipped), once its listing ended; returns the skipped notice. */
function logListed(listing: Listing, log: Logger): string {
  const { source, listed, excluded, excludedSample } = listing;
  const notice = excluded ? ` (${excluded} skipped by the --include/--exclude filters, e.g. ${excludedSample.join(', ')})` : '';
  log.info(`listed ${listed} objects in ${source.description}${notice}`, { event: 'listed', source: source.description, objects: listed, excluded });
  return notice;
}

/** `postgres://u@h:5432/db (from DATABASE_URL), schema s (from dwh.cfg:7)`: where a run writes, and which setting said so. */
export function describeDestination(wh: Warehouse | undefined, config: Config): string {
  const from = (origin: string | undefined) => (origin && origin !== 'default' ? ` (from ${origin})` : '');
  return `${wh?.description ?? describeTarget(config.target)}${from(config.origins.target)}${config.schema ? `, schema ${config.schema}${from(config.origins.schema)}` : ''}`;
}

/** Rejects retention: deletes rejects recorded more than `days` days ago. */
export async function dropOldRejects(wh: Warehouse, days: number, log: Logger): Promise<void> {
  const rowCount = await deleteRejectsBefore(wh.pool, wh.names, new Date(Date.now() - days * 86_400_000));
  if (rowCount) log.info(`deleted ${rowCount} reject(s) older than ${days} days (rejects retention)`);
}

function logRejects(outcomes: readonly ObjectOutcome[], log: Logger): void {
  let shown = 0;
  let total = 0;
  for (const o of outcomes) {
    total += o.rejects;
    for (const r of o.samples ?? []) {
      if (shown >= REJECT_LINES) break;
      log.warn(`rejected ${r.key} line ${r.line}: ${r.reason}`);
      shown++;
    }
  }
  if (total > shown) log.warn(`… and ${total - shown} more rejects (${LEDGER.rejects} has them all, with their raw text)`);
}

export function countsOf(s: EtlSummary): RunCounts {
  return {
    objectsListed: s.objects.listed,
    objectsLoaded: s.objects.loaded,
    objectsSkipped: s.objects.skipped,
    objectsFailed: s.objects.failed,
    objectsPruned: s.objects.pruned,
    recordsStaged: s.records.staged,
    recordsRejected: s.records.rejected,
    modelMode: s.model?.mode,
  };
}

export function finish(s: EtlSummary, started: number): EtlSummary {
  s.durationMs = Date.now() - started;
  s.peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  s.cpuMs = processCpuMs();
  return s;
}

/** User + system CPU of this process so far (every thread), in ms. */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return Math.round((user + system) / 1000);
}
