/**
 * `etl`, `run` and `model` as functions: resolve config, open the warehouse
 * under the run lock, (create the tables,) run, check, close — and return the
 * run's summary. A run that ends `failed` or `rejects` returns too (its
 * summary says so); what stops a run before its end throws.
 */
import type { Config } from '../config/index.ts';
import { UsageError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { shardName } from '../common/shard.ts';
import { checksAfterRun, stagingReadsBesideModel } from '../check/index.ts';
import { runEtl } from '../run/etl.ts';
import { requireSources } from '../run/sources.ts';
import { runModel } from '../run/model-run.ts';
import { noProgress, type ProgressReporter } from '../run/progress.ts';
import { newSummary, processCpuMs, type EtlSummary } from '../run/summary.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import type { BesideReads } from '../model/index.ts';
import { embeddedExists } from '../warehouse/embedded.ts';
import { createTables } from '../warehouse/tables.ts';
import { configOf, logOf, type CommonOptions } from './options.ts';
import { apiCall, withWarehouse } from './session.ts';

export interface EtlOptions extends CommonOptions {
  /** Create the tables first (`sparkify run`); they must exist otherwise. */
  createTables?: boolean;
  /** Skip the data-quality checks after the load (default: run them; `summary.checks`). */
  skipChecks?: boolean;
  /** Told the phases and the staging progress as the run goes (default: nobody). */
  progress?: ProgressReporter;
}

/** What the CLI adds to a load: how the run is named, what it did before a failure, a step after it. */
export interface LoadHooks {
  /** The run's name in etl_runs (default: `model`, `run` or `etl`). */
  command?: string;
  /** Filled as the run goes: when it throws, this says what was done before (SPEC §8 `--json`). */
  summary?: EtlSummary;
  /** Called once the warehouse is open. */
  opened?: (wh: Warehouse) => void;
  /** Work on the same connection after a successful run (the demo's report). */
  after?: (wh: Warehouse) => Promise<void>;
}

/**
 * One load: lists the sources, stages what is new or changed, brings the star
 * schema up to date and runs the data-quality checks (SPEC §6).
 */
export function etl(options: EtlOptions = {}): Promise<EtlSummary> {
  return apiCall(() => load(options));
}

/** Brings the star schema up to date with staging, once, after the shards of a sharded load (`sparkify model`). */
export function model(options: Omit<EtlOptions, 'createTables'> = {}): Promise<EtlSummary> {
  return apiCall(() => load({ ...options, modelOnly: true }));
}

/** etl, run or model, as the options say, with the CLI's hooks. */
export async function load(options: EtlOptions, hooks: LoadHooks = {}): Promise<EtlSummary> {
  const config = configOf(options);
  // A model run creates nothing: it builds from what is staged.
  const create = !!options.createTables && !config.load.modelOnly;
  if (!config.load.modelOnly) {
    requireSources(config);
    if (create && config.load.shard) {
      throw new UsageError(`run creates the tables, which a shard cannot do beside the others; this run is shard ${shardName(config.load.shard)} (from ${config.load.shard.origin})`, {
        hint: 'run `sparkify create-tables` once, then `sparkify etl` in each shard, then `sparkify model`',
      });
    }
  }
  const command = hooks.command ?? (config.load.modelOnly ? 'model' : create ? 'run' : 'etl');
  const log = logOf(options);
  const progress = options.progress ?? noProgress;
  const started = Date.now();
  // What the run did, even if it throws.
  const done = hooks.summary ?? newSummary();
  try {
    if (config.load.dryRun && config.target.kind === 'embedded' && !embeddedExists(config.target.dir)) {
      // A dry run creates nothing, not even the embedded Postgres: it plans against nothing loaded.
      log.info(`the embedded Postgres in ${config.target.dir} does not exist yet: \`sparkify run\` would create it`);
      const s = await runEtl(undefined, config, command, { log, progress, signal: options.signal, summary: done });
      progress.stop();
      return s;
    }
    return await withWarehouse(
      config,
      log,
      async (wh, lock) => {
        // A dry run creates nothing: etl plans against empty tables when there are none.
        if (create && !config.load.dryRun) await createTables(wh);
        const deps = { log, progress, signal: options.signal, lock, summary: done };
        // What the checks will read of staging, a full build reads beside its work.
        const beside = wantsChecks(config, options, done) && !config.load.modelOnly ? stagingReadsBesideModel(wh) : undefined;
        const s = config.load.modelOnly ? await runModel(wh, config, command, deps) : await runEtl(wh, config, command, { ...deps, modelBeside: beside });
        if (wantsChecks(config, options, s)) await checkRun(wh, s, log, progress, beside);
        progress.stop();
        await hooks.after?.(wh);
        return s;
      },
      // A dry run takes no lock: it changes nothing.
      { lock: !config.load.dryRun, signal: options.signal, shard: config.load.modelOnly ? undefined : config.load.shard, opened: hooks.opened },
    );
  } catch (err) {
    done.durationMs = Date.now() - started;
    throw err;
  }
}

/** The checks follow a run that changed the star schema and ended: not a dry run, a shard (the star schema waits for the model run), a failed or stopped run. */
function wantsChecks(config: Config, options: EtlOptions, s: EtlSummary): boolean {
  return !config.load.dryRun && !config.load.shard && !options.skipChecks && s.status !== 'failed' && !options.signal?.aborted;
}

/** The data-quality checks after a run, into its summary; a failed check is the run's error. */
async function checkRun(wh: Warehouse, s: EtlSummary, log: Logger, progress: ProgressReporter, beside?: BesideReads): Promise<void> {
  progress.phase('checks');
  const t = Date.now();
  s.checks = await checksAfterRun(wh, s, wh.pool, beside);
  s.timings.checksMs = Date.now() - t;
  s.durationMs += s.timings.checksMs;
  s.cpuMs = processCpuMs();
  const failed = s.checks.filter((x) => !x.ok);
  for (const c of failed) log.error(`check failed: ${c.name} — ${c.detail}`);
  for (const c of s.checks.filter((x) => x.ok && x.warning)) log.warn(`check: ${c.name} — ${c.detail}`);
  if (failed.length && !s.error) s.error = `${failed.length} data-quality check(s) failed: ${failed.map((c) => c.name).join('; ')}`;
}
