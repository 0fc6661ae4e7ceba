/**
 * One run at a time per warehouse schema. On Postgres a session-level
 * advisory lock, held by a dedicated connection for the whole run: if the
 * loader dies, the connection closes and the lock goes with it. A second run
 * is told who holds it.
 */
import type pg from 'pg';
import { WarehouseError } from '../errors.ts';
import type { Warehouse } from './connect.ts';

export interface RunLock {
  release(): Promise<void>;
}

/** First key of the two-int advisory lock: 'SP' for sparkify. */
const LOCK_CLASS = 0x5350;

export async function acquireRunLock(wh: Warehouse): Promise<RunLock> {
  const client = await wh.pool.connect();
  client.on('error', () => undefined); // reported by the next query, not as a crash
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
