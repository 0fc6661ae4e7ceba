/**
 * One `etl` run: lock, list, plan, stage, prune, model, count, record — each
 * step a function below, `runEtl` the order they run in. The steps a model
 * run shares (begin, model, end, fail) are here too (run/model-run.ts).
 * The CLI, or the API (src/index.ts), resolves config and calls this; everything it needs is passed in.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { checkShardRun, describeTarget, type Config } from '../config/index.ts';
import { STAGING_TABLE, type Dataset } from '../common/datasets.ts';
import { ConfigError, describeError, SourceError, SparkifyError, UsageError } from '../common/errors.ts';
import { keyFilter } from '../extract/key-filter.ts';
import { Listing } from '../extract/listing.ts';
import { parseSourceUrl } from '../extract/source-url.ts';
import type { Source, SourceObject } from '../extract/source.ts';
import type { Logger } from '../common/log.ts';
import { buildStarSchema, type BesideReads } from '../model/index.ts';
import { explainModelFailure } from '../model/diagnose.ts';
import { explainFailure } from '../warehouse/explain.ts';
import { chooseBackend, type BackendFactory } from './backend.ts';
import { runRetry, s3Limits } from './limits.ts';
import { LoadPlanner, type LoadedObject } from './plan.ts';
import { noProgress, type ProgressReporter } from './progress.ts';
import { countsOf, finish, judge, newSummary, type EtlSummary } from './summary.ts';
import { deleteRejectsBefore, finishRun, forgetDatasets, interruptedRun, LEDGER, loadedObjects, pruneObjects, stagedEventBytes, startRun, type RunStatus } from '../ledger/index.ts';
import { holdUntilBulkKnown } from '../stage/bulk-gate.ts';
import { stageObjects, type ObjectOutcome, type StagingBackend } from '../stage/index.ts';
import { StagingUpkeep } from '../stage/upkeep.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { acquireRunLock, type LockOptions, type RunLock } from '../warehouse/lock.ts';
import { shardName } from '../common/shard.ts';
import { mergeShards } from './shard-merge.ts';
import { openSources, requireSources } from './sources.ts';
import { requireTables, tableCounts, tablesExist } from '../warehouse/tables.ts';

export type { EtlSummary } from './summary.ts';

export interface EtlDeps {
  log: Logger;
  progress?: ProgressReporter;
  signal?: AbortSignal;
  /** Builds the staging backend (default: the one the warehouse and mode call for, run/backend.ts). */
  backend?: BackendFactory;
  /** Run lock timings (tests: a fast heartbeat). */
  lockOptions?: LockOptions;
  /** The run lock, when the caller already holds it (`run` holds it across create-tables and etl). */
  lock?: RunLock;
  /** Filled as the run goes: when it throws, this says what was done before (SPEC §8 `--json`). */
  summary?: EtlSummary;
  /** Reads of staging for the checks that follow the run, which a full build does beside its work (model/full-build.ts). */
  modelBeside?: BesideReads;
}

/** How long a failed run waits for the table counts it reports. */
const FAILED_COUNTS_MS = 5_000;

/** Samples of rejects printed per run before "… and N more". */
const REJECT_LINES = 20;

/** What the steps of one etl run share. */
interface EtlRun {
  readonly wh: Warehouse | undefined;
  readonly config: Config;
  readonly log: Logger;
  readonly progress: ProgressReporter;
  /** Stops the run: the caller's signal, or the run lock lost. */
  readonly signal: AbortSignal;
  readonly summary: EtlSummary;
  /** Its run in the ledger; undefined in a dry run. */
  runId?: number;
  /** The client of the S3 sources (and of Redshift's staging bucket in its region). */
  s3?: S3Client;
  listings: Listing[];
}

/** The load plan as the listing streams in (run/plan.ts decides each object). */
interface Plan {
  readonly planner: LoadPlanner;
  /** What the ledger held for the listed data sets (empty after a wipe, or without tables). */
  readonly loaded: Map<string, LoadedObject>;
  /** Keys to load that had no ledger row: the backend need not forget their rows. */
  readonly neverLoaded: Set<string>;
  /** Data sets of the objects to load. */
  readonly datasets: Set<Dataset>;
  /** --since or --until was given. */
  readonly dayRange: boolean;
  /** When the listing began (the summary's listMs ends when it ends). */
  readonly listStarted: number;
  /** What is gone from the sources: known once the listing ended. */
  gone?: ReturnType<LoadPlanner['gone']>;
}

/**
 * One run. `wh` may be undefined only for a dry run whose warehouse does not
 * exist yet (an embedded Postgres never created): it then plans against nothing
 * loaded, and creates nothing.
 */
export async function runEtl(wh: Warehouse | undefined, config: Config, command: string, deps: EtlDeps): Promise<EtlSummary> {
  const started = Date.now();
  const sourceUrls = requireSources(config);
  checkShardRun(config);
  const { dryRun, shard } = config.load;
  // Settings the backend needs are checked before anything is locked, listed or written.
  if (!wh && !dryRun) throw new UsageError('a run needs a warehouse');
  const makeBackend = deps.backend ?? (await chooseBackend(config));
  // A dry run changes nothing anywhere: no run row, no lock lease, no tables (it plans against
  // empty ones when they do not exist yet, as `run --dry-run` on a new database does).
  const haveTables = !wh ? false : dryRun ? await tablesExist(wh) : (await requireTables(wh), true);
  const lock = dryRun || !wh ? undefined : await holdRunLock(wh, config, deps);
  const run: EtlRun = { wh, config, log: deps.log, progress: deps.progress ?? noProgress, signal: stopSignal(deps, lock), summary: deps.summary ?? newSummary(), listings: [] };
  const { log, summary } = run;
  try {
    if (!dryRun && wh) run.runId = await beginRun(wh, command, config, summary, log);
    log.info(`${run.runId === undefined ? 'dry run' : `run ${run.runId}`}: loading ${shard ? `shard ${shardName(shard)} (from ${shard.origin}) ` : ''}into ${describeDestination(wh, config)}`);
    const opened = await openSources(config, sourceUrls, s3Limits(config));
    run.s3 = opened.s3;
    const { sources } = opened;
    // What shards left for the warehouse is loaded before this run plans against the ledger.
    if (!shard && run.runId !== undefined) summary.shardParts = await mergeShards(wh!, config, run.runId, { log, signal: run.signal });
    const listStarted = await listFirstPages(run, sources);
    const plan = await startPlan(run, [...sources.keys()], haveTables, listStarted);
    if (dryRun) {
      await planOnly(run, plan, haveTables);
      return finish(summary, started);
    }
    if (!wh) throw new UsageError('a run needs a warehouse');

    const staged = await stageAll(run, wh, plan, sources, makeBackend);
    // Staging returns only once it took the listing's last object: what is gone is known.
    if (!plan.gone) throw new Error('staging ended before the listing did');
    if (!shard) await refreshStatistics(wh, plan.datasets, summary, log);
    await prune(wh, plan.gone.prune, log);
    summary.objects.pruned = plan.gone.prune.length;
    logRejects(staged, log);

    if (run.signal.aborted) throw run.signal.reason;
    // A shard only stages: the star schema is built once, after every shard (`sparkify model`).
    if (shard) log.info(`shard ${shardName(shard)} is staged; once every shard has finished, \`sparkify model\` builds the star schema`);
    // A day-range refresh reloads some days: the incremental step rebuilds what they touch.
    else await modelStep(wh, config, lock!, summary, { log, signal: run.signal, progress: run.progress, force: config.load.fullRefresh && !plan.dayRange ? 'full' : undefined, beside: deps.modelBeside });
    summary.tables = await tableCounts(wh);
    judge(summary, config.load.maxErrors);
    // Shards delete old rejects side by side with other shards' loads: that is left to the model run.
    return await endRun(wh, run.runId!, config, summary, { log, started, dropRejects: !shard });
  } catch (caught) {
    throw await failedRun(wh, run.runId, caught, summary, config, deps, started);
  } finally {
    // A listing the run did not finish stops (its page in flight fails with the S3 client).
    run.s3?.destroy();
    for (const listing of run.listings) await listing.close().catch(() => undefined);
    if (!deps.lock) await lock?.release();
  }
}

/** The run lock, unless the caller holds it already (`run` holds it across create-tables and etl). */
export async function holdRunLock(wh: Warehouse, config: Config, deps: EtlDeps): Promise<RunLock> {
  return deps.lock ?? (await acquireRunLock(wh, config.runner, { ...deps.lockOptions, waitSeconds: config.load.waitSeconds, log: deps.log, signal: deps.signal, shard: config.load.shard }));
}

/** What stops a run: the caller's signal, or losing the lock (a Redshift lease taken over while the run was paused), which stops it like an interruption. */
export function stopSignal(deps: EtlDeps, lock: RunLock | undefined): AbortSignal {
  return AbortSignal.any([deps.signal, lock?.lost].filter((s): s is AbortSignal => s !== undefined));
}

/** The run's row in the ledger, marked `interrupted` the moment a stop arrives, so that even a hard exit leaves it so; returns its id. */
export async function beginRun(wh: Warehouse, command: string, config: Config, summary: EtlSummary, log: Logger): Promise<number> {
  const runId = await startRun(wh, command, config.runner, config.load.shard);
  summary.runId = runId;
  log.context?.({ runId });
  wh.onInterrupt?.(...interruptedRun(wh.names, runId));
  return runId;
}

/** A run that got to its end: rejects retention (unless `dropRejects` is false), its row in the ledger, its summary. */
export async function endRun(wh: Warehouse, runId: number, config: Config, summary: EtlSummary, options: { log: Logger; started: number; dropRejects: boolean }): Promise<EtlSummary> {
  if (config.load.rejectsRetentionDays !== undefined && options.dropRejects) await dropOldRejects(wh, config.load.rejectsRetentionDays, options.log);
  await finishRun(wh, runId, summary.status, countsOf(summary), summary.error);
  return finish(summary, options.started);
}

/**
 * Every source lists its first page (all at once) before anything is written: a missing bucket
 * or a typo'd prefix fails the run here, and a source with nothing to read is an error naming it.
 */
async function listFirstPages(run: EtlRun, sources: Map<Dataset, Source>): Promise<number> {
  const { config, summary, log } = run;
  run.progress.phase('listing');
  const listStarted = Date.now();
  const filter = keyFilter(config.load.filters);
  run.listings = [...sources.values()].map((source) => new Listing(source, filter, run.signal));
  const nonEmpty = await Promise.all(run.listings.map((l) => l.first()));
  for (const [i, listing] of run.listings.entries()) {
    if (nonEmpty[i] || config.load.allowEmpty) continue;
    summary.objects.excluded += listing.excluded;
    const notice = logListed(listing, log);
    throw new SourceError(`${listing.source.description} lists no ${listing.source.dataset === 'songs' ? 'song' : 'log'} objects${notice}`, undefined, {
      hint: 'check the bucket, prefix or folder (a typo lists nothing); pass --allow-empty if an empty source is expected',
    });
  }
  return listStarted;
}

/** What is loaded already (forgotten first by a --full-refresh without a day range), and the planner that compares the listing with it. */
async function startPlan(run: EtlRun, datasets: Dataset[], haveTables: boolean, listStarted: number): Promise<Plan> {
  const { wh, config } = run;
  // --full-refresh without a day range forgets everything staged (after listing
  // worked, so a missing bucket does not leave staging empty) and loads it all again.
  const dayRange = config.load.since !== undefined || config.load.until !== undefined;
  const wipe = config.load.fullRefresh && !dayRange && !config.load.dryRun;
  if (wipe) await forgetDatasets(wh!, datasets);
  const loaded = wipe || !haveTables ? new Map<string, LoadedObject>() : await loadedObjects(wh!.pool, wh!, datasets);
  const planner = new LoadPlanner(loaded, {
    fullRefresh: config.load.fullRefresh,
    prune: config.load.prune,
    since: config.load.since,
    until: config.load.until,
    listedDatasets: datasets,
    shard: config.load.shard,
  });
  return { planner, loaded, neverLoaded: new Set(), datasets: new Set(), dayRange, listStarted };
}

/** The objects to load, decided as the sources list them; the plan's totals once the listing ends. */
async function* objectsToLoad(run: EtlRun, plan: Plan): AsyncGenerator<SourceObject> {
  const { config, summary, progress, log } = run;
  const { planner } = plan;
  const { shard } = config.load;
  for (const listing of run.listings) {
    for await (const o of listing) {
      const decision = planner.decide(o);
      summary.objects.listed = planner.listed;
      summary.objects.skipped = planner.skip;
      if (decision !== 'load') continue;
      if (!plan.loaded.has(o.key)) plan.neverLoaded.add(o.key);
      plan.datasets.add(o.dataset);
      progress.planned(planner.load, planner.loadBytes, true);
      yield o;
    }
    summary.objects.excluded += listing.excluded;
    logListed(listing, log);
  }
  summary.timings.listMs = Date.now() - plan.listStarted;
  if (shard) summary.shard = { name: shardName(shard), otherShards: planner.otherShards };
  const gone = (plan.gone = planner.gone());
  summary.objects.vanished = gone.vanished;
  progress.planned(planner.load, planner.loadBytes, false);
  if (gone.vanished > 0 && !config.load.prune) {
    log.info(`${gone.vanished} object(s) loaded earlier are no longer in the source; their rows stay until a run with --prune`, { event: 'vanished', objects: gone.vanished });
  }
  if (!config.load.dryRun) log.info(`plan: ${planner.load} to load, ${planner.skip} unchanged or out of range${config.load.prune ? `, ${gone.prune.length} to prune` : ''}${shard ? `, ${planner.otherShards} of other shards` : ''}`, { event: 'plan', load: planner.load, skip: planner.skip, prune: gone.prune.length });
}

/** A dry run: says what would load and be pruned, and what the tables hold; changes nothing. */
async function planOnly(run: EtlRun, plan: Plan, haveTables: boolean): Promise<void> {
  const { wh, config, summary, log } = run;
  const load: string[] = [];
  for await (const o of objectsToLoad(run, plan)) {
    log.info(`would load ${o.key} (${o.size} bytes)`);
    load.push(o.key);
  }
  const prune = plan.gone!.prune;
  summary.dryRun = { load, prune: prune.map((p) => p.key) };
  if (!haveTables) log.info(`the tables do not exist yet in ${describeDestination(wh, config)}: \`sparkify run\` would create them`);
  for (const p of prune) log.info(`would prune ${p.key}`);
  log.info(`dry run: ${plan.planner.load} to load, ${plan.planner.skip} unchanged or out of range, ${prune.length} to prune; nothing was changed`);
  summary.tables = haveTables ? await tableCounts(wh!) : {};
}

/**
 * Stages every object the plan loads, as the listing goes: staging starts with
 * the first page; the events wait until the run knows whether it is a bulk load.
 */
async function stageAll(run: EtlRun, wh: Warehouse, plan: Plan, sources: Map<Dataset, Source>, makeBackend: BackendFactory): Promise<ObjectOutcome[]> {
  const { config, summary, log } = run;
  const backend = makeBackend(wh, run.runId!, run.s3, plan.neverLoaded);
  // A bulk load tidies behind itself what the full build would otherwise do first (stage/upkeep.ts).
  let upkeep: StagingUpkeep | undefined;
  const decide = async (bulk: boolean, bytes: number) => {
    await stagingIndexes(wh, bulk, bytes, log);
    if (bulk) upkeep = new StagingUpkeep(wh.pool, wh.dialect.bulkUpkeep(wh.names), log);
  };
  // Shards leave the indexes as they are (one shard's DROP or CREATE INDEX would stall the others' COPYs); the model step makes sure they exist.
  const objects = config.load.shard ? objectsToLoad(run, plan) : holdUntilBulkKnown(objectsToLoad(run, plan), await bulkLoadFrom(wh), decide);
  const stageStarted = Date.now();
  let staged: ObjectOutcome[];
  try {
    staged = await stage(run, objects, sources, backend, (o) => {
      if (o.object.dataset === 'events') upkeep?.objectStaged();
    });
  } finally {
    await upkeep?.stop();
    await backend.close?.().catch((err: unknown) => log.warn(`cannot remove staged files: ${describeError(err)}`));
  }
  if (upkeep?.rounds) log.debug(`staging upkeep: ${upkeep.rounds} round(s) during staging`);
  summary.timings.stageMs = Date.now() - stageStarted;
  return staged;
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
  options: { log: Logger; signal: AbortSignal; progress: ProgressReporter; force?: 'full'; beside?: BesideReads },
): Promise<void> {
  const { log, signal } = options;
  // A server restart during staging took the lock's session with it: hold it again before modelling.
  await lock.ensure();
  options.progress.phase('model');
  summary.model = await buildStarSchema(wh, log, { force: options.force, signal, retry: runRetry(config), swapWaitMs: config.load.swapWaitSeconds * 1000, beside: options.beside }).catch(async (err: unknown) => {
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

/** Stages `objects` through the backend, counting each one's rows and rejects into the summary and the progress. */
async function stage(run: EtlRun, objects: AsyncIterable<SourceObject>, sources: Map<Dataset, Source>, backend: StagingBackend, staged?: (o: ObjectOutcome) => void): Promise<ObjectOutcome[]> {
  const { config, summary, progress, log } = run;
  // The totals grow as the sources list more (progress.planned).
  progress.start(0, 0, true);
  const concurrency = config.load.concurrency;
  const result = await stageObjects({
    objects,
    sourceOf: (o) => sources.get(o.dataset)!,
    backend,
    readConcurrency: concurrency,
    unitConcurrency: Math.max(1, Math.min(concurrency ?? 2, 2)),
    signal: run.signal,
    retry: runRetry(config),
    log,
    progress: {
      bytes: (n) => progress.bytes(n),
      objectDone: (o) => {
        summary.objects.loaded++;
        summary.records.staged += o.rows;
        summary.records.rejected += o.rejects;
        progress.object(o.rows, o.rejects);
        staged?.(o);
      },
      objectFailed: () => {
        summary.objects.failed++;
        progress.object(0, 0);
      },
    },
  });
  if (result.reads.peak > 0) log.debug(`read up to ${result.reads.peak} small objects at once (limit ${result.reads.limit}${concurrency === undefined ? ', adapted to the source' : ', --concurrency'})`);
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
async function stagingIndexes(wh: Warehouse, bulk: boolean, bytes: number, log: Logger): Promise<void> {
  if (!bulk) {
    for (const sql of await wh.dialect.missingModelIndexes(wh.pool, wh.names)) await wh.pool.query(sql);
    return;
  }
  log.info(`bulk load (${Math.round(bytes / 1048576)} MB of events so far): the index of stg_events by event key is built after staging`);
  for (const sql of wh.dialect.dropModelIndexes(wh.names)) await wh.pool.query(sql);
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

