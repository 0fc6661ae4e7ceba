/**
 * A daily run finds the songplays of the keys it touched, and their latest
 * copies in staging, by reading the rows of their sessions through the
 * (session_id, item_in_session) index and matching the keys by hash. The
 * planner sizes the sessions array as ten values, and with a month of
 * history and a day of ~2,000 events (or on a large table after a
 * rolled-back step left dead rows) it would rather probe the index once per
 * key, each probe carrying every session in its condition: 40 ms instead of
 * 1 ms here, 21 s instead of 12 ms for a day of 1M events. No nested loop
 * may join those keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase } from '../support/services.ts';
import { etl } from '../support/in-process.ts';
import { generateSample } from '../../src/generate/index.ts';
import { incrementalBuildStatements } from '../../src/model/star-schema.ts';
import { postgres } from '../../src/dialect/postgres.ts';
import { TableNames } from '../../src/dialect/sql.ts';

/** The plan's node types, depth first. */
function nodeTypes(plan: { 'Node Type': string; Plans?: unknown[] }): string[] {
  return [plan['Node Type'], ...(plan.Plans ?? []).flatMap((p) => nodeTypes(p as typeof plan))];
}

describe('the daily step joins its keys by hash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparkify-key-joins-'));
  let db: pg.Client;

  beforeAll(async () => {
    // A month of history, then one new day staged without its model step.
    await generateSample({ outDir: dir, songs: 200, days: 31, users: 100, events: 60_000, seed: 7 });
    const month = join(dir, 'log_data', '2018', '11');
    const lastDay = join(dir, 'log_data', '2018', '12');
    const aside = join(dir, 'aside');
    renameSync(lastDay, aside);
    expect(readdirSync(month).length).toBe(30);
    const target = await createDatabase('key_joins');
    const flags = { target, songs: join(dir, 'song_data'), logs: join(dir, 'log_data') };
    expect((await etl(flags)).status).toBe('ok');
    renameSync(aside, lastDay);
    const staged = await etl({ ...flags, shard: '0/1' });
    expect(staged.status).toBe('ok');
    expect(staged.records.staged).toBeGreaterThan(1000);
    db = new pg.Client({ connectionString: target });
    await db.connect();
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('plans no nested loop for the songplays the keys have and for their latest copies', async () => {
    const plans: Record<string, string[]> = {};
    await db.query('BEGIN');
    try {
      for (const { sql } of incrementalBuildStatements({ names: new TableNames(undefined), dialect: postgres }, false)) {
        const table = /^CREATE TEMP TABLE (tmp_old_songplays|tmp_new_songplays) /.exec(sql)?.[1];
        if (table) {
          const [row] = (await db.query(`EXPLAIN (FORMAT JSON) ${sql}`)).rows;
          plans[table] = nodeTypes(row['QUERY PLAN'][0].Plan);
        }
        await db.query(sql);
      }
      // The step found something to replace: the day's songplays.
      expect(Number((await db.query('SELECT count(*) AS n FROM tmp_new_songplays')).rows[0].n)).toBeGreaterThan(1000);
      // After those two statements, the planner's own choice again (the users step probes staging per user on purpose).
      expect((await db.query('SHOW enable_nestloop')).rows[0].enable_nestloop).toBe('on');
    } finally {
      await db.query('ROLLBACK');
    }
    expect(Object.keys(plans).sort()).toEqual(['tmp_new_songplays', 'tmp_old_songplays']);
    for (const types of Object.values(plans)) {
      expect(types).not.toContain('Nested Loop');
      expect(types.some((t) => t === 'Hash Join' || t === 'Merge Join')).toBe(true);
    }
  });
});
