/**
 * `sparkify model` (and `etl --model-only`): bring the star schema up to date
 * with staging, once, after the shards of a sharded load have finished —
 * lock, load what the shards left (Redshift), model, count, record. It lists
 * and stages nothing; it holds the run lock exclusively, so it waits for (or
 * refuses) running shards, and no shard starts while it builds. Its steps are
 * those of an etl run (run/etl.ts).
 */
import { checkShardRun, type Config } from '../config/index.ts';
import { beginRun, describeDestination, endRun, failedRun, holdRunLock, modelStep, stopSignal, type EtlDeps } from './etl.ts';
import { noProgress } from './progress.ts';
import { mergeShards } from './shard-merge.ts';
import { newSummary, type EtlSummary } from './summary.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { requireTables, tableCounts } from '../warehouse/tables.ts';

/** One model run; `command` names it in the ledger's runs (`model`). */
export async function runModel(wh: Warehouse, config: Config, command: string, deps: EtlDeps): Promise<EtlSummary> {
  const started = Date.now();
  const { log } = deps;
  const summary = deps.summary ?? newSummary();
  // `etl --model-only --shard I/N` makes no sense: the build comes after every shard.
  checkShardRun(config);
  await requireTables(wh);
  const lock = await holdRunLock(wh, config, deps);
  const signal = stopSignal(deps, lock);
  let runId: number | undefined;
  try {
    runId = await beginRun(wh, command, config, summary, log);
    log.info(`run ${runId}: building the star schema in ${describeDestination(wh, config)}`);
    summary.shardParts = await mergeShards(wh, config, runId, { log, signal });
    if (signal.aborted) throw signal.reason;
    await modelStep(wh, config, lock, summary, { log, signal, progress: deps.progress ?? noProgress });
    summary.tables = await tableCounts(wh);
    return await endRun(wh, runId, config, summary, { log, started, dropRejects: true });
  } catch (caught) {
    throw await failedRun(wh, runId, caught, summary, config, deps, started);
  } finally {
    if (!deps.lock) await lock.release();
  }
}
