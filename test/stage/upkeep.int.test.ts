/**
 * The upkeep behind a bulk load (stage/upkeep.ts) on a real Postgres: its
 * rounds summarize the BRIN ranges of the pages staged, all but the last few
 * (which COPYs may still be filling), so that the full build finds little
 * left; a round that meets a taken lock is skipped, not the rest.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase } from '../support/services.ts';
import { withWarehouse } from '../support/in-process.ts';
import { until } from '../support/wait.ts';
import { createTables } from '../../src/warehouse/tables.ts';
import { StagingUpkeep } from '../../src/stage/upkeep.ts';
import { silentLogger } from '../../src/common/log.ts';

/** Adds `rows` events of one object (about 40 to a page). */
const stageRows = (db: pg.ClientBase, key: string, rows: number) =>
  db.query(
    `INSERT INTO stg_events (item_in_session, page, session_id, ts, user_agent, source_key, source_line)
     SELECT g % 100, 'NextSong', g / 100, 1541030416416 + g, repeat('x', 150), $1, g FROM generate_series(1, $2) g`,
    [key, rows],
  );

/** Summarizes what is left and says how many ranges that was. */
const unsummarized = async (db: pg.ClientBase) => Number((await db.query(`SELECT brin_summarize_new_values('stg_events_source_key_brin'::regclass) AS n`)).rows[0].n);

describe('staging upkeep during a bulk load', () => {
  it('summarizes the BRIN ranges of the pages staged, but the last few', async () => {
    const target = await createDatabase('upkeep');
    await withWarehouse({ target }, async (wh) => {
      await createTables(wh);
      const db = await wh.pool.connect();
      try {
        const upkeep = new StagingUpkeep(wh.pool, wh.dialect.bulkUpkeep(wh.names), silentLogger);
        for (const [i, key] of ['log_data/a.json', 'log_data/b.json', 'log_data/c.json'].entries()) {
          await stageRows(db, key, 30_000);
          upkeep.objectStaged();
          // Each object's round before the next object (on a busy machine a round could still run when
          // the last object commits, and stop() starts no round after it: the build does that one).
          await until(`upkeep round ${i + 1}`, () => upkeep.rounds >= i + 1, { timeoutMs: 10_000, everyMs: 10 }).catch(() => undefined);
        }
        await upkeep.stop();
        expect(upkeep.rounds).toBeGreaterThanOrEqual(1);
        const pages = Number((await db.query(`SELECT pg_relation_size('stg_events') / 8192 AS p`)).rows[0].p);
        expect(pages).toBeGreaterThan(20 * 128);
        // Left for the build: the ranges of the last 3–4 ranges' worth of pages.
        const left = await unsummarized(db);
        expect(left).toBeGreaterThanOrEqual(3);
        expect(left).toBeLessThanOrEqual(4);
      } finally {
        db.release();
      }
    });
  });

  it('skips a round that meets a taken lock, and does the next', async () => {
    const target = await createDatabase('upkeep-lock');
    await withWarehouse({ target }, async (wh) => {
      await createTables(wh);
      const db = await wh.pool.connect();
      const holder = new pg.Client({ connectionString: target });
      await holder.connect();
      try {
        await stageRows(db, 'log_data/a.json', 60_000);
        const upkeep = new StagingUpkeep(wh.pool, wh.dialect.bulkUpkeep(wh.names), silentLogger, 50);
        // What autovacuum takes: summarizing waits for it.
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE stg_events IN SHARE UPDATE EXCLUSIVE MODE');
        upkeep.objectStaged();
        await new Promise((r) => setTimeout(r, 300));
        expect(upkeep.rounds).toBe(0);
        await holder.query('COMMIT');
        upkeep.objectStaged();
        await upkeep.stop();
        expect(upkeep.rounds).toBe(1);
        expect(await unsummarized(db)).toBeLessThanOrEqual(4);
      } finally {
        await holder.end();
        db.release();
      }
    });
  });
});
