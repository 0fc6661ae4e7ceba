/**
 * The run lock of a warehouse schema. Every writing command takes it (etl,
 * run, demo, create-tables with or without --reset, model), so a reset can
 * never drop tables under a load. It has two modes:
 *
 * - **exclusive**: an unsharded run, a model build, create-tables. Nothing
 *   else writes while it holds the lock.
 * - **shard** (`etl --shard I/N`): shards hold it together, so they stage at
 *   once; none may run beside an exclusive holder, two runs of the same shard
 *   refuse each other, and so do shards of different counts (their shares
 *   would overlap).
 *
 * On Postgres the lock is a set of session-level advisory locks held by a
 * dedicated connection (advisory-lock.ts): if the loader dies, the connection
 * closes and the locks go with it. On Redshift, which has none, it is a lease
 * row per holder renewed by a heartbeat (lease-lock.ts); a run whose lease
 * was taken over is told through `lost`, and stops. A refused run is told who
 * holds the lock.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WarehouseError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import type { Shard } from '../common/shard.ts';
import type { Warehouse } from './connect.ts';
import { acquireAdvisoryLock } from './advisory-lock.ts';
import { acquireLease } from './lease-lock.ts';

export interface RunLock {
  /** Aborts (with a LOCKED WarehouseError as reason) when another run took the lock (a Redshift lease taken over). */
  readonly lost: AbortSignal;
  /**
   * Makes sure the lock is still held: if its connection died (a server
   * restart drops session locks), takes it again, or throws LOCKED when
   * another run took it meanwhile.
   */
  ensure(): Promise<void>;
  release(): Promise<void>;
}

export interface LockOptions {
  /** Redshift: how often the lease is renewed (ms, default 20 000). */
  heartbeatMs?: number;
  /** Redshift: a lease not renewed for this long is taken over (ms, default 120 000). */
  staleMs?: number;
}

export interface LockWait {
  /** How long to wait for a held lock before failing (`--wait`, default 0: fail at once). */
  waitSeconds?: number;
  /** Told once that the run waits, and for whom. */
  log?: Logger;
  /** A stop (SIGINT/SIGTERM) ends the wait. */
  signal?: AbortSignal;
  /** Take the lock as this shard of a sharded load (default: exclusively). */
  shard?: Shard;
}

/** Who is asking: the lock names its holder by host and process. */
export interface LockRunner {
  host: string;
  pid: number;
}

/** How often a waiting run tries the lock again. */
const WAIT_POLL_MS = 500;

/**
 * Takes the run lock of the warehouse schema, or says who holds it. With
 * `waitSeconds`, a held lock is tried again every half second until it is
 * free or the time is up (overlapping cron runs queue instead of failing; a
 * model build waits for the shards).
 */
export async function acquireRunLock(wh: Warehouse, runner: LockRunner, wait: LockWait & LockOptions = {}): Promise<RunLock> {
  const sql = wh.dialect.runLock;
  const attempt = () => (sql.kind === 'lease' ? acquireLease(wh, sql, runner, wait, wait.shard) : acquireAdvisoryLock(wh, sql, wait.shard));
  const deadline = Date.now() + (wait.waitSeconds ?? 0) * 1000;
  let told = false;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof WarehouseError && err.code === 'LOCKED') || Date.now() >= deadline) {
        if (err instanceof WarehouseError && err.code === 'LOCKED' && wait.waitSeconds) {
          throw new WarehouseError('LOCKED', `${err.message} (waited ${wait.waitSeconds} s)`, { cause: err, hint: 'raise --wait, or look for a run that is stuck (`sparkify status`)' });
        }
        throw err;
      }
      if (!told) wait.log?.info(`${err.message}; waiting up to ${wait.waitSeconds} s for it (--wait)`, { event: 'lock-wait' });
      told = true;
      await sleep(Math.min(WAIT_POLL_MS, Math.max(deadline - Date.now(), 0)), undefined, { signal: wait.signal }).catch(() => {
        throw wait.signal?.reason ?? err;
      });
    }
  }
}

/** Runs `work` holding the run lock (released whatever happens). */
export async function withRunLock<T>(wh: Warehouse, runner: LockRunner, work: (lock: RunLock) => Promise<T>, wait: LockWait & LockOptions = {}): Promise<T> {
  const lock = await acquireRunLock(wh, runner, wait);
  try {
    return await work(lock);
  } finally {
    await lock.release();
  }
}
