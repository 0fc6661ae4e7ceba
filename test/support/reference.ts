/** SPEC §5: the figures a full load of the Udacity sample must give. */
import { expect } from 'vitest';
import pg from 'pg';

export const REFERENCE_COUNTS = { stg_events: 8056, stg_songs: 71, songplays: 6820, users: 97, songs: 71, artists: 69, time: 6813 };

export async function expectReferenceFigures(url: string, schema?: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const t = (name: string) => (schema ? `"${schema}"."${name}"` : name);
    const one = async (sql: string) => (await client.query(sql)).rows[0];
    const ints = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
    for (const [table, n] of Object.entries(REFERENCE_COUNTS)) expect(Number((await one(`SELECT count(*) AS n FROM ${t(table)}`)).n), table).toBe(n);
    expect(ints(await one(`SELECT count(*) FILTER (WHERE song_id IS NOT NULL) AS with_song, count(*) FILTER (WHERE level = 'paid') AS paid, sum(user_id) AS users FROM ${t('songplays')}`))).toEqual({ with_song: 1, paid: 5591, users: 372926 });
    expect(ints(await one(`SELECT count(*) FILTER (WHERE level = 'paid') AS paid, sum(user_id) AS users FROM ${t('users')}`))).toEqual({ paid: 22, users: 4980 });
    expect(ints(await one(`SELECT count(*) FILTER (WHERE year IS NULL) AS n FROM ${t('songs')}`))).toEqual({ n: 43 });
    expect(ints(await one(`SELECT count(*) FILTER (WHERE location IS NULL) AS n FROM ${t('artists')}`))).toEqual({ n: 27 });
    expect(ints(await one(`SELECT sum(hour) AS hour, sum(week) AS week, sum(weekday) AS weekday FROM ${t('time')}`))).toEqual({ hour: 91815, week: 315992, weekday: 21673 });
    expect(ints(await one(`SELECT count(*) AS n FROM ${t('etl_rejects')}`))).toEqual({ n: 0 });
  } finally {
    await client.end();
  }
}
