CREATE TEMP TABLE tmp_new_events AS SELECT e.session_id, e.item_in_session, CAST(NULLIF(e.user_id, '') AS INTEGER) AS user_id FROM "dwh"."stg_events" e WHERE e.source_key IN (SELECT source_key FROM "dwh"."etl_dirty_objects" WHERE dataset = 'events');

CREATE TEMP TABLE tmp_changed_songs AS SELECT song_id, artist_id, title, artist_name, duration FROM "dwh"."etl_dirty_songs" UNION ALL SELECT s.song_id, s.artist_id, s.title, s.artist_name, s.duration FROM "dwh"."stg_songs" s WHERE s.source_key IN (SELECT source_key FROM "dwh"."etl_dirty_objects" WHERE dataset = 'songs');

CREATE TEMP TABLE tmp_aff_songs AS SELECT DISTINCT song_id FROM tmp_changed_songs;

CREATE TEMP TABLE tmp_aff_artists AS SELECT DISTINCT artist_id FROM tmp_changed_songs;

CREATE TEMP TABLE tmp_aff_triples AS SELECT title, artist_name, duration FROM tmp_changed_songs
UNION ALL SELECT s.title, s.artist_name, s.duration FROM "dwh"."stg_songs" s WHERE s.song_id IN (SELECT song_id FROM tmp_aff_songs);

CREATE TEMP TABLE tmp_aff_keys AS SELECT session_id, item_in_session FROM tmp_new_events
UNION ALL SELECT d.session_id, d.item_in_session FROM "dwh"."etl_dirty_events" d WHERE NOT EXISTS (SELECT 1 FROM tmp_new_events e WHERE e.session_id = d.session_id AND e.item_in_session = d.item_in_session)
UNION ALL SELECT e.session_id, e.item_in_session FROM "dwh"."stg_events" e JOIN tmp_aff_triples t ON (t.title = e.song AND t.title || '|' = e.song || '|') AND (t.artist_name = e.artist AND t.artist_name || '|' = e.artist || '|') AND t.duration = e.length;

CREATE TEMP TABLE tmp_aff_sessions AS SELECT DISTINCT session_id FROM tmp_aff_keys;

CREATE TEMP TABLE tmp_aff_users AS SELECT DISTINCT user_id FROM (SELECT CAST(NULLIF(user_id, '') AS INTEGER) AS user_id FROM "dwh"."etl_dirty_events" UNION ALL SELECT user_id FROM tmp_new_events) u WHERE user_id IS NOT NULL;

CREATE TEMP TABLE tmp_old_songplays AS SELECT p.songplay_id, p.start_time FROM "dwh"."songplays" p JOIN tmp_aff_keys k ON k.session_id = p.session_id AND k.item_in_session = p.item_in_session WHERE p.session_id IN (SELECT session_id FROM tmp_aff_sessions);

DELETE FROM "dwh"."songs" WHERE song_id IN (SELECT song_id FROM tmp_aff_songs);

INSERT INTO "dwh"."songs" (song_id, title, artist_id, year, duration)
SELECT song_id, title, artist_id, NULLIF(year, 0), duration FROM (SELECT song_id, title, artist_id, artist_name, year, duration FROM (
  SELECT s.song_id, s.title, s.artist_id, s.artist_name, s.year, s.duration,
         ROW_NUMBER() OVER (PARTITION BY (s.song_id || '|') ORDER BY (s.source_key || CHR(1)) DESC, s.source_line DESC) AS rn
  FROM "dwh"."stg_songs" s WHERE s.song_id IN (SELECT song_id FROM tmp_aff_songs)
) v WHERE rn = 1) cs;

DELETE FROM "dwh"."artists" WHERE artist_id IN (SELECT artist_id FROM tmp_aff_artists);

INSERT INTO "dwh"."artists" (artist_id, name, location, latitude, longitude)
SELECT artist_id, artist_name, CASE WHEN (artist_location = '' AND artist_location || '|' = '' || '|') THEN NULL ELSE artist_location END, artist_latitude, artist_longitude FROM (
  SELECT s.artist_id, s.artist_name, s.artist_location, s.artist_latitude, s.artist_longitude,
         ROW_NUMBER() OVER (PARTITION BY (s.artist_id || '|') ORDER BY (s.song_id || CHR(1)), (s.source_key || CHR(1)) DESC, s.source_line DESC) AS rn
  FROM "dwh"."stg_songs" s WHERE s.artist_id IN (SELECT artist_id FROM tmp_aff_artists)
) a WHERE rn = 1;

CREATE TEMP TABLE tmp_song_match AS SELECT title, artist_name, duration, song_id, artist_id FROM (
  SELECT title, artist_name, duration, song_id, artist_id,
         ROW_NUMBER() OVER (PARTITION BY (title || '|'), (artist_name || '|'), duration ORDER BY (song_id || CHR(1))) AS rn
  FROM (SELECT song_id, title, artist_id, artist_name, year, duration FROM (
  SELECT s.song_id, s.title, s.artist_id, s.artist_name, s.year, s.duration,
         ROW_NUMBER() OVER (PARTITION BY (s.song_id || '|') ORDER BY (s.source_key || CHR(1)) DESC, s.source_line DESC) AS rn
  FROM "dwh"."stg_songs" s
) v WHERE rn = 1) cs
  WHERE title IS NOT NULL AND artist_name IS NOT NULL AND duration IS NOT NULL
) best WHERE rn = 1;

CREATE TEMP TABLE tmp_new_songplays AS SELECT * FROM (SELECT (TIMESTAMP 'epoch' + w.ts / 1000.0 * INTERVAL '1 second') AS start_time, CAST(NULLIF(w.user_id, '') AS INTEGER) AS user_id, w.level, w.song_id, w.artist_id, w.session_id, w.item_in_session, w.location, w.user_agent
FROM (
  SELECT e.ts, e.user_id, e.level, e.session_id, e.item_in_session, e.location, e.user_agent, e.page, sm.song_id, sm.artist_id,
         ROW_NUMBER() OVER (PARTITION BY e.session_id, e.item_in_session ORDER BY (e.source_key || CHR(1)) DESC, e.source_line DESC) AS rn
  FROM "dwh"."stg_events" e JOIN tmp_aff_keys k ON k.session_id = e.session_id AND k.item_in_session = e.item_in_session
  LEFT JOIN tmp_song_match sm ON (sm.title = e.song AND sm.title || '|' = e.song || '|') AND (sm.artist_name = e.artist AND sm.artist_name || '|' = e.artist || '|') AND sm.duration = e.length
  WHERE e.session_id IN (SELECT session_id FROM tmp_aff_sessions)
) w
WHERE w.rn = 1 AND w.page = 'NextSong' AND w.user_id <> '') p;

DELETE FROM "dwh"."songplays" WHERE songplay_id IN (SELECT songplay_id FROM tmp_old_songplays);

INSERT INTO "dwh"."songplays" (start_time, user_id, level, song_id, artist_id, session_id, item_in_session, location, user_agent) SELECT start_time, user_id, level, song_id, artist_id, session_id, item_in_session, location, user_agent FROM tmp_new_songplays;

DELETE FROM "dwh"."time" WHERE start_time IN (SELECT start_time FROM tmp_old_songplays EXCEPT SELECT p.start_time FROM "dwh"."songplays" p WHERE p.start_time IN (SELECT start_time FROM tmp_old_songplays));

CREATE TEMP TABLE tmp_missing_times AS SELECT DISTINCT start_time FROM tmp_new_songplays WHERE start_time > (SELECT MAX(start_time) FROM "dwh"."time") OR (SELECT MAX(start_time) FROM "dwh"."time") IS NULL
UNION ALL (SELECT start_time FROM tmp_new_songplays WHERE start_time <= (SELECT MAX(start_time) FROM "dwh"."time") EXCEPT SELECT x.start_time FROM "dwh"."time" x WHERE x.start_time IN (SELECT start_time FROM tmp_new_songplays WHERE start_time <= (SELECT MAX(start_time) FROM "dwh"."time")));

INSERT INTO "dwh"."time" (start_time, hour, day, week, month, year, weekday)
SELECT t.start_time, CAST(DATE_PART('hour', t.start_time) AS INTEGER), CAST(DATE_PART('day', t.start_time) AS INTEGER), CAST(DATE_PART('week', t.start_time) AS INTEGER), CAST(DATE_PART('month', t.start_time) AS INTEGER), CAST(DATE_PART('year', t.start_time) AS INTEGER), CAST(DATE_PART('dow', t.start_time) AS INTEGER)
FROM tmp_missing_times t ORDER BY t.start_time;

DELETE FROM "dwh"."users" WHERE user_id IN (SELECT user_id FROM tmp_aff_users);

INSERT INTO "dwh"."users" (user_id, first_name, last_name, gender, level)
SELECT user_id, first_name, last_name, gender, level FROM (
  SELECT CAST(NULLIF(e.user_id, '') AS INTEGER) AS user_id, e.first_name, e.last_name, e.gender, e.level,
         ROW_NUMBER() OVER (PARTITION BY CAST(NULLIF(e.user_id, '') AS INTEGER) ORDER BY e.ts DESC, e.session_id DESC, e.item_in_session DESC, (e.source_key || CHR(1)) DESC, e.source_line DESC) AS rn
  FROM "dwh"."stg_events" e JOIN tmp_aff_users a ON a.user_id = CAST(NULLIF(e.user_id, '') AS INTEGER)
) latest WHERE rn = 1;

SELECT (SELECT COUNT(*) FROM tmp_new_songplays) AS rows,
  (SELECT COUNT(*) FROM (SELECT DISTINCT user_id FROM tmp_new_songplays WHERE user_id IS NOT NULL) w LEFT JOIN "dwh"."users" x ON x.user_id = w.user_id WHERE x.user_id IS NULL) AS no_user,
  (SELECT COUNT(*) FROM tmp_missing_times) AS missing_times,
  (SELECT COUNT(*) FROM (SELECT DISTINCT song_id FROM tmp_new_songplays WHERE song_id IS NOT NULL) w LEFT JOIN "dwh"."songs" x ON x.song_id = w.song_id WHERE x.song_id IS NULL) AS no_song,
  (SELECT COUNT(*) FROM (SELECT DISTINCT artist_id FROM tmp_new_songplays WHERE artist_id IS NOT NULL) w LEFT JOIN "dwh"."artists" x ON x.artist_id = w.artist_id WHERE x.artist_id IS NULL) AS no_artist,
  (SELECT COUNT(*) FROM (SELECT p.session_id, p.item_in_session FROM "dwh"."songplays" p JOIN (SELECT DISTINCT session_id, item_in_session FROM tmp_aff_keys) k ON k.session_id = p.session_id AND k.item_in_session = p.item_in_session GROUP BY p.session_id, p.item_in_session HAVING COUNT(*) > 1) dup) AS duplicated_keys;

DELETE FROM "dwh"."etl_dirty_objects";

DELETE FROM "dwh"."etl_dirty_events";

DELETE FROM "dwh"."etl_dirty_songs";

DELETE FROM "dwh"."etl_state" WHERE name = 'full_rebuild_pending';

DROP TABLE IF EXISTS tmp_new_events;

DROP TABLE IF EXISTS tmp_changed_songs;

DROP TABLE IF EXISTS tmp_aff_songs;

DROP TABLE IF EXISTS tmp_aff_artists;

DROP TABLE IF EXISTS tmp_aff_triples;

DROP TABLE IF EXISTS tmp_aff_keys;

DROP TABLE IF EXISTS tmp_aff_sessions;

DROP TABLE IF EXISTS tmp_aff_users;

DROP TABLE IF EXISTS tmp_old_songplays;

DROP TABLE IF EXISTS tmp_song_match;

DROP TABLE IF EXISTS tmp_new_songplays;

DROP TABLE IF EXISTS tmp_missing_times;
