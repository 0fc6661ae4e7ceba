/**
 * What every API call does around its work: open the warehouse (and hold
 * the run lock when it writes), explain a failure, always close; and throw
 * nothing but SparkifyError.
 */
import type { Config } from '../config/index.ts';
import { asSparkifyError, describeError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import type { Shard } from '../common/shard.ts';
import { openWarehouse, type Warehouse } from '../warehouse/connect.ts';
import { explainFailure } from '../warehouse/explain.ts';
import { withRunLock, type RunLock } from '../warehouse/lock.ts';

export interface SessionOptions {
  /** Hold the run lock around the work (every command that writes): one writing command at a time per schema. */
  lock?: boolean;
  signal?: AbortSignal;
  /** Take the lock as this shard of a sharded load. */
  shard?: Shard;
  /** Called once the warehouse is open (the CLI: a hard exit waits briefly for `wh.interrupting`). */
  opened?: (wh: Warehouse) => void;
}

/** Opens the warehouse for `work`, with the run lock around it when asked; closes it whatever happens. */
export async function withWarehouse<T>(config: Config, log: Logger, work: (wh: Warehouse, lock?: RunLock) => Promise<T>, options: SessionOptions = {}): Promise<T> {
  const wh = await openWarehouse(config, log, { signal: options.signal });
  options.opened?.(wh);
  try {
    return options.lock ? await withRunLock(wh, config.runner, (lock) => work(wh, lock), { waitSeconds: config.load.waitSeconds, log, signal: options.signal, shard: options.shard }) : await work(wh);
  } catch (err) {
    // A lock wait that ran out names the table and who holds it; a full disk, the table.
    throw await explainFailure(wh, err, config.load.timeoutSeconds);
  } finally {
    await wh.close().catch((err: unknown) => log.warn(`closing the warehouse: ${describeError(err)}`));
  }
}

/** Runs an API call: whatever it throws becomes a SparkifyError (common/errors.ts asSparkifyError). */
export async function apiCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asSparkifyError(err);
  }
}
