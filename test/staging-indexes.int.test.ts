/**
 * The indexes of stg_events around a bulk load: the btree by event key is
 * dropped and built again by the model step; the BRIN index by source_key
 * stays, and the full build leaves none of its pages unsummarized. The
 * indexes of earlier versions (a btree by source_key, one by user and time)
 * are dropped, and a database from before etl_user_latest gets it. A
 * re-delivered object's old rows are found through the BRIN index and
 * replaced, and the daily run ends where a full build would, also for users
 * the ledger has no latest event of.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateSample } from '../src/generate/index.ts';
import { STAR_TABLES } from '../src/common/datasets.ts';
import { STAR_COLUMNS } from '../src/model/star-schema.ts';
import { createDatabase } from './support/services.ts';
import { json, runCli } from './support/cli.ts';

describe('staging indexes', () => {
  it('a bulk load keeps the BRIN index by source_key, summarized, and drops the legacy btree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparkify-staging-indexes-'));
    await generateSample({ outDir: dir, songs: 100, days: 8, users: 60, events: 24_000, seed: 11, startDate: '2018-11-01' });
    const days = join(dir, 'log_data', '2018', '11');
    const later = join(dir, 'later-day.json');
    renameSync(join(days, '2018-11-08-events.json'), later);
    const url = await createDatabase('staging_indexes');
    const args = ['--target', url, '--songs', join(dir, 'song_data'), '--logs', join(dir, 'log_data'), '--json'];
    expect((await runCli(['create-tables', '--target', url])).code).toBe(0);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const indexes = async () =>
      Object.fromEntries(
        (await db.query(`SELECT c.relname, a.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = 'stg_events'::regclass ORDER BY 1`)).rows.map((r) => [r.relname, r.amname]),
      );
    try {
      // A database from before the BRIN index: the btree by source_key, and no BRIN one; the index by user, and no etl_user_latest.
      await db.query('DROP INDEX stg_events_source_key_brin');
      await db.query('CREATE INDEX stg_events_source_key ON stg_events (source_key)');
      await db.query('CREATE INDEX stg_events_user_latest ON stg_events (user_id, ts)');
      await db.query('DROP TABLE etl_user_latest');
      const usersRecorded = async () => Number((await db.query(`SELECT (SELECT count(*) FROM etl_user_latest) - (SELECT count(*) FROM users) AS n`)).rows[0].n);

      const first = await runCli(['etl', ...args]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toContain('bulk load');
      expect(json(first).model.mode).toBe('full');
      expect(await indexes()).toEqual({ stg_events_event: 'btree', stg_events_source_key_brin: 'brin' });
      // The build summarized every range of pages the COPYs wrote.
      expect(Number((await db.query(`SELECT brin_summarize_new_values('stg_events_source_key_brin') AS n`)).rows[0].n)).toBe(0);
      expect(await usersRecorded()).toBe(0);
      // The ledger forgets a third of the users: the daily run finds their latest events by a scan.
      expect((await db.query(`DELETE FROM etl_user_latest WHERE user_id % 3 = 0`)).rowCount).toBeGreaterThan(0);

      // A daily run: a new day, and a day delivered again with its last half dropped.
      renameSync(later, join(days, '2018-11-08-events.json'));
      const again = join(days, '2018-11-03-events.json');
      const lines = readFileSync(again, 'utf8').split('\n').filter((l) => l.trim());
      const kept = lines.slice(0, Math.floor(lines.length / 2));
      writeFileSync(again, kept.join('\n') + '\n');
      const daily = await runCli(['etl', ...args]);
      expect(daily.code, daily.stderr).toBe(0);
      expect(json(daily).model.mode).toBe('incremental');
      expect(Number((await db.query(`SELECT count(*) AS n FROM stg_events WHERE source_key LIKE '%2018-11-03-events.json'`)).rows[0].n)).toBe(kept.length);
      const daily_ = await counts(db);

      const full = await runCli(['etl', '--full-refresh', ...args]);
      expect(full.code, full.stderr).toBe(0);
      expect(await counts(db)).toEqual(daily_);
      expect(await indexes()).toEqual({ stg_events_event: 'btree', stg_events_source_key_brin: 'brin' });
      expect(await usersRecorded()).toBe(0);
    } finally {
      await db.end();
    }
  });
});

async function counts(db: pg.Client): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  // Every column but songplay_id, which a full build numbers afresh.
  for (const t of STAR_TABLES) out[t] = (await db.query(`SELECT count(*) || ':' || COALESCE(sum(hashtext(ROW(${STAR_COLUMNS[t].join(', ')})::text)), 0) AS n FROM ${t}`)).rows[0].n;
  return out;
}
