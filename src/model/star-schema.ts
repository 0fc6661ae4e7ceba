/**
 * The star schema of SPEC §4, built by INSERT … SELECT inside the warehouse.
 * Written once for both dialects; the dialect supplies only what differs.
 *
 * Every table has one definition, used by both the full build (everything)
 * and the incremental build (only the keys a run touched). Because the two
 * share their SELECTs, an incremental run gives exactly what a full build would.
 */
import type { Dialect } from '../dialect/types.ts';
import type { TableNames } from '../dialect/sql.ts';
import { userIdInt } from '../dialect/shared.ts';

export interface ModelSql {
  names: TableNames;
  dialect: Dialect;
}

/** Filters a staging scan to affected keys; undefined means everything. */
interface Scope {
  /** Temp table of (song_id). */
  songs?: string;
  /** Temp table of (artist_id). */
  artists?: string;
  /** Temp table of (session_id, item_in_session). */
  events?: string;
  /** Temp table of (start_time). */
  times?: string;
  /** Temp table of (user_id INTEGER). */
  users?: string;
}

/** The winning version of every staged song: greatest source_key, then the later line. */
function currentSongs({ names: n, dialect: d }: ModelSql, filter = ''): string {
  return `SELECT song_id, title, artist_id, artist_name, year, duration FROM (
  SELECT s.song_id, s.title, s.artist_id, s.artist_name, s.year, s.duration,
         ROW_NUMBER() OVER (PARTITION BY s.song_id ORDER BY ${d.byteOrder('s.source_key')} DESC, s.source_line DESC) AS rn
  FROM ${n.t('stg_songs')} s${filter}
) v WHERE rn = 1`;
}

function insertSongs(m: ModelSql, scope: Scope): string {
  const filter = scope.songs ? ` WHERE s.song_id IN (SELECT song_id FROM ${scope.songs})` : '';
  return `INSERT INTO ${m.names.t('songs')} (song_id, title, artist_id, year, duration)
SELECT song_id, title, artist_id, NULLIF(year, 0), duration FROM (${currentSongs(m, filter)}) cs`;
}

function insertArtists({ names: n, dialect: d }: ModelSql, scope: Scope): string {
  const filter = scope.artists ? ` WHERE s.artist_id IN (SELECT artist_id FROM ${scope.artists})` : '';
  return `INSERT INTO ${n.t('artists')} (artist_id, name, location, latitude, longitude)
SELECT artist_id, artist_name, CASE WHEN ${d.textEquals('artist_location', "''")} THEN NULL ELSE artist_location END, artist_latitude, artist_longitude FROM (
  SELECT s.artist_id, s.artist_name, s.artist_location, s.artist_latitude, s.artist_longitude,
         ROW_NUMBER() OVER (PARTITION BY s.artist_id ORDER BY ${d.byteOrder('s.song_id')}, ${d.byteOrder('s.source_key')} DESC, s.source_line DESC) AS rn
  FROM ${n.t('stg_songs')} s${filter}
) a WHERE rn = 1`;
}

/**
 * For each (title, artist name, duration), the current song an event with
 * those values plays: the lowest song_id among the songs' winning versions.
 * Materialised (and analysed) before songplays, so the planner knows its
 * size and joins it by hash.
 */
function songMatchTable(m: ModelSql): string[] {
  const { dialect: d } = m;
  return [
    d.createTempTableAs(
      'tmp_song_match',
      `SELECT title, artist_name, duration, song_id, artist_id FROM (
  SELECT title, artist_name, duration, song_id, artist_id,
         ROW_NUMBER() OVER (PARTITION BY title, artist_name, duration ORDER BY ${d.byteOrder('song_id')}) AS rn
  FROM (${currentSongs(m)}) cs
) best WHERE rn = 1`,
    ),
    d.analyze('tmp_song_match'),
  ].filter((x): x is string => !!x);
}

/**
 * One row per winning NextSong event with a user: the copy from the greatest
 * source_key wins (then the later line), and the song is the current song
 * whose title, artist name and duration equal the event's exactly (lowest
 * song_id when several do). The song is joined before the window, whose
 * output the planner cannot size.
 */
function insertSongplays(m: ModelSql, scope: Scope): string {
  const { names: n, dialect: d } = m;
  const join = scope.events ? ` JOIN ${scope.events} k ON k.session_id = e.session_id AND k.item_in_session = e.item_in_session` : '';
  return `INSERT INTO ${n.t('songplays')} (start_time, user_id, level, song_id, artist_id, session_id, item_in_session, location, user_agent)
SELECT ${d.epochMsToTimestamp('w.ts')}, ${userIdInt('w.user_id')}, w.level, w.song_id, w.artist_id, w.session_id, w.item_in_session, w.location, w.user_agent
FROM (
  SELECT e.ts, e.user_id, e.level, e.session_id, e.item_in_session, e.location, e.user_agent, e.page, sm.song_id, sm.artist_id,
         ROW_NUMBER() OVER (PARTITION BY e.session_id, e.item_in_session ORDER BY ${d.byteOrder('e.source_key')} DESC, e.source_line DESC) AS rn
  FROM ${n.t('stg_events')} e${join}
  LEFT JOIN tmp_song_match sm ON ${d.textEquals('sm.title', 'e.song')} AND ${d.textEquals('sm.artist_name', 'e.artist')} AND sm.duration = e.length
) w
WHERE w.rn = 1 AND w.page = 'NextSong' AND w.user_id <> ''`;
}

function insertTime({ names: n, dialect: d }: ModelSql, scope: Scope): string {
  const filter = scope.times ? ` WHERE p.start_time IN (SELECT start_time FROM ${scope.times})` : '';
  const part = (p: Parameters<typeof d.datePart>[0]) => d.datePart(p, 't.start_time');
  return `INSERT INTO ${n.t('time')} (start_time, hour, day, week, month, year, weekday)
SELECT t.start_time, ${part('hour')}, ${part('day')}, ${part('week')}, ${part('month')}, ${part('year')}, ${part('dow')}
FROM (SELECT DISTINCT p.start_time FROM ${n.t('songplays')} p${filter}) t`;
}

function insertUsers(m: ModelSql, scope: Scope): string {
  return `INSERT INTO ${m.names.t('users')} (user_id, first_name, last_name, gender, level)
${m.dialect.latestEventPerUser(m.names, scope.users)}`;
}

const STAR_TABLES = ['songplays', 'users', 'songs', 'artists', 'time'] as const;
export const DIRTY_TABLES = ['etl_dirty_objects', 'etl_dirty_events', 'etl_dirty_songs'] as const;

/** Statements of a full build: empty the star tables and rebuild them from staging. */
export function fullBuildStatements(m: ModelSql): string[] {
  const all: Scope = {};
  return [
    ...m.dialect.modelSettings(),
    ...analyzeStaging(m),
    ...STAR_TABLES.map((t) => m.dialect.emptyTable(m.names.t(t))),
    insertSongs(m, all),
    insertArtists(m, all),
    ...songMatchTable(m),
    insertSongplays(m, all),
    insertTime(m, all),
    insertUsers(m, all),
    ...clearDirty(m),
    ...dropTemps(m, ['tmp_song_match']),
  ];
}

/**
 * Statements of an incremental build: work out what the objects staged since
 * the last model step affect (from etl_dirty_*), delete those rows from the
 * star tables and insert them again with the same SELECTs as a full build.
 * `songsChanged` adds the events whose song match may have moved.
 */
export function incrementalBuildStatements(m: ModelSql, songsChanged: boolean): string[] {
  const { names: n, dialect: d } = m;
  const tmp = (name: string, select: string) => [d.createTempTableAs(name, select), d.analyze(name)].filter((s): s is string => !!s);
  const dirtyObjects = (dataset: string, alias: string) => `JOIN ${n.t('etl_dirty_objects')} o ON o.dataset = '${dataset}' AND o.source_key = ${alias}.source_key`;
  const newSongs = `SELECT s.song_id, s.artist_id, s.title, s.artist_name, s.duration FROM ${n.t('stg_songs')} s ${dirtyObjects('songs', 's')}`;
  const changedSongs = `SELECT song_id, artist_id, title, artist_name, duration FROM ${n.t('etl_dirty_songs')} UNION ALL ${newSongs}`;
  const eventKeys = [
    `SELECT session_id, item_in_session FROM ${n.t('etl_dirty_events')}`,
    `SELECT e.session_id, e.item_in_session FROM ${n.t('stg_events')} e ${dirtyObjects('events', 'e')}`,
    ...(songsChanged
      ? [`SELECT e.session_id, e.item_in_session FROM ${n.t('stg_events')} e JOIN tmp_aff_triples t ON ${d.textEquals('t.title', 'e.song')} AND ${d.textEquals('t.artist_name', 'e.artist')} AND t.duration = e.length`]
      : []),
  ].join(' UNION ALL ');
  const scope: Scope = { songs: 'tmp_aff_songs', artists: 'tmp_aff_artists', events: 'tmp_aff_keys', times: 'tmp_aff_times', users: 'tmp_aff_users' };
  const temps = ['tmp_changed_songs', 'tmp_aff_songs', 'tmp_aff_artists', 'tmp_aff_triples', 'tmp_aff_keys', 'tmp_aff_users', 'tmp_aff_times', 'tmp_song_match'];
  return [
    ...d.modelSettings(),
    ...analyzeStaging(m),
    ...tmp('tmp_changed_songs', changedSongs),
    ...tmp('tmp_aff_songs', `SELECT DISTINCT song_id FROM tmp_changed_songs`),
    ...tmp('tmp_aff_artists', `SELECT DISTINCT artist_id FROM tmp_changed_songs`),
    ...tmp('tmp_aff_triples', `SELECT DISTINCT title, artist_name, duration FROM tmp_changed_songs`),
    ...tmp('tmp_aff_keys', `SELECT DISTINCT session_id, item_in_session FROM (${eventKeys}) k`),
    ...tmp(
      'tmp_aff_users',
      `SELECT DISTINCT user_id FROM (SELECT ${userIdInt('user_id')} AS user_id FROM ${n.t('etl_dirty_events')} UNION ALL SELECT ${userIdInt('e.user_id')} FROM ${n.t('stg_events')} e ${dirtyObjects('events', 'e')}) u WHERE user_id IS NOT NULL`,
    ),
    // start_times the affected songplays had before, then have after.
    ...tmp('tmp_aff_times', `SELECT p.start_time FROM ${n.t('songplays')} p JOIN tmp_aff_keys k ON k.session_id = p.session_id AND k.item_in_session = p.item_in_session`),
    `DELETE FROM ${n.t('songs')} WHERE song_id IN (SELECT song_id FROM tmp_aff_songs)`,
    insertSongs(m, scope),
    `DELETE FROM ${n.t('artists')} WHERE artist_id IN (SELECT artist_id FROM tmp_aff_artists)`,
    insertArtists(m, scope),
    ...songMatchTable(m),
    `DELETE FROM ${n.t('songplays')} USING tmp_aff_keys k WHERE ${n.t('songplays')}.session_id = k.session_id AND ${n.t('songplays')}.item_in_session = k.item_in_session`,
    insertSongplays(m, scope),
    `INSERT INTO tmp_aff_times (start_time) SELECT p.start_time FROM ${n.t('songplays')} p JOIN tmp_aff_keys k ON k.session_id = p.session_id AND k.item_in_session = p.item_in_session`,
    `DELETE FROM ${n.t('time')} WHERE start_time IN (SELECT start_time FROM tmp_aff_times)`,
    insertTime(m, scope),
    `DELETE FROM ${n.t('users')} WHERE user_id IN (SELECT user_id FROM tmp_aff_users)`,
    insertUsers(m, scope),
    ...clearDirty(m),
    ...dropTemps(m, temps),
  ];
}

function dropTemps(m: ModelSql, temps: string[]): string[] {
  return temps.map((t) => m.dialect.dropTempTable(t)).filter((s): s is string => !!s);
}

/** Fresh planner statistics for the staging tables a run just changed. */
function analyzeStaging(m: ModelSql): string[] {
  return ['stg_events', 'stg_songs'].map((t) => m.dialect.analyze(m.names.t(t))).filter((s): s is string => !!s);
}

function clearDirty(m: ModelSql): string[] {
  return [
    ...DIRTY_TABLES.map((t) => `DELETE FROM ${m.names.t(t)}`),
    `DELETE FROM ${m.names.t('etl_state')} WHERE name = 'full_rebuild_pending'`,
  ];
}
