-- The star schema as a data engineer would write it by hand over the staging
-- tables (the whole-job baseline of `npm run bench`): one CREATE TABLE … AS
-- SELECT per table, DISTINCT ON for "latest copy wins", no keys, no indexes.
-- Same semantics as the loader's model step (SPEC §4); the bench checks that
-- both give the same row counts and sums.
\set ON_ERROR_STOP on
BEGIN;

-- Each song_id once: its copy from the greatest source_key (then line); year 0 is unknown.
CREATE TABLE songs AS
SELECT DISTINCT ON (song_id) song_id, title, artist_id, NULLIF(year, 0) AS year, duration
FROM stg_songs
ORDER BY song_id, source_key DESC, source_line DESC;

-- Each artist from its staged song with the smallest song_id (that song's latest copy).
CREATE TABLE artists AS
SELECT DISTINCT ON (artist_id) artist_id, artist_name AS name, NULLIF(artist_location, '') AS location,
       artist_latitude AS latitude, artist_longitude AS longitude
FROM stg_songs
ORDER BY artist_id, song_id, source_key DESC, source_line DESC;

-- An event's latest copy decides; it is a songplay if it is a NextSong play of a user.
-- Its song: the current song with the same title, artist name and duration (lowest song_id).
CREATE TABLE songplays AS
WITH latest AS (
  SELECT DISTINCT ON (session_id, item_in_session) *
  FROM stg_events
  ORDER BY session_id, item_in_session, source_key DESC, source_line DESC
), current_songs AS (
  SELECT DISTINCT ON (song_id) song_id, title, artist_id, artist_name, duration
  FROM stg_songs
  ORDER BY song_id, source_key DESC, source_line DESC
), song_match AS (
  SELECT DISTINCT ON (title, artist_name, duration) title, artist_name, duration, song_id, artist_id
  FROM current_songs
  ORDER BY title, artist_name, duration, song_id
)
SELECT row_number() OVER () AS songplay_id,
       TIMESTAMP 'epoch' + e.ts * INTERVAL '1 millisecond' AS start_time,
       e.user_id::int AS user_id, e.level, m.song_id, m.artist_id,
       e.session_id, e.item_in_session, e.location, e.user_agent
FROM latest e
LEFT JOIN song_match m ON m.title = e.song AND m.artist_name = e.artist AND m.duration = e.length
WHERE e.page = 'NextSong' AND e.user_id <> '';

-- Each user from their latest event.
CREATE TABLE users AS
SELECT DISTINCT ON (user_id::int) user_id::int AS user_id, first_name, last_name, gender, level
FROM stg_events
WHERE user_id <> ''
ORDER BY user_id::int, ts DESC, session_id DESC, item_in_session DESC, source_key DESC, source_line DESC;

-- One row per distinct start time of a songplay.
CREATE TABLE time AS
SELECT start_time,
       extract(hour FROM start_time)::int AS hour, extract(day FROM start_time)::int AS day,
       extract(week FROM start_time)::int AS week, extract(month FROM start_time)::int AS month,
       extract(year FROM start_time)::int AS year, extract(dow FROM start_time)::int AS weekday
FROM (SELECT DISTINCT start_time FROM songplays) t;

COMMIT;
