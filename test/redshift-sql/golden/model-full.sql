DELETE FROM "dwh"."songplays";

DELETE FROM "dwh"."users";

DELETE FROM "dwh"."songs";

DELETE FROM "dwh"."artists";

DELETE FROM "dwh"."time";

INSERT INTO "dwh"."songs" (song_id, title, artist_id, year, duration)
SELECT song_id, title, artist_id, NULLIF(year, 0), duration FROM (SELECT song_id, title, artist_id, artist_name, year, duration FROM (
  SELECT s.song_id, s.title, s.artist_id, s.artist_name, s.year, s.duration,
         ROW_NUMBER() OVER (PARTITION BY s.song_id ORDER BY s.source_key DESC, s.source_line DESC) AS rn
  FROM "dwh"."stg_songs" s
) v WHERE rn = 1) cs;

INSERT INTO "dwh"."artists" (artist_id, name, location, latitude, longitude)
SELECT artist_id, artist_name, CASE WHEN (artist_location = '' AND artist_location || '|' = '' || '|') THEN NULL ELSE artist_location END, artist_latitude, artist_longitude FROM (
  SELECT s.artist_id, s.artist_name, s.artist_location, s.artist_latitude, s.artist_longitude,
         ROW_NUMBER() OVER (PARTITION BY s.artist_id ORDER BY s.song_id, s.source_key DESC, s.source_line DESC) AS rn
  FROM "dwh"."stg_songs" s
) a WHERE rn = 1;

CREATE TEMP TABLE tmp_song_match AS SELECT title, artist_name, duration, song_id, artist_id FROM (
  SELECT title, artist_name, duration, song_id, artist_id,
         ROW_NUMBER() OVER (PARTITION BY title, artist_name, duration ORDER BY song_id) AS rn
  FROM (SELECT song_id, title, artist_id, artist_name, year, duration FROM (
  SELECT s.song_id, s.title, s.artist_id, s.artist_name, s.year, s.duration,
         ROW_NUMBER() OVER (PARTITION BY s.song_id ORDER BY s.source_key DESC, s.source_line DESC) AS rn
  FROM "dwh"."stg_songs" s
) v WHERE rn = 1) cs
) best WHERE rn = 1;

INSERT INTO "dwh"."songplays" (start_time, user_id, level, song_id, artist_id, session_id, item_in_session, location, user_agent)
SELECT (TIMESTAMP 'epoch' + w.ts / 1000.0 * INTERVAL '1 second'), CAST(NULLIF(w.user_id, '') AS INTEGER), w.level, w.song_id, w.artist_id, w.session_id, w.item_in_session, w.location, w.user_agent
FROM (
  SELECT e.ts, e.user_id, e.level, e.session_id, e.item_in_session, e.location, e.user_agent, e.page, sm.song_id, sm.artist_id,
         ROW_NUMBER() OVER (PARTITION BY e.session_id, e.item_in_session ORDER BY e.source_key DESC, e.source_line DESC) AS rn
  FROM "dwh"."stg_events" e
  LEFT JOIN tmp_song_match sm ON (sm.title = e.song AND sm.title || '|' = e.song || '|') AND (sm.artist_name = e.artist AND sm.artist_name || '|' = e.artist || '|') AND sm.duration = e.length
) w
WHERE w.rn = 1 AND w.page = 'NextSong' AND w.user_id <> '';

INSERT INTO "dwh"."time" (start_time, hour, day, week, month, year, weekday)
SELECT t.start_time, CAST(DATE_PART('hour', t.start_time) AS INTEGER), CAST(DATE_PART('day', t.start_time) AS INTEGER), CAST(DATE_PART('week', t.start_time) AS INTEGER), CAST(DATE_PART('month', t.start_time) AS INTEGER), CAST(DATE_PART('year', t.start_time) AS INTEGER), CAST(DATE_PART('dow', t.start_time) AS INTEGER)
FROM (SELECT DISTINCT p.start_time FROM "dwh"."songplays" p) t;

INSERT INTO "dwh"."users" (user_id, first_name, last_name, gender, level)
SELECT user_id, first_name, last_name, gender, level FROM (
  SELECT CAST(NULLIF(e.user_id, '') AS INTEGER) AS user_id, e.first_name, e.last_name, e.gender, e.level,
         ROW_NUMBER() OVER (PARTITION BY CAST(NULLIF(e.user_id, '') AS INTEGER) ORDER BY e.ts DESC, e.session_id DESC, e.item_in_session DESC, e.source_key DESC, e.source_line DESC) AS rn
  FROM "dwh"."stg_events" e WHERE e.user_id <> ''
) latest WHERE rn = 1;

DELETE FROM "dwh"."etl_dirty_objects";

DELETE FROM "dwh"."etl_dirty_events";

DELETE FROM "dwh"."etl_dirty_songs";

DELETE FROM "dwh"."etl_state" WHERE name = 'full_rebuild_pending';

DROP TABLE IF EXISTS tmp_song_match;
