/**
 * The full build swaps fresh tables in: analysts keep reading the old ones
 * and wait at most for the swap, which gives up and tries again while reads
 * hold the tables; what analysts set up on a table (grants, comments, their
 * own indexes) survives, and a table a swap would break (a view on it) is
 * reloaded in place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase, SAMPLE_DIR } from '../support/services.ts';
import { etl } from '../support/in-process.ts';
import { signalled } from '../support/wait.ts';
import { silentLogger } from '../../src/common/log.ts';

const REFERENCE = { songplays: 6820, users: 97, songs: 71, artists: 69, time: 6813 };

describe('full build', () => {
  const flags: Record<string, string | boolean> = { songs: `${SAMPLE_DIR}song_data`, logs: `${SAMPLE_DIR}log_data` };
  let analyst: pg.Client;
  let other: pg.Client;
  const role = `sparkify_analyst_${process.pid}`;

  beforeAll(async () => {
    flags.target = await createDatabase('full_build');
    expect((await etl(flags)).status).toBe('ok');
    analyst = new pg.Client({ connectionString: flags.target as string });
    other = new pg.Client({ connectionString: flags.target as string });
    await analyst.connect();
    await other.connect();
  });
  afterAll(async () => {
    await analyst.end();
    await other.end();
  });

  /** Runs `SELECT count(*)` on every star table every 50 ms until `done` settles; returns the longest wait. */
  async function pollReads(done: Promise<unknown>): Promise<{ maxMs: number; reads: number }> {
    let finished = false;
    void done.finally(() => (finished = true)).catch(() => undefined);
    let maxMs = 0;
    let reads = 0;
    while (!finished) {
      for (const t of Object.keys(REFERENCE)) {
        const start = Date.now();
        await other.query(`SELECT count(*) FROM ${t}`);
        maxMs = Math.max(maxMs, Date.now() - start);
        reads++;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return { maxMs, reads };
  }

  const counts = async () => {
    const out: Record<string, number> = {};
    for (const t of Object.keys(REFERENCE)) out[t] = Number((await other.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
    return out;
  };

  it('waits for a gap in a long read instead of queueing other readers behind it', async () => {
    // A report holds songplays open (ACCESS SHARE).
    await analyst.query('BEGIN');
    await analyst.query('SELECT count(*) FROM songplays');
    // The read ends once the swap has tried, given up and said it waits for a gap.
    const swapWaits = signalled();
    const log = { ...silentLogger, info: (message: string) => void (/the swap waits for a gap/.test(message) && swapWaits.fire()) };
    const load = etl({ ...flags, fullRefresh: true, swapWait: '30' }, { log });
    const release = swapWaits.promise.then(() => analyst.query('COMMIT'));
    const reads = pollReads(load);
    const [summary, polled] = await Promise.all([load, reads, release]);
    expect(summary.status).toBe('ok');
    expect(summary.model?.inPlace).toEqual([]);
    expect(polled.reads).toBeGreaterThan(10);
    // Each attempt of the swap gives up after 500 ms, so no reader waits a second.
    expect(polled.maxMs).toBeLessThan(1000);
    expect(await counts()).toEqual(REFERENCE);
  });

  it('reloads in place, blocking no reader, when reads hold the tables past --swap-wait', async () => {
    await analyst.query('BEGIN');
    await analyst.query('SELECT count(*) FROM users');
    try {
      const load = etl({ ...flags, fullRefresh: true, swapWait: '1' });
      const polled = await pollReads(load);
      const summary = await load;
      expect(summary.status).toBe('ok');
      expect(summary.model?.inPlace?.map((p) => p.table)).toEqual(Object.keys(REFERENCE));
      expect(polled.maxMs).toBeLessThan(1000);
    } finally {
      await analyst.query('COMMIT');
    }
    expect(await counts()).toEqual(REFERENCE);
  });

  it('keeps grants, comments and indexes analysts added; a table under a view is reloaded in place', async () => {
    await other.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role}; END IF; END $$`);
    await other.query(`GRANT SELECT ON songplays, time TO ${role}`);
    await other.query(`GRANT SELECT, INSERT ON users TO ${role} WITH GRANT OPTION`);
    await other.query(`COMMENT ON TABLE songplays IS 'one row per play'`);
    await other.query(`COMMENT ON COLUMN songplays.level IS 'free or paid'`);
    await other.query(`CREATE INDEX songplays_by_user ON songplays (user_id, start_time DESC)`);
    await other.query(`CREATE VIEW paid_users AS SELECT user_id FROM users WHERE level = 'paid'`);
    const oid = async (t: string) => Number((await other.query(`SELECT '${t}'::regclass::oid AS oid`)).rows[0].oid);
    const before = { songplays: await oid('songplays'), users: await oid('users') };

    const summary = await etl({ ...flags, fullRefresh: true });
    expect(summary.status).toBe('ok');
    expect(summary.model?.inPlace).toEqual([{ table: 'users', reason: 'it has view paid_users' }]);
    expect(await oid('songplays')).not.toBe(before.songplays);
    expect(await oid('users')).toBe(before.users);
    const privilege = async (t: string, p: string) => (await other.query(`SELECT has_table_privilege('${role}', '${t}', '${p}') AS ok`)).rows[0].ok;
    expect(await privilege('songplays', 'SELECT')).toBe(true);
    expect(await privilege('time', 'SELECT')).toBe(true);
    expect(await privilege('songs', 'SELECT')).toBe(false);
    expect(await privilege('users', 'INSERT WITH GRANT OPTION')).toBe(true);
    expect((await other.query(`SELECT obj_description('songplays'::regclass, 'pg_class') AS c`)).rows[0].c).toBe('one row per play');
    expect((await other.query(`SELECT col_description(attrelid, attnum) AS c FROM pg_attribute WHERE attrelid = 'songplays'::regclass AND attname = 'level'`)).rows[0].c).toBe('free or paid');
    const indexes = (await other.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'songplays' ORDER BY 1`)).rows.map((r) => r.indexname);
    expect(indexes).toEqual(['songplays_by_user', 'songplays_pkey', 'songplays_session_id_item_in_session_key', 'songplays_start_time']);
    expect(Number((await other.query(`SELECT count(*) AS n FROM paid_users`)).rows[0].n)).toBe(22);
    // No build or helper table is left behind.
    expect((await other.query(`SELECT relname FROM pg_class WHERE relname LIKE '%\\_\\_build%' OR relname LIKE 'etl\\_build\\_%'`)).rows).toEqual([]);
    expect(await counts()).toEqual(REFERENCE);
    await other.query('DROP VIEW paid_users');
  });

  it('leaves the live tables as they were when the build fails, and the next run builds them', async () => {
    // The build table's name is taken by something the build cannot drop: a view.
    await other.query(`CREATE VIEW time__build AS SELECT 1 AS x`);
    await expect(etl({ ...flags, fullRefresh: true })).rejects.toMatchObject({ code: 'SQL' });
    expect(await counts()).toEqual(REFERENCE);
    await other.query('DROP VIEW time__build');
    const summary = await etl(flags);
    expect(summary.model?.mode).toBe('full');
    expect(await counts()).toEqual(REFERENCE);
  });
});
