/** Reads every star table in a canonical order, for row-for-row comparisons. */
import pg from 'pg';

const STAR_QUERIES: Record<string, string> = {
  // songplay_id is an identity: its values depend on insertion order, not on the data.
  songplays: 'SELECT start_time, user_id, level, song_id, artist_id, session_id, item_in_session, location, user_agent FROM {s}.songplays ORDER BY session_id, item_in_session',
  users: 'SELECT * FROM {s}.users ORDER BY user_id',
  songs: 'SELECT * FROM {s}.songs ORDER BY song_id',
  artists: 'SELECT * FROM {s}.artists ORDER BY artist_id',
  time: 'SELECT * FROM {s}.time ORDER BY start_time',
  stg_events: 'SELECT * FROM {s}.stg_events ORDER BY source_key, source_line, session_id, item_in_session',
  stg_songs: 'SELECT * FROM {s}.stg_songs ORDER BY source_key, source_line',
};

export async function starTables(client: pg.Client, schema: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [table, sql] of Object.entries(STAR_QUERIES)) {
    out[table] = (await client.query({ text: sql.replaceAll('{s}', `"${schema}"`), rowMode: 'array' })).rows;
  }
  return out;
}
