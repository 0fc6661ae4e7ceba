/**
 * One run at a time per warehouse schema. On Postgres a session-level
 * advisory lock, held by a dedicated connection for the whole run: if the
 * loader dies, the connection closes and the lock goes with it. On Redshift a
 * lease row, renewed by a heartbeat. A second run is told who holds it; a run
 * that loses its lock is told through `lost`, and stops.
 */
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { WarehouseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Warehouse } from './connect.ts';

export interface RunLock {
  /** Aborts (with a LOCKED WarehouseError as reason) when the run no longer holds the lock. */
  readonly lost: AbortSignal;
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

async function acquireAdvisoryLock(wh: Warehouse): Promise<RunLock> {
  const client = await wh.pool.connect();
  const lost = new AbortController();
  // The lock lives as long as its connection: losing one loses the other.
  client.on('error', (err) => lost.abort(new WarehouseError('LOCKED', `lost the run lock: its connection failed (${err.message})`, { cause: err })));
  try {
    const schema = wh.names.schema ?? (await client.query('SELECT current_schema() AS s')).rows[0].s;
    const key = hash31(`sparkify:${schema}`);
    const { rows } = await client.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_CLASS, key]);
    if (!rows[0].ok) {
      const holder = await describeHolder(client, key);
      throw new WarehouseError('LOCKED', `another sparkify run holds the lock on schema ${schema}${holder ? `: ${holder}` : ''}`, {
        hint: 'wait for it to finish; if it died, its lock is released when its connection closes',
      });
    }
    return {
      lost: lost.signal,
      async release() {
        try {
          await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, key]);
          client.release();
        } catch {
          client.release(true); // the connection is gone, and the lock with it
        }
      },
    };
  } catch (err) {
    client.release();
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
