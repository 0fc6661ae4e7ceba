/**
 * The star schema of SPEC §4 as SQL, written once for both dialects; the
 * dialect supplies only what differs.
 *
 * Each table's rule is one SELECT, used by the full build (over all of
 * staging, into a fresh table: full-build.ts) and by the incremental step
 * (over the keys a run touched, into the live table). The incremental step
 * reads the same rules through the keys it touched, so it ends where a full
 * build would.
 */
import type { StarTable } from '../common/datasets.ts';
import type { Dialect } from '../dialect/types.ts';
import type { TableNames } from '../dialect/sql.ts';
import { LATEST_EVENT_ORDER, userIdInt } from '../dialect/shared.ts';
import { clearDirtyStatements, LEDGER, SONG_MATCH_TABLE, USER_LATEST_TABLE } from '../ledger/index.ts';

export interface ModelSql {
  names: TableNames;
  dialect: Dialect;
}

/** A statement of the model step; `counts` names the star table whose row count its rowCount changes. */
export interface ModelStatement {
  sql: string;
  counts?: { table: StarTable; sign: 1 | -1 };
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

export const STAR_COLUMNS: Readonly<Record<StarTable, readonly string[]>> = {
  songplays: ['start_time', 'user_id', 'level', 'song_id', 'artist_id', 'session_id', 'item_in_session', 'location', 'user_agent'],
  users: ['user_id', 'first_name', 'last_name', 'gender', 'level'],
  songs: ['song_id', 'title', 'artist_id', 'year', 'duration'],
  artists: ['artist_id', 'name', 'location', 'latitude', 'longitude'],
  time: ['start_time', 'hour', 'day', 'week', 'month', 'year', 'weekday'],
};

/** `INSERT INTO table (the STAR_COLUMNS of star)`. */
export const insertInto = (table: string, star: StarTable) => `INSERT INTO ${table} (${STAR_COLUMNS[star].join(', ')})`;

/** The current version of every staged song: greatest source_key, then the later line. */
function currentSongs({ names: n, dialect: d }: ModelSql, filter = ''): string {
  return `SELECT song_id, title, artist_id, artist_name, year, duration FROM (
  SELECT s.song_id, s.title, s.artist_id, s.artist_name, s.year, s.duration,
         ROW_NUMBER() OVER (PARTITION BY ${d.exactKey('s.song_id')} ORDER BY ${d.byteOrder('s.source_key')} DESC, s.source_line DESC) AS rn
  FROM ${n.t('stg_songs')} s${filter}
) v WHERE rn = 1`;
}

/** Songs into `table` (the live one, or a build table). */
export function insertSongs(m: ModelSql, table: string, scope: Scope = {}): string {
  const filter = scope.songs ? ` WHERE s.song_id IN (SELECT song_id FROM ${scope.songs})` : '';
  return `${insertInto(table, 'songs')}
SELECT song_id, title, artist_id, NULLIF(year, 0), duration FROM (${currentSongs(m, filter)}) cs`;
}

/** Artists into `table`: each from its staged song with the smallest song_id (that song's latest copy). */
export function insertArtists({ names: n, dialect: d }: ModelSql, table: string, scope: Scope = {}): string {
  const filter = scope.artists ? ` WHERE s.artist_id IN (SELECT artist_id FROM ${scope.artists})` : '';
  return `${insertInto(table, 'artists')}
SELECT artist_id, artist_name, CASE WHEN ${d.textEquals('artist_location', "''")} THEN NULL ELSE artist_location END, artist_latitude, artist_longitude FROM (
  SELECT s.artist_id, s.artist_name, s.artist_location, s.artist_latitude, s.artist_longitude,
         ROW_NUMBER() OVER (PARTITION BY ${d.exactKey('s.artist_id')} ORDER BY ${d.byteOrder('s.song_id')}, ${d.byteOrder('s.source_key')} DESC, s.source_line DESC) AS rn
  FROM ${n.t('stg_songs')} s${filter}
) a WHERE rn = 1`;
}

/**
 * For each (title, artist name, duration), the current song an event with
 * those values plays: the lowest song_id among the songs' current versions
 * (none for a NULL in the three, which equals nothing). Materialised (and
 * analysed) before songplays, so the planner knows its size and joins it by
 * hash; where the ledger keeps it between runs (dialect.keptSongMatch), made
 * by the full build and kept up by the daily runs (updateKeptSongMatch).
 * `songs` filters the staged songs ranked (a condition on `s`).
 */
export function songMatchSelect(m: ModelSql, songs?: string): string {
  const { dialect: d } = m;
  return `SELECT title, artist_name, duration, song_id, artist_id FROM (
  SELECT title, artist_name, duration, song_id, artist_id,
         ROW_NUMBER() OVER (PARTITION BY ${d.exactKey('title')}, ${d.exactKey('artist_name')}, duration ORDER BY ${d.byteOrder('song_id')}) AS rn
  FROM (${currentSongs(m, songs ? ` WHERE ${songs}` : '')}) cs
  WHERE title IS NOT NULL AND artist_name IS NOT NULL AND duration IS NOT NULL
) best WHERE rn = 1`;
}

/**
 * Incremental, a kept song match (dialect.keptSongMatch): the matches of the
 * triples whose songs changed (tmp_aff_triples: those of every copy of the
 * songs changed, and of the rows forgotten) are made again, from the current
 * versions of the songs with a staged copy that has one of those triples.
 * Every song whose current version has such a triple is among them, so each
 * such triple is ranked among all its songs; the matches of other triples
 * stay as they are (none of their songs changed).
 */
function updateKeptSongMatch(m: ModelSql): ModelStatement[] {
  const { names: n, dialect: d } = m;
  const table = n.t(SONG_MATCH_TABLE);
  const affected = (x: string) => `EXISTS (SELECT 1 FROM tmp_aff_triples t WHERE ${d.textEquals('t.title', `${x}.title`)} AND ${d.textEquals('t.artist_name', `${x}.artist_name`)} AND t.duration = ${x}.duration)`;
  const columns = 'title, artist_name, duration, song_id, artist_id';
  return [
    { sql: `DELETE FROM ${table} sm WHERE ${affected('sm')}` },
    {
      sql: `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM (${songMatchSelect(m, `s.song_id IN (SELECT c.song_id FROM ${n.t('stg_songs')} c WHERE ${affected('c')})`)}) x WHERE ${affected('x')}`,
    },
  ];
}

/** An event's song: the match whose title, artist name and duration equal its song, artist and length exactly. */
function songJoin(d: Dialect, match: string, e: string): string {
  return `LEFT JOIN ${match} sm ON ${d.textEquals('sm.title', `${e}.song`)} AND ${d.textEquals('sm.artist_name', `${e}.artist`)} AND sm.duration = ${e}.length`;
}

/** The songplay columns of an event `e` and its song (columns song_id, artist_id of `song`), in STAR_COLUMNS order. */
function songplayValues(d: Dialect, e: string, song: string): string {
  return `${d.epochMsToTimestamp(`${e}.ts`)} AS start_time, ${userIdInt(`${e}.user_id`)} AS user_id, ${e}.level, ${song}.song_id, ${song}.artist_id, ${e}.session_id, ${e}.item_in_session, ${e}.location, ${e}.user_agent`;
}

/** A staged event that is a play of a logged-in user. */
const isPlay = (e: string) => `${e}.page = 'NextSong' AND ${e}.user_id <> ''`;

/** The order in which copies of one event compete: the latest wins. */
const latestCopy = (d: Dialect, e: string) => `ROW_NUMBER() OVER (PARTITION BY ${e}.session_id, ${e}.item_in_session ORDER BY ${d.byteOrder(`${e}.source_key`)} DESC, ${e}.source_line DESC)`;

/**
 * The events (staged columns `columns`) whose latest copy is a play, over all
 * of staging: the full build's songplays read this. An event staged once is
 * its own latest copy, so only the keys listed in `duplicates` (a table of
 * (session_id, item_in_session) staged more than once) are ranked: no sort of
 * the whole staging table, whatever it holds. Without `duplicates`, every
 * play (where the build fills its parts first and puts the ranked keys right
 * after: deleteDuplicateSongplays, insertRankedSongplays); with `where`, only
 * the events that filter on the scan keeps.
 */
export function winningPlays(m: ModelSql, columns: readonly string[], duplicates: string | undefined, where?: string): string {
  const single = `SELECT ${columns.map((c) => `e.${c}`).join(', ')} FROM ${m.names.t('stg_events')} e WHERE ${isPlay('e')}${where ? ` AND ${where}` : ''}`;
  if (!duplicates) return single;
  return `${single}
  AND NOT EXISTS (SELECT 1 FROM ${duplicates} k WHERE k.session_id = e.session_id AND k.item_in_session = e.item_in_session)
UNION ALL
${rankedPlays(m, columns, duplicates)}`;
}

/** The latest copies of the keys in `duplicates` that are plays (staged columns `columns`). */
export function rankedPlays({ names: n, dialect: d }: ModelSql, columns: readonly string[], duplicates: string): string {
  const ranked = [...new Set([...columns, 'page', 'user_id'])];
  return `SELECT ${columns.map((c) => `w.${c}`).join(', ')} FROM (
  SELECT ${ranked.map((c) => `e.${c}`).join(', ')}, ${latestCopy(d, 'e')} AS rn
  FROM ${n.t('stg_events')} e JOIN ${duplicates} k ON k.session_id = e.session_id AND k.item_in_session = e.item_in_session
) w WHERE w.rn = 1 AND ${isPlay('w')}`;
}

/** The keys of events staged more than once (the full build ranks only these). */
export function duplicateKeysSelect({ names: n }: ModelSql): string {
  return `SELECT session_id, item_in_session FROM ${n.t('stg_events')} GROUP BY session_id, item_in_session HAVING COUNT(*) > 1`;
}

const PLAY_COLUMNS = ['ts', 'user_id', 'level', 'song', 'artist', 'length', 'session_id', 'item_in_session', 'location', 'user_agent'] as const;

/**
 * Full build: every songplay, STAR_COLUMNS.songplays (without `duplicates`,
 * every play; with `where`, those its filter on the scan keeps). `numbered`
 * adds a last column, the position of the songplay's event, which numbers the
 * rows where the build makes songplays by CREATE TABLE … AS
 * (dialect.starTableAs, `numbered`, going on at positionsEnd): its object's
 * rank among the staged event objects (in key order) times 2^32, plus its
 * line. Positions are unique while no object holds 2^32 lines (4 GB of line
 * ends; the table's key would refuse a clash), and cheaper to number by than
 * ROW_NUMBER(), which copies every row through a window: at 1M events on the
 * embedded Postgres 18 the songplays step took 1.05–1.12 s against
 * 1.19–1.26 s. Staging and the ledger are written in one transaction, so
 * every staged object has its row in etl_objects; were one missing, the build
 * would stop with an error naming the object (a cast that fails).
 */
export function allSongplaysSelect(m: ModelSql, songMatch: string, duplicates: string | undefined, options: { where?: string; numbered?: boolean } = {}): string {
  const { names: n, dialect: d } = m;
  const { where, numbered } = options;
  if (!numbered)
    return `SELECT ${songplayValues(d, 'p', 'sm')}
FROM (${winningPlays(m, PLAY_COLUMNS, duplicates, where)}) p
${songJoin(d, songMatch, 'p')}`;
  const missing = `CAST('no row in ${n.t(LEDGER.objects).replace(/'/g, "''")} for the staged object ' || p.source_key || ': run etl --full-refresh' AS bigint)`;
  return `SELECT ${songplayValues(d, 'p', 'sm')}, COALESCE(o.base, ${missing}) + p.source_line
FROM (${winningPlays(m, [...PLAY_COLUMNS, 'source_key', 'source_line'], duplicates, where)}) p
LEFT JOIN (SELECT source_key, ROW_NUMBER() OVER (ORDER BY ${d.byteOrder('source_key')}) * ${POSITION_STRIDE} AS base ${eventObjects(n)}) o ON o.source_key = p.source_key
${songJoin(d, songMatch, 'p')}`;
}

/** 2^32: a line's share of an event's position (allSongplaysSelect, `numbered`). */
const POSITION_STRIDE = 4294967296;

const eventObjects = (n: TableNames) => `FROM ${n.t(LEDGER.objects)} WHERE dataset = 'events'`;

/** Where the identity goes on after songplays numbered by position (allSongplaysSelect, `numbered`): past every position. */
export const positionsEnd = (n: TableNames) => `(SELECT COUNT(*) + 1 ${eventObjects(n)}) * ${POSITION_STRIDE}`;

/** Full build, songplays filled from every play: the rows of the keys staged more than once go (insertRankedSongplays puts their winners back). */
export function deleteDuplicateSongplays(table: string, duplicates: string): string {
  return `DELETE FROM ${table} p USING ${duplicates} k WHERE k.session_id = p.session_id AND k.item_in_session = p.item_in_session`;
}

/** Full build, songplays filled from every play: the latest copies of the keys staged more than once that are plays. */
export function insertRankedSongplays(m: ModelSql, table: string, songMatch: string, duplicates: string): string {
  return `${insertInto(table, 'songplays')}
SELECT ${songplayValues(m.dialect, 'p', 'sm')}
FROM (${rankedPlays(m, PLAY_COLUMNS, duplicates)}) p
${songJoin(m.dialect, songMatch, 'p')}`;
}

/** The time columns of a `start_time`, in STAR_COLUMNS order. */
function timeValues(d: Dialect, t: string): string {
  const part = (p: Parameters<Dialect['datePart']>[0]) => d.datePart(p, `${t}.start_time`);
  return `${t}.start_time, ${part('hour')}, ${part('day')}, ${part('week')}, ${part('month')}, ${part('year')}, ${part('dow')}`;
}

/**
 * Full build: the time rows (STAR_COLUMNS.time), one per distinct start time
 * of the songplays just built into `songplays` (with `part`, those it keeps).
 * `sorted` (Postgres only: DISTINCT ON) makes them distinct by a sort, in
 * time order: at 1M events on the embedded Postgres 18, 0.68 s against 0.81 s
 * for the hash Postgres chooses for DISTINCT.
 */
export function allTimesSelect(m: ModelSql, songplays: string, options: { part?: string; sorted?: boolean } = {}): string {
  const { part, sorted } = options;
  const distinct = sorted ? 'DISTINCT ON (p.start_time)' : 'DISTINCT';
  return `SELECT ${timeValues(m.dialect, 't')}
FROM (SELECT ${distinct} p.start_time FROM ${songplays} p${part ? ` WHERE ${part}` : ''}${sorted ? ' ORDER BY p.start_time' : ''}) t`;
}

/** Users into `table`, each from its latest event, by ranking every staged event of the users in scope (usersLatest 'window'). */
export function insertUsers({ names: n, dialect: d }: ModelSql, table: string, scope: Scope = {}): string {
  const filter = scope.users ? `JOIN ${scope.users} a ON a.user_id = ${userIdInt('e.user_id')}` : `WHERE e.user_id <> ''`;
  return `${insertInto(table, 'users')}
SELECT user_id, first_name, last_name, gender, level FROM (
  SELECT ${userIdInt('e.user_id')} AS user_id, e.first_name, e.last_name, e.gender, e.level,
         ROW_NUMBER() OVER (PARTITION BY ${userIdInt('e.user_id')} ORDER BY ${LATEST_EVENT_ORDER(d.byteOrder)}) AS rn
  FROM ${n.t('stg_events')} e ${filter}
) latest WHERE rn = 1`;
}

/** What etl_user_latest keeps of a user's latest event (usersLatest 'ledger'): its ts, and the key that finds its row. */
export const USER_LATEST_COLUMNS = ['user_id', 'ts', 'session_id', 'item_in_session', 'source_key', 'source_line'] as const;

/** A staged event `e` as a candidate for its user's latest event: USER_LATEST_COLUMNS, then the users columns. */
const userEvent = (e: string) =>
  `${userIdInt(`${e}.user_id`)} AS user_id, ${e}.ts, ${e}.session_id, ${e}.item_in_session, ${e}.source_key, ${e}.source_line, ${e}.first_name, ${e}.last_name, ${e}.gender, ${e}.level`;

/** The first of each user's `candidates` (columns of userEvent) in LATEST_EVENT_ORDER. */
function latestOf(d: Dialect, candidates: string): string {
  return `SELECT ${[...USER_LATEST_COLUMNS, ...STAR_COLUMNS.users.slice(1)].join(', ')} FROM (
  SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.user_id ORDER BY ${LATEST_EVENT_ORDER(d.byteOrder, 'c')}) AS rn FROM (${candidates}) c
) latest WHERE rn = 1`;
}

/**
 * The staged copies of each user's latest event but for lineage (the columns
 * of userEvent), of every user or of the users in `users` (a table of
 * user_id; with `gate`, a condition that skips the scan when false): one
 * scan keeps each user's greatest (ts, session_id, item_in_session) as an
 * array (Postgres compares arrays element by element), and the event-key
 * index finds that event's copies; the caller ranks them (latestOf). At 1M
 * events on a stock Postgres 15 the full build's users step took 0.29–0.46 s
 * this way, against 0.56–0.72 s for a scan for each user's greatest ts and a
 * second for the events at it. Postgres only (usersLatest 'ledger').
 */
function latestEventCopies(n: TableNames, users?: string, gate?: string): string {
  const stg = n.t('stg_events');
  const filter = users ? `${gate ? `${gate} AND ` : ''}${userIdInt('user_id')} IN (SELECT user_id FROM ${users})` : `user_id <> ''`;
  return `SELECT ${userEvent('e')} FROM (SELECT ${userIdInt('user_id')} AS user_id, MAX(ARRAY[ts, session_id, item_in_session]) AS k FROM ${stg} WHERE ${filter} GROUP BY 1) m
  JOIN ${stg} e ON e.session_id = m.k[2] AND e.item_in_session = m.k[3] AND e.ts = m.k[1] AND ${userIdInt('e.user_id')} = m.user_id${gate ? `\n  WHERE ${gate}` : ''}`;
}

/** Full build, usersLatest 'ledger': every user's latest event (the columns of userEvent). */
export function latestEventOfEveryUser({ names: n, dialect: d }: ModelSql): string {
  return latestOf(d, latestEventCopies(n));
}

/** Users into `table` from a table of their latest events (latestEventOfEveryUser's columns). */
export function insertUsersFromLatest(table: string, latest: string): string {
  const columns = STAR_COLUMNS.users.join(', ');
  return `${insertInto(table, 'users')} SELECT ${columns} FROM ${latest}`;
}

/** The statements that make etl_user_latest hold the user keys of `latest` (a table of latestEventOfEveryUser's columns) for the users of `users` (undefined: every user). */
export function recordUserLatest(n: TableNames, latest: string, users?: string): string[] {
  const columns = USER_LATEST_COLUMNS.join(', ');
  return [
    `DELETE FROM ${n.t(USER_LATEST_TABLE)}${users ? ` WHERE user_id IN (SELECT user_id FROM ${users})` : ''}`,
    `INSERT INTO ${n.t(USER_LATEST_TABLE)} (${columns}) SELECT ${columns} FROM ${latest}`,
  ];
}

/** Whether event `a` comes no earlier than event `b` in LATEST_EVENT_ORDER (both with its columns; Postgres row comparison). */
const atLeastAsLate = (d: Dialect, a: string, b: string) => {
  const key = (e: string) => `(${e}.ts, ${e}.session_id, ${e}.item_in_session, ${d.byteOrder(`${e}.source_key`)}, ${e}.source_line)`;
  return `${key(a)} >= ${key(b)}`;
};

/**
 * Incremental, usersLatest 'ledger': the latest event of each affected user
 * (tmp_aff_users) into tmp_user_latest. A user whose recorded latest event
 * is still staged, in an object no load replaced since, has that event and
 * their new events (tmp_new_events: the objects staged since; only those at
 * their greatest new ts can win, tmp_user_newest) to choose from: nothing else changed. So
 * does a user with a new event at least as late as the recorded
 * one (an object delivered again with that event in it): every event outside
 * the new objects is no later than the recorded one. The others (their
 * latest event's object was replaced without it, or pruned, or the ledger
 * has none for them) rank the copies of their latest event, found by a
 * scan of staging that runs only when there are such users.
 */
function latestOfAffectedUsers({ names: n, dialect: d }: ModelSql, dirtyEventObjects: string): { name: string; select: string }[] {
  return [
    {
      name: 'tmp_user_kept',
      select: `SELECT ${userEvent('e')} FROM ${n.t(USER_LATEST_TABLE)} l JOIN tmp_aff_users a ON a.user_id = l.user_id
  JOIN ${n.t('stg_events')} e ON e.session_id = l.session_id AND e.item_in_session = l.item_in_session AND e.source_key = l.source_key AND e.source_line = l.source_line
  WHERE NOT (${d.anyOf('l.source_key', dirtyEventObjects)})`,
    },
    {
      name: 'tmp_user_newest',
      select: `SELECT e.* FROM tmp_new_events e JOIN (SELECT user_id, MAX(ts) AS ts FROM tmp_new_events WHERE user_id IS NOT NULL GROUP BY user_id) m ON m.user_id = e.user_id AND m.ts = e.ts`,
    },
    {
      // A new event at least as late as the recorded one exists if one at the user's greatest new ts is.
      name: 'tmp_user_rescan',
      select: `SELECT user_id FROM tmp_aff_users EXCEPT SELECT user_id FROM tmp_user_kept
  EXCEPT SELECT e.user_id FROM tmp_user_newest e JOIN ${n.t(USER_LATEST_TABLE)} l ON l.user_id = e.user_id
  WHERE ${atLeastAsLate(d, 'e', 'l')}`,
    },
    {
      name: 'tmp_user_latest',
      select: latestOf(
        d,
        `SELECT * FROM tmp_user_kept
  UNION ALL SELECT * FROM tmp_user_newest
  UNION ALL ${latestEventCopies(n, 'tmp_user_rescan', 'EXISTS (SELECT 1 FROM tmp_user_rescan)')}`,
      ),
    },
  ];
}

/**
 * Rows of `t` in the sessions of `sessions` (a table of session_id): a
 * Postgres index on (session_id, item_in_session) is then read once per
 * session (a day holds ~8 events per session), not once per key, and the
 * keys are matched by hash. A statement joining keys so runs
 * withoutNestedLoops: the planner would at times probe the index once
 * per key instead (on a month of 2,000-event days: 40 ms instead of 1 ms; at
 * 1M events once a rolled-back step, a retry or a crash, had left dead rows
 * in songplays: 21 s instead of 12 ms).
 */
const inSessions = (d: Dialect, t: string, sessions: string) => d.anyOf(`${t}.session_id`, `SELECT session_id FROM ${sessions}`);

/**
 * Incremental: the songplays the affected keys now have, from the copies of
 * those keys: the latest copy wins, and it is a songplay if it is a play.
 */
function affectedSongplays({ names: n, dialect: d }: ModelSql, songMatch: string, keys: string, sessions: string): string {
  return `SELECT ${songplayValues(d, 'w', 'w')}
FROM (
  SELECT e.ts, e.user_id, e.level, e.session_id, e.item_in_session, e.location, e.user_agent, e.page, sm.song_id, sm.artist_id,
         ${latestCopy(d, 'e')} AS rn
  FROM ${n.t('stg_events')} e JOIN ${keys} k ON k.session_id = e.session_id AND k.item_in_session = e.item_in_session
  ${songJoin(d, songMatch, 'e')}
  WHERE ${inSessions(d, 'e', sessions)}
) w
WHERE w.rn = 1 AND ${isPlay('w')}`;
}

/**
 * Incremental: time is the distinct start times of songplays, and a time row
 * depends on its start time alone. So after the affected songplays were
 * replaced, the start times they had before go if no songplay has them now
 * (songplays is read only at those), and the start times of the new rows
 * come in if time lacks them (timesMissing).
 */
function deleteGoneTimes({ names: n, dialect: d }: ModelSql, old: string): string {
  const oldTimes = `SELECT start_time FROM ${old}`;
  return `DELETE FROM ${n.t('time')} WHERE ${d.anyOf('start_time', `${oldTimes} EXCEPT SELECT p.start_time FROM ${n.t('songplays')} p WHERE ${d.anyOf('p.start_time', oldTimes)}`)}`;
}

/**
 * The distinct start times of `songplays` (a table with a start_time
 * column, a time may come more than once) that time lacks: those past the
 * greatest start time time holds (a new day's, mostly), which it cannot
 * have, pass straight through; time's key is probed once for each of the
 * others.
 */
function timesMissing(d: Dialect, time: string, songplays: string): string {
  const greatest = `(SELECT MAX(start_time) FROM ${time})`;
  const older = `SELECT start_time FROM ${songplays} WHERE start_time <= ${greatest}`;
  return `SELECT DISTINCT start_time FROM ${songplays} WHERE start_time > ${greatest} OR ${greatest} IS NULL
UNION ALL (${older} EXCEPT SELECT x.start_time FROM ${time} x WHERE ${d.anyOf('x.start_time', older)})`;
}

/**
 * The time rows of `missing` (a table of start_time that time lacks), in
 * time order: a new day's times all go to the right end of time's key,
 * where in order each lands on the page the last one did (Postgres keeps
 * that page: 30–34 ms against 40–43 ms for a 23,560-row day at 1M events).
 */
function insertTimes({ names: n, dialect: d }: ModelSql, missing: string): string {
  return `${insertInto(n.t('time'), 'time')}
SELECT ${timeValues(d, 't')}
FROM ${missing} t ORDER BY t.start_time`;
}

/**
 * Statements of an incremental build: work out what the objects staged since
 * the last model step affect (from the ledger's dirty sets), delete those rows from the
 * star tables and insert them again by the same rules as a full build.
 * `songsChanged` (songs staged or forgotten since: the ledger's dirty songs) adds
 * the songs and artists they affect and the events whose song match may have
 * moved; without it, songs and artists stay as they are.
 */
export function incrementalBuildStatements(m: ModelSql, songsChanged: boolean): ModelStatement[] {
  const { names: n, dialect: d } = m;
  // Temp tables a later statement joins get statistics; those read whole or through anyOf need none.
  const tmp = (name: string, select: string, analyze = true): ModelStatement[] =>
    [d.createTempTableAs(name, select), analyze ? d.analyze(name) : undefined].filter((s): s is string => !!s).map((sql) => ({ sql }));
  // The affected keys matched by hash among the rows of their sessions (inSessions).
  const keysTmp = (name: string, select: string): ModelStatement[] => d.withoutNestedLoops(d.createTempTableAs(name, select)).map((sql) => ({ sql }));
  const dirtyObjects = (dataset: string) => `SELECT source_key FROM ${n.t(LEDGER.dirtyObjects)} WHERE dataset = '${dataset}'`;
  const newRows = (dataset: string, table: string, alias: string) => `${n.t(table)} ${alias} WHERE ${d.anyOf(`${alias}.source_key`, dirtyObjects(dataset))}`;
  const newSongs = `SELECT s.song_id, s.artist_id, s.title, s.artist_name, s.duration FROM ${newRows('songs', 'stg_songs', 's')}`;
  const changedSongs = `SELECT song_id, artist_id, title, artist_name, duration FROM ${n.t(LEDGER.dirtySongs)} UNION ALL ${newSongs}`;
  // The keys of the new rows, those of the rows their objects replaced that the new rows lack (a
  // day delivered again lists each key once), and with songsChanged those of the events of changed
  // songs. A key may come twice (an object holding it twice, an event of a changed song in a new
  // object): every join of these keys ranks or deletes by key, so a key twice costs a row, not a
  // result, and no DISTINCT hashes every key of a new day.
  const eventKeys = [
    `SELECT session_id, item_in_session FROM tmp_new_events`,
    `SELECT d.session_id, d.item_in_session FROM ${n.t(LEDGER.dirtyEvents)} d WHERE NOT EXISTS (SELECT 1 FROM tmp_new_events e WHERE e.session_id = d.session_id AND e.item_in_session = d.item_in_session)`,
    ...(songsChanged
      ? [`SELECT e.session_id, e.item_in_session FROM ${n.t('stg_events')} e JOIN tmp_aff_triples t ON ${d.textEquals('t.title', 'e.song')} AND ${d.textEquals('t.artist_name', 'e.artist')} AND t.duration = e.length`]
      : []),
  ].join('\nUNION ALL ');
  const songplays = n.t('songplays');
  const columns = STAR_COLUMNS.songplays.join(', ');
  // The song match: kept by the ledger (brought up to date where songs changed), or ranked from the whole catalogue.
  const songMatch = d.keptSongMatch ? n.t(SONG_MATCH_TABLE) : 'tmp_song_match';
  const count = (sql: string, table: StarTable, sign: 1 | -1): ModelStatement => ({ sql, counts: { table, sign } });
  return [
    ...d.modelSettings('incremental').map((sql) => ({ sql })),
    // The rows the run staged, found once through the source_key index (with what the users step compares, where the ledger keeps users' latest events).
    ...tmp('tmp_new_events', `SELECT ${d.usersLatest === 'ledger' ? userEvent('e') : `e.session_id, e.item_in_session, ${userIdInt('e.user_id')} AS user_id`} FROM ${newRows('events', 'stg_events', 'e')}`, false),
    // Only where songs changed: a day of events alone has none, and these would be ten statements on empty tables.
    ...(songsChanged
      ? [
          ...tmp('tmp_changed_songs', changedSongs),
          ...tmp('tmp_aff_songs', `SELECT DISTINCT song_id FROM tmp_changed_songs`),
          ...tmp('tmp_aff_artists', `SELECT DISTINCT artist_id FROM tmp_changed_songs`),
          // The (title, artist name, duration) whose match may have moved: those of the changed rows, and
          // those of every staged copy of their songs. A song's current version before this step may be
          // a copy no object of the run touched (a newer copy in a new object replaces it as current):
          // the events matching it lose that song. No DISTINCT: on Redshift it would merge 'x' and
          // 'x ', and the join below needs both.
          ...tmp(
            'tmp_aff_triples',
            `SELECT title, artist_name, duration FROM tmp_changed_songs
UNION ALL SELECT s.title, s.artist_name, s.duration FROM ${n.t('stg_songs')} s WHERE s.song_id IN (SELECT song_id FROM tmp_aff_songs)`,
          ),
        ]
      : []),
    // Analysed all the same: without statistics Postgres 18 hashed the wide staging rows instead of
    // these keys when finding their copies (101 ms against 68 ms for a 1M day).
    ...tmp('tmp_aff_keys', eventKeys),
    ...tmp('tmp_aff_sessions', `SELECT DISTINCT session_id FROM tmp_aff_keys`, false),
    ...tmp('tmp_aff_users', `SELECT DISTINCT user_id FROM (SELECT ${userIdInt('user_id')} AS user_id FROM ${n.t(LEDGER.dirtyEvents)} UNION ALL SELECT user_id FROM tmp_new_events) u WHERE user_id IS NOT NULL`),
    // What the affected keys hold now (one index probe per session): the rows to replace, and their start times.
    ...keysTmp('tmp_old_songplays', `SELECT p.songplay_id, p.start_time FROM ${songplays} p JOIN tmp_aff_keys k ON k.session_id = p.session_id AND k.item_in_session = p.item_in_session WHERE ${inSessions(d, 'p', 'tmp_aff_sessions')}`),
    ...(songsChanged
      ? [
          count(`DELETE FROM ${n.t('songs')} WHERE song_id IN (SELECT song_id FROM tmp_aff_songs)`, 'songs', -1),
          count(insertSongs(m, n.t('songs'), { songs: 'tmp_aff_songs' }), 'songs', 1),
          count(`DELETE FROM ${n.t('artists')} WHERE artist_id IN (SELECT artist_id FROM tmp_aff_artists)`, 'artists', -1),
          count(insertArtists(m, n.t('artists'), { artists: 'tmp_aff_artists' }), 'artists', 1),
          ...(d.keptSongMatch ? updateKeptSongMatch(m) : []),
        ]
      : []),
    ...(d.keptSongMatch ? [] : tmp(songMatch, songMatchSelect(m))),
    // What they will hold: their winning copies that are plays.
    ...keysTmp('tmp_new_songplays', `SELECT * FROM (${affectedSongplays(m, songMatch, 'tmp_aff_keys', 'tmp_aff_sessions')}) p`),
    count(`DELETE FROM ${songplays} WHERE ${d.anyOf('songplay_id', 'SELECT songplay_id FROM tmp_old_songplays')}`, 'songplays', -1),
    count(`INSERT INTO ${songplays} (${columns}) SELECT ${columns} FROM tmp_new_songplays`, 'songplays', 1),
    // The start times the affected songplays had before and no songplay has now go; theirs now come in.
    count(deleteGoneTimes(m, 'tmp_old_songplays'), 'time', -1),
    // Those time lacks (after the deletes) are inserted, all of them: the check after counts on it (writtenSongplaysSql).
    ...tmp('tmp_missing_times', timesMissing(d, n.t('time'), 'tmp_new_songplays'), false),
    count(insertTimes(m, 'tmp_missing_times'), 'time', 1),
    ...(d.usersLatest === 'ledger' ? latestOfAffectedUsers(m, dirtyObjects('events')).flatMap((t) => tmp(t.name, t.select, false)) : []),
    count(`DELETE FROM ${n.t('users')} WHERE user_id IN (SELECT user_id FROM tmp_aff_users)`, 'users', -1),
    ...(d.usersLatest === 'ledger'
      ? [count(insertUsersFromLatest(n.t('users'), 'tmp_user_latest'), 'users', 1), ...recordUserLatest(n, 'tmp_user_latest', 'tmp_aff_users').map((sql) => ({ sql }))]
      : [count(insertUsers(m, n.t('users'), { users: 'tmp_aff_users' }), 'users', 1)]),
  ];
}

/** The end of an incremental step, after writtenSongplaysSql: forget the dirty sets, drop what outlives the transaction. */
export function incrementalFinishStatements(m: ModelSql): string[] {
  const temps = ['tmp_new_events', 'tmp_changed_songs', 'tmp_aff_songs', 'tmp_aff_artists', 'tmp_aff_triples', 'tmp_aff_keys', 'tmp_aff_sessions', 'tmp_aff_users', 'tmp_old_songplays', 'tmp_song_match', 'tmp_new_songplays', 'tmp_missing_times'];
  if (m.dialect.usersLatest === 'ledger') temps.push('tmp_user_kept', 'tmp_user_newest', 'tmp_user_rescan', 'tmp_user_latest');
  return [...clearDirtyStatements(m.names), ...temps.map((t) => m.dialect.dropTempTable(t)).filter((s): s is string => !!s)];
}

/** What an incremental step checks of the songplays it wrote, before it commits. */
export interface WrittenSongplays {
  /** Songplays the step computed for the events it touched, and how many its INSERT wrote. */
  rows: number;
  inserted: number;
  /** Distinct users, start times, songs and artists of those songplays missing from their tables. */
  noUser: number;
  /**
   * Start times: those time lacked after the step's deletes (tmp_missing_times) less the time rows it
   * inserted, which were read from them. Time's key (or on Redshift, the EXCEPT that made them) keeps
   * each once, so what the INSERT wrote is what is there: probing time's key again for every start
   * time would cost a tenth of a daily run's model step.
   */
  noTime: number;
  noSong: number;
  noArtist: number;
  /** Where keys are not enforced (Redshift): keys of the touched events held by more than one songplay. */
  duplicatedKeys: number;
}

/**
 * One query over the songplays the step wrote: each distinct user, song and
 * artist they reference is looked up once in its table, so it costs what the
 * change costs; the start times time lacked are counted (`missing_times`:
 * the caller subtracts the time rows the step inserted, see
 * WrittenSongplays.noTime). Other columns as in WrittenSongplays, in snake case.
 */
export function writtenSongplaysSql({ names: n, dialect: d }: ModelSql): string {
  const missing = (column: string, table: string) =>
    `(SELECT COUNT(*) FROM (SELECT DISTINCT ${column} FROM tmp_new_songplays WHERE ${column} IS NOT NULL) w LEFT JOIN ${n.t(table)} x ON x.${column} = w.${column} WHERE x.${column} IS NULL)`;
  const duplicated = d.enforcesKeys
    ? '0'
    : `(SELECT COUNT(*) FROM (SELECT p.session_id, p.item_in_session FROM ${n.t('songplays')} p JOIN (SELECT DISTINCT session_id, item_in_session FROM tmp_aff_keys) k ON k.session_id = p.session_id AND k.item_in_session = p.item_in_session GROUP BY p.session_id, p.item_in_session HAVING COUNT(*) > 1) dup)`;
  return `SELECT (SELECT COUNT(*) FROM tmp_new_songplays) AS rows,
  ${missing('user_id', 'users')} AS no_user,
  (SELECT COUNT(*) FROM tmp_missing_times) AS missing_times,
  ${missing('song_id', 'songs')} AS no_song,
  ${missing('artist_id', 'artists')} AS no_artist,
  ${duplicated} AS duplicated_keys`;
}
