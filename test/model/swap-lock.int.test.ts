/**
 * A full build's swap takes every star table at once, and gives up after half
 * a second when reads hold them (then tries again). That half second bounds
 * the whole wait: Postgres' lock_timeout counts each table's wait apart, and
 * a table taken early stays taken while a later one is waited for, so readers
 * of songplays (the first table) would otherwise queue for each busy table's
 * half second in turn. An autovacuum of the tables it replaces is cancelled:
 * Postgres yields autovacuum to a lock request only after deadlock_timeout
 * (1 s), longer than the swap ever waits, so the swap would wait for the
 * whole vacuum.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase, SAMPLE_DIR } from '../support/services.ts';
import { etl, withWarehouse } from '../support/in-process.ts';
import { buildStarSchema } from '../../src/model/index.ts';
import type { Logger } from '../../src/common/log.ts';
import { countRows } from '../../src/warehouse/tables.ts';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the swap of a full build', () => {
  let target: string;
  const clients: pg.Client[] = [];
  const session = async (name = 'sparkify-test') => {
    const c = new pg.Client({ connectionString: target, application_name: name });
    await c.connect();
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    target = await createDatabase('swap_lock');
    expect((await etl({ target, songs: `${SAMPLE_DIR}song_data`, logs: `${SAMPLE_DIR}log_data` })).status).toBe('ok');
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
  });

  it('holds songplays up for half a second at most when two later tables are busy in turn', async () => {
    // Two analysts hold users and time (ACCESS SHARE, as any read of them does).
    const onUsers = await session('analyst-on-users');
    const onTime = await session('analyst-on-time');
    await onUsers.query('BEGIN');
    await onUsers.query('LOCK TABLE users IN ACCESS SHARE MODE');
    await onTime.query('BEGIN');
    await onTime.query('LOCK TABLE time IN ACCESS SHARE MODE');

    // A third reads songplays over and over: how long each read waits for the table.
    const reader = await session();
    let reading = true;
    let longestWait = 0;
    const reads = (async () => {
      while (reading) {
        const t = performance.now();
        await reader.query('BEGIN');
        await reader.query('LOCK TABLE songplays IN ACCESS SHARE MODE');
        longestWait = Math.max(longestWait, performance.now() - t);
        await reader.query('COMMIT');
        await sleep(20);
      }
    })();

    const said: string[] = [];
    const log: Logger = { info: (m) => void said.push(m), warn: (m) => void said.push(m), error: (m) => void said.push(m), debug: () => undefined };
    const build = withWarehouse({ target }, (wh) => buildStarSchema(wh, log, { force: 'full', swapWaitMs: 60_000 }));

    // Once the swap waits for users (songplays taken), users comes free after 0.4 s: the swap then
    // takes it and waits for time, which stays busy for a while longer.
    const watcher = await session();
    const waitingFor = async (table: string) => {
      const { rows } = await watcher.query(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = $1::regclass AND mode = 'AccessExclusiveLock' AND NOT granted`, [table]);
      return rows[0].n > 0;
    };
    for (let i = 0; !(await waitingFor('users')); i++) {
      expect(i, 'the swap never waited for users').toBeLessThan(3000);
      await sleep(10);
    }
    await sleep(400);
    await onUsers.query('COMMIT');
    await sleep(1500);
    await onTime.query('COMMIT');

    const result = await build;
    reading = false;
    await reads;
    expect(result.mode).toBe('full');
    expect(result.inPlace ?? []).toEqual([]);
    const counts = await withWarehouse({ target }, (wh) => countRows(wh, ['songplays', 'time']));
    expect(counts).toEqual({ songplays: 6820, time: 6813 });
    // Each try of the swap holds songplays while it waits, half a second in all (users' 0.4 s,
    // then time's 0.1 s); per table, songplays would be held for 0.4 + 0.5 s.
    expect(longestWait).toBeGreaterThan(300);
    expect(longestWait).toBeLessThan(800);
    // The log says who held the tables when the swap first found them busy (and no query text).
    const busy = said.find((m) => m.includes('the swap waits for a gap'));
    expect(busy).toMatch(/held by pid \d+: client backend of \w+, analyst-on-(users|time), idle in transaction, its transaction open \d+ s/);
    expect(busy).not.toMatch(/LOCK TABLE/);
    expect(said.some((m) => /swapped in after \d+ attempts/.test(m))).toBe(true);
  }, 60_000);
});

describe('the swap of a full build, beside autovacuum', () => {
  // A server of the test's own: autovacuum there wakes every second.
  let cluster: PgCluster;
  let target: string;
  beforeAll(async () => {
    cluster = await startPgCluster('swap-autovacuum');
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query(`ALTER SYSTEM SET autovacuum_naptime = '1s'`);
    await admin.query('SELECT pg_reload_conf()');
    await admin.query('CREATE DATABASE swap_autovacuum');
    await admin.end();
    target = cluster.url.replace(/\/postgres$/, '/swap_autovacuum');
    expect((await etl({ target, songs: `${SAMPLE_DIR}song_data`, logs: `${SAMPLE_DIR}log_data` })).status).toBe('ok');
  }, 60_000);
  afterAll(() => cluster?.destroy());

  it('cancels an autovacuum of the tables it replaces instead of waiting for it', async () => {
    // Autovacuum crawls through songplays (a page or so every 100 ms), holding it all the while.
    const db = new pg.Client({ connectionString: target });
    await db.connect();
    try {
      await db.query(`ALTER TABLE songplays SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)`);
      await db.query('UPDATE songplays SET level = level');
      const vacuuming = async () => (await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND query LIKE '%songplays%'`)).rows[0].n > 0;
      for (let i = 0; !(await vacuuming()); i++) {
        expect(i, 'autovacuum never started on songplays').toBeLessThan(300);
        await sleep(100);
      }
      const said: string[] = [];
      const log: Logger = { info: (m) => void said.push(m), warn: (m) => void said.push(m), error: (m) => void said.push(m), debug: () => undefined };
      const t = Date.now();
      const result = await withWarehouse({ target }, (wh) => buildStarSchema(wh, log, { force: 'full', swapWaitMs: 20_000 }));
      // Swapped, not reloaded in place after the 20 s, and long before the vacuum would have ended.
      expect(result.inPlace ?? [], said.join('\n')).toEqual([]);
      expect(Date.now() - t).toBeLessThan(10_000);
      expect(said.some((m) => /cancelled autovacuum \(pid \d+\) of songplays/.test(m)), said.join('\n')).toBe(true);
      const counts = await withWarehouse({ target }, (wh) => countRows(wh, ['songplays', 'time']));
      expect(counts).toEqual({ songplays: 6820, time: 6813 });
    } finally {
      await db.end();
    }
  }, 60_000);
});
