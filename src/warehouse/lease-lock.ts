/**
 * The run lock on Redshift, which has no advisory locks: one lease row of
 * the ledger's lease table per holder — `run` for an exclusive holder,
 * `shard I/N` for each shard run — taken under an explicit LOCK of that table
 * and renewed by a heartbeat. Every write to the table runs under that LOCK,
 * so concurrent shards queue on it instead of failing each other with error
 * 1023 [DG:c_serial_isolation]. The statements are the dialect's
 * (dialect/redshift-lease.ts).
 *
 * Every time in it is the warehouse's, so clients with skewed clocks agree
 * on a lease's age. A loader that dies stops renewing; its lease is taken
 * over once it is `staleMs` old, or at once by a run on the same host when
 * the holder's process is gone. A holder whose heartbeat finds its row gone
 * or taken (it was paused, or cut off, for longer than that) has lost the
 * lease: `lost` aborts and the run stops.
 */
import { WarehouseError } from '../common/errors.ts';
import type { LeaseSql } from '../dialect/types.ts';
import { quoteIdent } from '../dialect/sql.ts';
import { LEASE_TABLE } from '../ledger/names.ts';
import { parseShard, shardName, type Shard } from '../common/shard.ts';
import { inTransaction, type Warehouse } from './connect.ts';
import type { LockOptions, LockRunner, RunLock } from './lock.ts';

/** A lease is stale when its holder stopped renewing it, or is a dead process on this host. */
const LEASE_STALE_MS = 120_000;
const LEASE_HEARTBEAT_MS = 20_000;

interface Lease {
  name: string;
  holder: string;
  acquiredAt: string;
  heartbeatAt: string;
  /** Parsed from a `shard I/N` name. */
  shard?: Shard;
}

/** Takes the lease: the `run` row (exclusive) or this shard's row. */
export async function acquireLease(wh: Warehouse, sql: LeaseSql, runner: LockRunner, options: LockOptions, shard?: Shard): Promise<RunLock> {
  const table = wh.names.t(LEASE_TABLE);
  const me = `${runner.host}:${runner.pid}`;
  const name = shard ? `shard ${shardName(shard)}` : 'run';
  const staleMs = options.staleMs ?? LEASE_STALE_MS;
  const where = wh.names.schema ?? 'the default schema';
  const client = await wh.pool.connect();
  client.on('error', () => undefined); // a lost connection is reported by the query that notices it
  try {
    // The lease table may not exist yet: create-tables takes the lock before it creates anything.
    if (wh.names.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(wh.names.schema)}`);
    await client.query(sql.createTable(table));
    await client.query('BEGIN');
    await client.query(sql.lock(table));
    const { rows } = await client.query(sql.read(table));
    const leases = rows.map((r) => ({ ...toLease(r), live: r.holder !== me && !leaseStale(r.holder, ageMs(r.now, r.heartbeat_at), runner.host, staleMs) }));
    const refusal = refuse(leases.filter((l) => l.live), shard, where, staleMs);
    if (refusal) {
      await client.query('ROLLBACK');
      throw refusal;
    }
    // Stale leases (and one of ours left behind) are taken over.
    const gone = [...new Set([name, ...leases.filter((l) => !l.live).map((l) => l.name)])];
    await client.query(sql.remove(table, gone.length), gone);
    await client.query(sql.take(table), [name, me]);
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
  /** One write to the lease table, queued behind every other (no error 1023 between shards). */
  const locked = (statement: string) =>
    inTransaction(wh.pool, async (c) => {
      await c.query(sql.lock(table));
      return c.query(statement, [name, me]);
    });
  const timer = setInterval(() => {
    locked(sql.renew(table))
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
      await locked(sql.release(table)).catch(() => undefined);
    },
  };
}

function toLease(r: Record<string, unknown>): Lease {
  const name = String(r.name);
  const shard = name.startsWith('shard ') ? parseShard(name.slice('shard '.length), 'lease') : undefined;
  return { name, holder: String(r.holder), acquiredAt: String(r.acquired_at).slice(0, 19), heartbeatAt: String(r.heartbeat_at).slice(0, 19), shard: typeof shard === 'object' ? shard : undefined };
}

/** Why live leases keep this run out, if they do. */
function refuse(live: readonly Lease[], shard: Shard | undefined, where: string, staleMs: number): WarehouseError | undefined {
  const stale = `a lease not renewed for ${staleMs / 1000} s is taken over`;
  const exclusive = live.find((l) => !l.shard);
  if (exclusive) {
    return new WarehouseError('LOCKED', `another sparkify run holds the lock on ${where}: ${describe(exclusive)}`, {
      hint: shard ? `shards run beside each other, never beside a model build, an unsharded run or create-tables: wait for it (--wait SECONDS); ${stale}` : `wait for it to finish; ${stale}`,
    });
  }
  if (!shard && live.length > 0) {
    return new WarehouseError('LOCKED', `${live.length} sparkify shard run${live.length === 1 ? ' holds' : 's hold'} the lock on ${where}: ${live.map(describe).join('; ')}`, {
      hint: `a model build or an unsharded run waits for every shard to finish (--wait SECONDS); ${stale}`,
    });
  }
  if (!shard) return undefined;
  const others = live.filter((l) => l.shard && l.shard.count !== shard.count);
  if (others.length > 0) {
    return new WarehouseError('LOCKED', `shards of another count are loading ${where}: ${others.map(describe).join('; ')}; this run is shard ${shardName(shard)}`, {
      hint: 'every shard of one load must use the same count N (--shard I/N): their shares would overlap otherwise',
    });
  }
  const same = live.find((l) => l.shard?.index === shard.index);
  if (same) return new WarehouseError('LOCKED', `shard ${shard.index} of ${where} is already being loaded: ${describe(same)}`, { hint: `each shard runs once at a time; ${stale}` });
  return undefined;
}

/** `shard 1/3: loader etl-host:4242, since … UTC, last seen … UTC` */
function describe(l: Lease): string {
  return `${l.shard ? `shard ${shardName(l.shard)}: ` : ''}loader ${l.holder}, since ${l.acquiredAt} UTC, last seen ${l.heartbeatAt} UTC`;
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
