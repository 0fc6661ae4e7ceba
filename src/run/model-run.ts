/**
 * `sparkify model` (and `etl --model-only`): bring the star schema up to date
 * with staging, once, after the shards of a sharded load have finished —
 * lock, load what the shards left (Redshift), model, count, record. It lists
 * and stages nothing; it holds the run lock exclusively, so it waits for (or
 * refuses) running shards, and no shard starts while it builds.
 */
import { checkShardRun, type Config } from '../config/index.ts';
import { countsOf, describeDestination, dropOldRejects, failedRun, finish, modelStep, newSummary, type EtlDeps, type EtlSummary } from './etl.ts';
import { noProgress } from './progress.ts';
import { mergeShards } from './shard-merge.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { acquireRunLock } from '../warehouse/lock.ts';
import { finishRun, interruptedRun, startRun } from '../ledger/index.ts';
import { requireTables, tableCounts } from '../warehouse/tables.ts';

/** One model run; `command` names it in the ledger's runs (`model`). */
export async function runModel(wh: Warehouse, config: Config, command: string, deps: EtlDeps): Promise<EtlSummary> {
  const started = Date.now();
  const { log } = deps;
  const summary = deps.summary ?? newSummary();
  // `etl --model-only --shard I/N` makes no sense: the build comes after every shard.
  checkShardRun(config);
  await requireTables(wh);
  const lock = deps.lock ?? (await acquireRunLock(wh, config.runner, { ...deps.lockOptions, waitSeconds: config.load.waitSeconds, log, signal: deps.signal }));
  const signal = AbortSignal.any([deps.signal, lock.lost].filter((s): s is AbortSignal => s !== undefined));
  let runId: number | undefined;
  try {
    runId = await startRun(wh, command, config.runner);
    summary.runId = runId;
    log.context?.({ runId });
    wh.onInterrupt?.(...interruptedRun(wh.names, runId));
    log.info(`run ${runId}: building the star schema in ${describeDestination(wh, config)}`);
    summary.shardParts = await mergeShards(wh, config, runId, { log, signal });
    if (signal.aborted) throw signal.reason;
    await modelStep(wh, config, lock, summary, { log, signal, progress: deps.progress ?? noProgress });
    summary.tables = await tableCounts(wh);
    if (config.load.rejectsRetentionDays !== undefined) await dropOldRejects(wh, config.load.rejectsRetentionDays, log);
    await finishRun(wh, runId, summary.status, countsOf(summary), summary.error);
    return finish(summary, started);
  } catch (caught) {
    throw await failedRun(wh, runId, caught, summary, config, deps, started);
  } finally {
    if (!deps.lock) await lock.release();
  }
}
