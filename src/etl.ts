/**
 * One `etl` run: lock, list, plan, stage, prune, model, count, record.
 * The CLI resolves config and calls this; everything it needs is passed in.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from './config.ts';
import { STAGING_TABLE, type Dataset } from './datasets.ts';
import { describeError, SparkifyError, UsageError } from './errors.ts';
import { localSource } from './extract/local-source.ts';
import { parseSourceUrl } from './extract/source-url.ts';
import type { Source, SourceObject } from './extract/source.ts';
import type { Logger } from './log.ts';
import type { CheckResult } from './check/index.ts';
import { DEFAULT_RETRY } from './retry.ts';
import { buildStarSchema, type ModelResult } from './model/index.ts';
import { explainModelFailure } from './model/diagnose.ts';
import { explainFailure } from './warehouse/explain.ts';
import { planLoad, type LoadedObject, type LoadPlan } from './plan.ts';
import { noProgress, type ProgressReporter } from './progress.ts';
import { forgetObjects } from './stage/bookkeeping.ts';
import { stageObjects, type ObjectOutcome, type StagingBackend } from './stage/index.ts';
import { postgresBackend } from './stage/postgres-backend.ts';
import { validateIamRole, validateS3Url } from './dialect/redshift-copy.ts';
import { inTransaction, type Warehouse } from './warehouse/connect.ts';
import { acquireRunLock, type RunLock } from './warehouse/lock.ts';
import { finishRun, startRun, type RunCounts, type RunStatus } from './warehouse/runs.ts';
import { requireTables, tableCounts } from './warehouse/tables.ts';

export interface EtlSummary {
  status: 'ok' | 'rejects' | 'failed';
  runId?: number;
  objects: { listed: number; loaded: number; skipped: number; failed: number; pruned: number };
  records: { staged: number; rejected: number };
  tables: Record<string, number>;
  model?: ModelResult;
  durationMs: number;
  /** Where the time went: listing the sources, staging, the model step (ms). */
  timings: { listMs: number; stageMs: number; modelMs: number };
  /** The loader process's peak resident memory, in MB. */
  peakRssMb: number;
  dryRun?: { load: string[]; prune: string[] };
  /** Data-quality checks run after the load (check/). */
  checks?: CheckResult[];
  error?: string;
}

export interface EtlDeps {
  log: Logger;
  progress?: ProgressReporter;
  signal?: AbortSignal;
  /** Builds the staging backend; `neverLoaded` holds the keys to load that had no etl_objects row. */
  backend?: (wh: Warehouse, runId: number, s3: S3Client | undefined, neverLoaded: Set<string>) => StagingBackend;
  /** The run lock, when the caller already holds it (`run` holds it across create-tables and etl). */
  lock?: RunLock;
  /** Filled as the run goes: when it throws, this says what was done before (SPEC §8 `--json`). */
  summary?: EtlSummary;
}

/** A summary of a run that has done nothing yet. */
export function newSummary(): EtlSummary {
  return {
    status: 'ok',
    objects: { listed: 0, loaded: 0, skipped: 0, failed: 0, pruned: 0 },
    records: { staged: 0, rejected: 0 },
    tables: {},
    durationMs: 0,
    timings: { listMs: 0, stageMs: 0, modelMs: 0 },
    peakRssMb: 0,
  };
}

/** How long a failed run waits for the table counts it reports. */
const FAILED_COUNTS_MS = 5_000;

/** Samples of rejects printed per run before "… and N more". */
const REJECT_LINES = 20;

export async function runEtl(wh: Warehouse, config: Config, command: string, deps: EtlDeps): Promise<EtlSummary> {
  const started = Date.now();
  const { log } = deps;
  const progress = deps.progress ?? noProgress;
  const summary = deps.summary ?? newSummary();
  const sourceUrls = requireSources(config);
  // Settings the backend needs are checked before anything is locked, listed or written.
  const makeBackend = deps.backend ?? (await chooseBackend(config, wh));
  await requireTables(wh);
  const lock = deps.lock ?? (await acquireRunLock(wh, config.runner));
  let s3: S3Client | undefined;
  let runId: number | undefined;
  try {
    runId = await startRun(wh, command, config.runner);
    summary.runId = runId;
    // Recorded the moment a stop arrives, so that even a hard exit leaves the run `interrupted`.
    wh.onInterrupt?.(`UPDATE ${wh.names.t('etl_runs')} SET status = 'interrupted' WHERE run_id = $1 AND status = 'running'`, [runId]);
    log.info(`run ${runId}: loading into ${wh.description}${config.schema ? ` (schema ${config.schema})` : ''}`);

    const needsS3 = sourceUrls.some(([, url]) => parseSourceUrl(url).kind === 's3') || wh.dialect.name === 'redshift';
    // The AWS SDK is loaded only when something lives in S3 (it costs ~35 MB and 70 ms).
    const aws = needsS3 ? { ...(await import('./extract/s3-client.ts')), ...(await import('./extract/s3-source.ts')) } : undefined;
    s3 = aws?.makeS3Client(config.s3, { maxAttempts: config.load.retries + 1, timeoutMs: config.load.timeoutSeconds * 1000 });
    const sources = new Map<Dataset, Source>();
    for (const [name, url] of sourceUrls) {
      const dataset: Dataset = name === 'songs' ? 'songs' : 'events';
      const loc = parseSourceUrl(url);
      sources.set(dataset, loc.kind === 's3' ? aws!.s3Source(dataset, s3!, loc.bucket, loc.prefix) : localSource(dataset, loc.dir));
    }

    const listed: SourceObject[] = [];
    let t = Date.now();
    for (const source of sources.values()) {
      const before = listed.length;
      for await (const o of source.list(deps.signal)) listed.push(o);
      log.info(`listed ${listed.length - before} objects in ${source.description}`);
    }
    summary.timings.listMs = Date.now() - t;
    // --full-refresh without a day range forgets everything staged (after listing
    // worked, so a missing bucket does not leave staging empty) and loads it all again.
    const wipe = config.load.fullRefresh && !config.load.since && !config.load.until && !config.load.dryRun;
    if (wipe) await wipeStaging(wh, [...sources.keys()]);
    const loaded = wipe ? new Map<string, LoadedObject>() : await loadedObjects(wh, [...sources.keys()]);
    const plan = planLoad(listed, loaded, {
      fullRefresh: config.load.fullRefresh,
      prune: config.load.prune,
      since: config.load.since,
      until: config.load.until,
      listedDatasets: [...sources.keys()],
    });
    summary.objects.listed = plan.listed;
    summary.objects.skipped = plan.skip.length;
    if (config.load.dryRun) {
      summary.dryRun = { load: plan.load.map((o) => o.key), prune: plan.prune.map((p) => p.key) };
      for (const o of plan.load) log.info(`would load ${o.key} (${o.size} bytes)`);
      for (const p of plan.prune) log.info(`would prune ${p.key}`);
      log.info(`dry run: ${plan.load.length} to load, ${plan.skip.length} unchanged or out of range, ${plan.prune.length} to prune`);
      summary.tables = await tableCounts(wh);
      await finishRun(wh, runId, 'dry-run', countsOf(summary));
      return finish(summary, started);
    }
    log.info(`plan: ${plan.load.length} to load, ${plan.skip.length} unchanged or out of range${config.load.prune ? `, ${plan.prune.length} to prune` : ''}`);

    await bulkLoadIndexes(wh, plan, log);
    const backend = makeBackend(wh, runId, s3, new Set(plan.load.filter((o) => !loaded.has(o.key)).map((o) => o.key)));
    let staged: ObjectOutcome[];
    t = Date.now();
    try {
      staged = await stage(plan, sources, backend, wh, config, deps, progress, summary);
    } finally {
      await backend.close?.().catch((err: unknown) => log.warn(`cannot remove staged files: ${describeError(err)}`));
    }
    summary.timings.stageMs = Date.now() - t;
    await prune(wh, plan, log);
    summary.objects.pruned = plan.prune.length;
    logRejects(staged, log);

    if (deps.signal?.aborted) throw deps.signal.reason;
    // A server restart during staging took the lock's session with it: hold it again before modelling.
    await lock.ensure();
    const retry = { ...DEFAULT_RETRY, attempts: config.load.retries + 1 };
    summary.model = await buildStarSchema(wh, log, { force: config.load.fullRefresh ? 'full' : undefined, signal: deps.signal, retry, swapWaitMs: config.load.swapWaitSeconds * 1000 }).catch(
      async (err: unknown) => {
        throw await explainModelFailure(wh, err);
      },
    );
    summary.timings.modelMs = summary.model.durationMs;
    if (summary.model.mode !== 'none') log.info(`model: ${summary.model.mode} build in ${summary.model.durationMs} ms`);
    summary.tables = await tableCounts(wh);

    if (summary.objects.failed > 0) {
      summary.status = 'failed';
      summary.error = `${summary.objects.failed} object(s) could not be loaded; the others were, and the next run retries them`;
    } else if (summary.records.rejected > config.load.maxErrors) {
      summary.status = 'rejects';
      summary.error = `${summary.records.rejected} record(s) rejected, more than --max-errors ${config.load.maxErrors}; see etl_rejects or \`sparkify status\``;
    }
    await finishRun(wh, runId, summary.status, countsOf(summary), summary.error);
    return finish(summary, started);
  } catch (caught) {
    // The cancels a stop sent must land before the run's last statements, not on them.
    await wh.interrupting;
    const err = await explainFailure(wh, caught, config.load.timeoutSeconds);
    summary.status = 'failed';
    summary.error = describeError(err);
    if (runId !== undefined) {
      const status: RunStatus = err instanceof SparkifyError && err.code === 'INTERRUPTED' ? 'interrupted' : 'failed';
      await finishRun(wh, runId, status, countsOf(summary), summary.error).catch((e: unknown) => log.debug(`cannot record the run's end: ${describeError(e)}`));
    }
    // What the tables hold after the failure, if the warehouse still answers soon.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Record<string, number>>((resolve) => (timer = setTimeout(() => resolve({}), FAILED_COUNTS_MS)));
    summary.tables = await Promise.race([tableCounts(wh).catch(() => ({})), late]);
    clearTimeout(timer);
    finish(summary, started);
    throw err;
  } finally {
    progress.stop();
    s3?.destroy();
    if (!deps.lock) await lock.release();
  }
}

/** The staging backend for the warehouse and mode; validates its settings now. */
async function chooseBackend(config: Config, wh: Warehouse): Promise<NonNullable<EtlDeps['backend']>> {
  if (wh.dialect.name !== 'redshift') return (w, runId, _s3, neverLoaded) => postgresBackend(w, runId, neverLoaded);
  const { parseStagingPrefix, StagingArea } = await import('./stage/s3-staging.ts');
  const { redshiftStageBackend } = await import('./stage/redshift-backend.ts');
  const { redshiftDirectBackend } = await import('./stage/redshift-direct.ts');
  const iamRole = validateIamRole(config.redshift.iamRole);
  const staging = parseStagingPrefix(config.redshift.stagingPrefix);
  const region = config.s3.regionConfigured ? config.s3.region : undefined;
  if (config.redshift.mode === 'stage') return (w, runId, s3, neverLoaded) => redshiftStageBackend(w, runId, s3!, { iamRole, staging, region }, neverLoaded);
  const buckets = new Map<Dataset, string>();
  for (const [dataset, url] of [['songs', config.sources.songs], ['events', config.sources.logs]] as const) {
    if (!url) continue;
    const loc = parseSourceUrl(url);
    if (loc.kind !== 's3') throw new UsageError(`Redshift direct mode reads the sources from S3 itself, but the ${dataset} come from a local folder`, { hint: 'use --redshift-mode stage (the default), which reads local folders too' });
    buckets.set(dataset, loc.bucket);
  }
  const jsonPaths = config.redshift.jsonPaths ? validateS3Url(config.redshift.jsonPaths, 'JSONPaths file') : undefined;
  return (w, runId, s3, neverLoaded) =>
    redshiftDirectBackend(w, runId, new StagingArea(s3!, staging, runId), {
      iamRole,
      staging,
      region,
      jsonPaths,
      maxError: 100000,
      sourceUrl: (o) => `s3://${buckets.get(o.dataset)!}/${o.key}`,
    }, neverLoaded);
}

/** The configured sources (checked before any connection is opened). */
export function requireSources(config: Config): [string, string][] {
  const urls = Object.entries(config.sources).filter((e): e is [string, string] => !!e[1]);
  if (urls.length === 0) {
    throw new UsageError('no source to load', { hint: 'give --logs and/or --songs (s3://bucket/prefix or a folder), or set LOG_DATA / SONG_DATA under [S3] in dwh.cfg' });
  }
  for (const [, url] of urls) parseSourceUrl(url);
  return urls;
}

async function stage(
  plan: LoadPlan,
  sources: Map<Dataset, Source>,
  backend: StagingBackend,
  wh: Warehouse,
  config: Config,
  deps: EtlDeps,
  progress: ProgressReporter,
  summary: EtlSummary,
): Promise<ObjectOutcome[]> {
  if (plan.load.length === 0) return [];
  progress.start(plan.load.length, plan.load.reduce((s, o) => s + o.size, 0));
  const result = await stageObjects(
    plan.load,
    (o) => sources.get(o.dataset)!,
    backend,
    {
      readConcurrency: config.load.concurrency,
      unitConcurrency: Math.max(1, Math.min(config.load.concurrency, 2)),
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
  progress.stop();
  return result.outcomes;
}

/**
 * When a run loads more event data than is staged already (a first load, a
 * backfill, a full refresh), the indexes only the model step reads are
 * dropped first: maintaining them row by row would cost more than building
 * them once afterwards, which the model step does (model/index.ts).
 */
async function bulkLoadIndexes(wh: Warehouse, plan: LoadPlan, log: Logger): Promise<void> {
  const drops = wh.dialect.dropModelIndexes(wh.names);
  if (drops.length === 0) return;
  const loading = plan.load.filter((o) => o.dataset === 'events').reduce((n, o) => n + o.size, 0);
  if (loading < 64 * 1024 * 1024) return;
  const { rows } = await wh.pool.query(`SELECT COALESCE(SUM(size), 0) AS bytes FROM ${wh.names.t('etl_objects')} WHERE dataset = 'events'`);
  if (loading <= Number(rows[0].bytes)) return;
  log.info(`bulk load (${Math.round(loading / 1048576)} MB of events): lookup indexes are rebuilt after staging`);
  for (const sql of drops) await wh.pool.query(sql);
}

async function prune(wh: Warehouse, plan: LoadPlan, log: Logger): Promise<void> {
  for (const dataset of ['events', 'songs'] as const) {
    const keys = plan.prune.filter((p) => p.dataset === dataset).map((p) => p.key);
    if (keys.length === 0) continue;
    await inTransaction(wh.pool, (client) => forgetObjects(client, { names: wh.names, dialect: wh.dialect }, dataset, keys));
    log.info(`pruned ${keys.length} ${dataset} object(s) no longer in the source`);
  }
}

/** What etl_objects holds for the data sets this run lists. */
async function loadedObjects(wh: Warehouse, datasets: readonly Dataset[]): Promise<Map<string, LoadedObject>> {
  const { rows } = await wh.pool.query(`SELECT source_key, dataset, fingerprint FROM ${wh.names.t('etl_objects')} WHERE dataset IN (${datasets.map((_, i) => wh.dialect.param(i + 1)).join(', ')})`, [...datasets]);
  return new Map(rows.map((r) => [r.source_key as string, { key: r.source_key as string, dataset: r.dataset as Dataset, fingerprint: r.fingerprint as string }]));
}

/**
 * --full-refresh: forget every staged object of the data sets this run lists
 * (a run given only --logs keeps the songs); the model step then rebuilds
 * everything from what is loaded again.
 */
async function wipeStaging(wh: Warehouse, datasets: readonly Dataset[]): Promise<void> {
  const n = wh.names;
  await inTransaction(wh.pool, async (client) => {
    for (const dataset of datasets) {
      await client.query(wh.dialect.emptyTable(n.t(STAGING_TABLE[dataset])));
      await client.query(wh.dialect.emptyTable(n.t(dataset === 'events' ? 'etl_dirty_events' : 'etl_dirty_songs')));
      for (const t of ['etl_objects', 'etl_rejects', 'etl_dirty_objects']) await client.query(`DELETE FROM ${n.t(t)} WHERE dataset = $1`, [dataset]);
    }
    await client.query(`DELETE FROM ${n.t('etl_state')} WHERE name = 'full_rebuild_pending'`);
    await client.query(`INSERT INTO ${n.t('etl_state')} (name, value) VALUES ('full_rebuild_pending', 'true')`);
  });
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
  if (total > shown) log.warn(`… and ${total - shown} more rejects (etl_rejects has them all, with their raw text)`);
}

function countsOf(s: EtlSummary): RunCounts {
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

function finish(s: EtlSummary, started: number): EtlSummary {
  s.durationMs = Date.now() - started;
  s.peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  return s;
}
