/**
 * The run lock on Postgres: session-level advisory locks held by a dedicated
 * connection for the whole command, so that a loader that dies releases them
 * with its connection. Keys (two int4 each, per database):
 *
 * - the run lock `(0x5350, hash(schema))`: exclusive for an unsharded run, a
 *   model build or create-tables; shared by shard runs, so shards run side by
 *   side and never beside an exclusive holder;
 * - the shard lock `(hash('sparkify-shard:' + schema), I)`, exclusive: one
 *   run per shard;
 * - the count lock `(hash('sparkify-shards:' + schema), N)`, shared: a shard
 *   run that finds a count lock of another N granted refuses (shares of
 *   different counts overlap). The second part of these keys is the shard
 *   index or count itself, so pg_locks says which shards are running.
 */
import type pg from 'pg';
import { WarehouseError } from '../common/errors.ts';
import { CURRENT_SCHEMA_SQL } from '../dialect/catalog.ts';
import type { AdvisoryLockSql } from '../dialect/types.ts';
import { shardName, type Shard } from '../common/shard.ts';
import type { Warehouse } from './connect.ts';
import type { RunLock } from './lock.ts';

/** First key of the run lock: 'SP' for sparkify (the key every version of the loader takes). */
const LOCK_CLASS = 0x5350;

type Key = readonly [number, number];

interface Keys {
  run: Key;
  /** First keys of the shard and count locks (their second key is the index or count). */
  shardClass: number;
  countClass: number;
}

function keysOf(schema: string): Keys {
  return { run: [LOCK_CLASS, hash31(`sparkify:${schema}`)], shardClass: hash31(`sparkify-shard:${schema}`), countClass: hash31(`sparkify-shards:${schema}`) };
}

/** Takes the run lock: exclusively, or as `shard`. */
export async function acquireAdvisoryLock(wh: Warehouse, sql: AdvisoryLockSql, shard?: Shard): Promise<RunLock> {
  let held = await lockSession(wh, sql, shard);
  return {
    // A session lock is not taken away while its connection lives; a lost connection is ensure()'s to mend.
    lost: new AbortController().signal,
    async ensure() {
      if (!held.lost) return;
      held.client.release(true);
      held = await lockSession(wh, sql, shard, 'the run lock was lost with its connection (a server restart?) and ');
    },
    async release() {
      try {
        await held.client.query(sql.unlockAll);
        held.client.release();
      } catch {
        held.client.release(true); // the connection is gone, and the locks with it
      }
    },
  };
}

/** A connection holding the locks; `lost` turns true if the connection dies. */
async function lockSession(wh: Warehouse, sql: AdvisoryLockSql, shard: Shard | undefined, context = ''): Promise<{ client: pg.PoolClient; lost: boolean }> {
  const client = await wh.pool.connect();
  const held = { client, lost: false };
  // A lost connection is reported by ensure(), not as a crash; the locks went with it.
  const onLost = () => (held.lost = true);
  client.on('error', onLost);
  client.on('end', onLost);
  try {
    const schema: string = wh.names.schema ?? (await client.query(CURRENT_SCHEMA_SQL)).rows[0].s;
    const keys = keysOf(schema);
    const tryLock = async (key: Key, shared: boolean) =>
      (await client.query(sql.tryLock(shared), [...key])).rows[0].ok as boolean;
    // A refused session lets go of whatever it took (below).
    const refuse = (message: string, hint: string) => new WarehouseError('LOCKED', `${context}${message}`, { hint });
    if (!(await tryLock(keys.run, shard !== undefined))) {
      const holders = await runHolders(client, sql, keys);
      const shards = holders.filter((h) => h.shard);
      if (!shard && shards.length > 0) {
        throw refuse(`${shards.length} sparkify shard run${shards.length === 1 ? ' holds' : 's hold'} the lock on schema ${schema}: ${shards.map(describeHolder).join('; ')}`, 'a model build or an unsharded run waits for every shard to finish (--wait SECONDS); a shard that died releases its lock when its connection closes');
      }
      const holder = holders.find((h) => !h.shard) ?? holders[0];
      throw refuse(`another sparkify run holds the lock on schema ${schema}${holder ? `: ${describeHolder(holder)}` : ''}`, shard ? 'shards run beside each other, never beside a model build, an unsharded run or create-tables: wait for it (--wait SECONDS)' : 'wait for it to finish; if it died, its lock is released when its connection closes');
    }
    if (!shard) return held;
    await tryLock([keys.countClass, shard.count], true);
    const others = (await runHolders(client, sql, keys)).filter((h) => h.shard && h.shard.count !== shard.count);
    if (others.length > 0) {
      throw refuse(`shards of another count are loading schema ${schema}: ${others.map(describeHolder).join('; ')}; this run is shard ${shardName(shard)}`, 'every shard of one load must use the same count N (--shard I/N): their shares would overlap otherwise');
    }
    if (!(await tryLock([keys.shardClass, shard.index], false))) {
      const holder = (await runHolders(client, sql, keys)).find((h) => h.shard?.index === shard.index);
      throw refuse(`shard ${shard.index} of schema ${schema} is already being loaded${holder ? `: ${describeHolder(holder)}` : ''}`, 'each shard runs once at a time; if that run died, its lock is released when its connection closes');
    }
    return held;
  } catch (err) {
    // Let go of what this session took before saying so: a destroyed connection's locks outlive
    // it until the server notices, and a run started right after the refusal would find them.
    try {
      await client.query(sql.unlockAll);
      client.off('error', onLost).off('end', onLost);
      client.release();
    } catch {
      client.release(true);
    }
    throw err;
  }
}

interface Holder {
  pid: number;
  application: string | null;
  addr: string | null;
  since: string;
  /** The shard it loads, when it is a shard run (read from its shard and count locks). */
  shard?: Shard;
}

/** Sessions holding the run lock (or, for a run between its locks, a shard lock), with the shard each one loads. */
async function runHolders(client: pg.ClientBase, sql: AdvisoryLockSql, keys: Keys): Promise<Holder[]> {
  const { rows } = await client.query(sql.holders, [keys.run[0], keys.run[1], keys.shardClass, keys.countClass]);
  return rows.map((r) => ({
    pid: r.pid,
    application: r.application_name,
    addr: r.addr,
    since: r.since,
    shard: r.shard_index !== null && r.shard_count !== null ? { index: Number(r.shard_index), count: Number(r.shard_count) } : undefined,
  }));
}

/** `shard 1/3: loader etl-host:4242 from 10.0.0.5, connected since 2026-11-26 01:05:00 UTC` */
function describeHolder(h: Holder): string {
  const who = /^sparkify (.+)$/.exec(h.application ?? '')?.[1];
  return `${h.shard ? `shard ${shardName(h.shard)}: ` : ''}${who ? `loader ${who}` : `backend ${h.pid}`}${h.addr ? ` from ${h.addr}` : ''}, connected since ${h.since} UTC`;
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
