/**
 * A full build fills songplays and time in parts, one per session: songplays
 * by ranges of stg_events' pages, time by a hash of the start time. Whatever
 * the page count the parts are cut by (stale, zero, far too big), together
 * they give every play and every start time exactly once; with the plays of
 * keys staged more than once replaced by those keys' winners, every winning
 * play once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { postgres } from '../../src/dialect/postgres.ts';
import { TableNames } from '../../src/dialect/sql.ts';
import { allTimesSelect, duplicateKeysSelect, insertInto, rankedPlays, winningPlays, type ModelSql } from '../../src/model/star-schema.ts';
import { sampleWithLaterCopies } from '../support/in-process.ts';

const m: ModelSql = { names: new TableNames(undefined), dialect: postgres };
const parts = postgres.buildParts!;

describe('full build in parts', () => {
  let db: pg.Client;

  beforeAll(async () => {
    ({ db } = await sampleWithLaterCopies('build_parts'));
    await db.query(`CREATE TABLE dups AS ${duplicateKeysSelect(m)}`);
  });
  afterAll(async () => {
    await db?.end();
  });

  const plays = async (sql: string) => (await db.query(`SELECT session_id, item_in_session, ts, page FROM (${sql}) p ORDER BY 1, 2`)).rows;

  it('give every winning play once, whatever page count cuts them', async () => {
    expect(Number((await db.query('SELECT count(*) AS n FROM dups')).rows[0].n)).toBe(300);
    const whole = await plays(winningPlays(m, ['session_id', 'item_in_session', 'ts', 'page'], 'dups'));
    const pages = Number((await db.query(parts.pagesSql(m.names))).rows[0].pages);
    expect(pages).toBeGreaterThan(1);
    const columns = ['session_id', 'item_in_session', 'ts', 'page'];
    const everyPlay = await plays(winningPlays(m, columns, undefined));
    const duplicated = new Set((await db.query('SELECT session_id, item_in_session FROM dups')).rows.map((k) => `${k.session_id}/${k.item_in_session}`));
    const ranked = await plays(rankedPlays(m, columns, 'dups'));
    for (const [n, count] of [[2, pages], [3, pages], [2, 0], [2, 1], [2, pages * 10], [2, Math.floor(pages / 3)]]) {
      const rows = [];
      for (let i = 0; i < n; i++) rows.push(...(await plays(winningPlays(m, columns, undefined, parts.pageRange('e', i, n, count)))));
      const byKey = (a: { session_id: string; item_in_session: number }, b: { session_id: string; item_in_session: number }) => Number(a.session_id) - Number(b.session_id) || a.item_in_session - b.item_in_session;
      rows.sort(byKey);
      expect(rows, `${n} parts of ${count} pages`).toEqual(everyPlay);
      // As the build does next: the rows of the keys staged more than once go, their winners come in.
      const winners = [...rows.filter((r) => !duplicated.has(`${r.session_id}/${r.item_in_session}`)), ...ranked].sort(byKey);
      expect(winners, `${n} parts of ${count} pages, duplicates ranked`).toEqual(whole);
    }
    // The copies that became other pages took their songplays away.
    expect(whole.length).toBeLessThan(6820);
    expect(whole.length).toBeGreaterThan(6820 - 300);
  });

  it('give every start time once, whole, in parts or by a sort', async () => {
    await db.query(`CREATE TABLE sp AS SELECT TIMESTAMP 'epoch' + ts * INTERVAL '1 millisecond' AS start_time FROM stg_events WHERE page = 'NextSong'`);
    await db.query(`CREATE TABLE t_whole (start_time timestamp, hour int, day int, week int, month int, year int, weekday int)`);
    await db.query(`CREATE TABLE t_parts (LIKE t_whole)`);
    await db.query(`CREATE TABLE t_sorted (LIKE t_whole)`);
    await db.query(`${insertInto('t_whole', 'time')} ${allTimesSelect(m, 'sp')}`);
    for (let i = 0; i < 3; i++) await db.query(`${insertInto('t_parts', 'time')} ${allTimesSelect(m, 'sp', { part: parts.timestampPart('p.start_time', i, 3) })}`);
    await db.query(`${insertInto('t_sorted', 'time')} ${allTimesSelect(m, 'sp', { sorted: true })}`);
    const rows = async (t: string) => (await db.query(`SELECT count(*) AS n, count(DISTINCT start_time) AS d, sum(hashtext(${t}::text)) AS h FROM ${t}`)).rows[0];
    const whole = await rows('t_whole');
    expect(Number(whole.n)).toBeGreaterThan(6000);
    expect(await rows('t_parts')).toEqual(whole);
    expect(await rows('t_sorted')).toEqual(whole);
  });
});
