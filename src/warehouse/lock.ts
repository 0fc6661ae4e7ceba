/**
 * One writing command at a time per warehouse schema: etl, run, demo and
 * create-tables (with or without --reset) all take the same lock, so a reset
 * can never drop tables under a load. On Postgres a session-level advisory
 * lock, held by a dedicated connection for the whole command: if the loader
 * dies, the connection closes and the lock goes with it. A second command is
 * told who holds it. On Redshift a lease row, renewed by a heartbeat; a run
 * whose lease was taken over is told through `lost`, and stops.
 */
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { WarehouseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { leaseTable } from '../dialect/redshift.ts';
import { quoteIdent } from '../dialect/sql.ts';
import type { Warehouse } from './connect.ts';

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

/** First key of the two-int advisory lock: 'SP' for sparkify. */
const LOCK_CLASS = 0x5350;

export interface LockWait {
  /** How long to wait for a held lock before failing (`--wait`, default 0: fail at once). */
  waitSeconds?: number;
  /** Told once that the run waits, and for whom. */
  log?: Logger;
  /** A stop (SIGINT/SIGTERM) ends the wait. */
  signal?: AbortSignal;
}

/** How often a waiting run tries the lock again. */
const WAIT_POLL_MS = 500;

/**
 * Takes the run lock of the warehouse schema, or says who holds it. With
 * `waitSeconds`, a held lock is tried again every half second until it is
 * free or the time is up (overlapping cron runs queue instead of failing).
 */
export async function acquireRunLock(wh: Warehouse, runner: { host: string; pid: number }, wait: LockWait & LockOptions = {}): Promise<RunLock> {
  const attempt = () => (wh.dialect.name === 'redshift' ? acquireLease(wh, runner, wait) : acquireAdvisoryLock(wh));
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
export async function withRunLock<T>(wh: Warehouse, runner: { host: string; pid: number }, work: (lock: RunLock) => Promise<T>, wait: LockWait & LockOptions = {}): Promise<T> {
  const lock = await acquireRunLock(wh, runner, wait);
  try {
    return await work(lock);
  } finally {
    await lock.release();
  }
}

async function acquireAdvisoryLock(wh: Warehouse): Promise<RunLock> {
  let held = await lockSession(wh);
  return {
    // A session lock is not taken away while its connection lives; a lost connection is ensure()'s to mend.
    lost: new AbortController().signal,
    async ensure() {
      if (!held.lost) return;
      held.client.release(true);
      held = await lockSession(wh, 'the run lock was lost with its connection (a server restart?) and ');
    },
    async release() {
      try {
        await held.client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, held.key]);
        held.client.release();
      } catch {
        held.client.release(true); // the connection is gone, and the lock with it
      }
    },
  };
}

/** A connection holding the advisory lock; `lost` turns true if the connection dies. */
async function lockSession(wh: Warehouse, context = ''): Promise<{ client: pg.PoolClient; key: number; lost: boolean }> {
  const client = await wh.pool.connect();
  const held = { client, key: 0, lost: false };
  // A lost connection is reported by ensure(), not as a crash; the lock went with it.
  client.on('error', () => (held.lost = true));
  client.on('end', () => (held.lost = true));
  try {
    const schema = wh.names.schema ?? (await client.query('SELECT current_schema() AS s')).rows[0].s;
    held.key = hash31(`sparkify:${schema}`);
    const { rows } = await client.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_CLASS, held.key]);
    if (!rows[0].ok) {
      const holder = await describeHolder(client, held.key);
      throw new WarehouseError('LOCKED', `${context}another sparkify run holds the lock on schema ${schema}${holder ? `: ${holder}` : ''}`, {
        hint: 'wait for it to finish; if it died, its lock is released when its connection closes',
      });
    }
    return held;
  } catch (err) {
    client.release(true);
    throw err;
  }
}

async function describeHolder(client: pg.ClientBase, key: number): Promise<string | undefined> {
  const { rows } = await client.query(
    `SELECT a.pid, a.application_name, a.client_addr::text AS addr, to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS since
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int::oid AND l.objid = $2::int::oid`,
    [LOCK_CLASS, key],
  );
  const r = rows[0];
  if (!r) return undefined;
  const who = /^sparkify (.+)$/.exec(r.application_name ?? '')?.[1];
  return `${who ? `loader ${who}` : `backend ${r.pid}`}${r.addr ? ` from ${r.addr}` : ''}, connected since ${r.since} UTC`;
}

/** FNV-1a, folded to a positive int4. */
function hash31(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}

/** A lease is stale when its holder stopped renewing it, or is a dead process on this host. */
const LEASE_STALE_MS = 120_000;
const LEASE_HEARTBEAT_MS = 20_000;

/**
 * Redshift has no advisory locks: the lock is one row of etl_lock, taken
 * under an explicit LOCK of that table and renewed by a heartbeat. Every time
 * in it is the warehouse's (GETDATE(), [DG:r_GETDATE]; `now()` is a
 * leader-node-only function Redshift refuses next to a table
 * [DG:c_SQL_functions_leader_node_only]), so clients with skewed clocks agree
 * on its age. A loader that dies stops renewing; its lease is taken over once
 * it is `staleMs` old, or at once by a run on the same host when the holder's
 * process is gone. A holder whose heartbeat finds its row gone or taken (it
 * was paused, or cut off, for longer than that) has lost the lease: `lost`
 * aborts and the run stops.
 */
async function acquireLease(wh: Warehouse, runner: { host: string; pid: number }, options: LockOptions): Promise<RunLock> {
  const table = wh.names.t('etl_lock');
  const me = `${runner.host}:${runner.pid}`;
  const staleMs = options.staleMs ?? LEASE_STALE_MS;
  const where = wh.names.schema ?? 'the default schema';
  const client = await wh.pool.connect();
  client.on('error', () => undefined); // a lost connection is reported by the query that notices it
  try {
    // The lease table may not exist yet: create-tables takes the lock before it creates anything.
    if (wh.names.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(wh.names.schema)}`);
    await client.query(leaseTable(wh.names));
    await client.query('BEGIN');
    await client.query(`LOCK ${table}`);
    const { rows } = await client.query(`SELECT holder, heartbeat_at, acquired_at, GETDATE() AS now FROM ${table} WHERE name = 'run'`);
    const held = rows[0];
    if (held && held.holder !== me && !leaseStale(held.holder, ageMs(held.now, held.heartbeat_at), runner.host, staleMs)) {
      await client.query('ROLLBACK');
      throw new WarehouseError('LOCKED', `another sparkify run holds the lock on ${where}: loader ${held.holder}, since ${String(held.acquired_at).slice(0, 19)} UTC, last seen ${String(held.heartbeat_at).slice(0, 19)} UTC`, {
        hint: `wait for it to finish; a lease not renewed for ${staleMs / 1000} s is taken over`,
      });
    }
    await client.query(`DELETE FROM ${table} WHERE name = 'run'`);
    await client.query(`INSERT INTO ${table} (name, holder, acquired_at, heartbeat_at) VALUES ('run', $1, GETDATE(), GETDATE())`, [me]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
    throw err;
  }
  client.release();
  const lost = new AbortController();
  let renewed = Date.now();
  const lose = (why: string) => {
    clearInterval(timer);
    lost.abort(new WarehouseError('LOCKED', `lost the run lease on ${where}: ${why}`, { hint: 'another run may be loading; this run stopped without finishing, and the next one picks up where it left off' }));
  };
  const timer = setInterval(() => {
    wh.pool
      .query(`UPDATE ${table} SET heartbeat_at = GETDATE() WHERE name = 'run' AND holder = $1`, [me])
      .then((r) => {
        if (r.rowCount === 0) lose('its row was taken over or removed (this run stopped renewing it for too long)');
        else renewed = Date.now();
      })
      .catch(() => {
        // The warehouse is out of reach: past the stale age another run may take the lease.
        if (Date.now() - renewed >= staleMs) lose(`it could not be renewed for ${Math.round(staleMs / 1000)} s`);
      });
  }, options.heartbeatMs ?? LEASE_HEARTBEAT_MS);
  timer.unref();
  return {
    lost: lost.signal,
    // The lease is a row, not a session: a restart does not take it away.
    async ensure() {},
    async release() {
      clearInterval(timer);
      await wh.pool.query(`DELETE FROM ${table} WHERE name = 'run' AND holder = $1`, [me]).catch(() => undefined);
    },
  };
}

/** `now - then` of two warehouse TIMESTAMPs (UTC text): the same clock, so no skew. */
function ageMs(now: unknown, then: unknown): number {
  const ms = (t: unknown) => Date.parse(`${String(t).replace(' ', 'T')}Z`);
  return ms(now) - ms(then);
}

function leaseStale(holder: string, age: number, host: string, staleMs: number): boolean {
  if (!(age < staleMs)) return true;
  const [holderHost, pid] = [holder.slice(0, holder.lastIndexOf(':')), Number(holder.slice(holder.lastIndexOf(':') + 1))];
  if (holderHost !== host || !Number.isInteger(pid)) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
