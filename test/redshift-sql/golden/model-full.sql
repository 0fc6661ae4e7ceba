DROP TABLE IF EXISTS "dwh"."songplays__build";

DROP TABLE IF EXISTS "dwh"."users__build";

DROP TABLE IF EXISTS "dwh"."songs__build";

DROP TABLE IF EXISTS "dwh"."artists__build";

DROP TABLE IF EXISTS "dwh"."time__build";

DROP TABLE IF EXISTS "dwh"."etl_build_duplicates";

DROP TABLE IF EXISTS "dwh"."etl_build_song_match";

CREATE TABLE "dwh"."etl_build_duplicates" AS SELECT session_id, item_in_session FROM "dwh"."stg_events" GROUP BY session_id, item_in_session HAVING COUNT(*) > 1;

CREATE TABLE "dwh"."songs__build" (
  song_id VARCHAR(64) NOT NULL,
  title VARCHAR(1024),
  artist_id VARCHAR(64),
  year INTEGER,
  duration DOUBLE PRECISION,
  PRIMARY KEY (song_id)
)
DISTSTYLE ALL
SORTKEY (song_id);

INSERT INTO "dwh"."songs__build" (song_id, title, artist_id, year, duration)
SELECT song_id, title, artist_id, NULLIF(year, 0), duration FROM (SELECT song_id, title, artist_id, artist_name, year, duration FROM (
  SELECT s.song_id, s.title, s.artist_id, s.artist_name, s.year, s.duration,
         ROW_NUMBER() OVER (PARTITION BY (s.song_id || '|') ORDER BY (s.source_key || CHR(1)) DESC, s.source_line DESC) AS rn
  FROM "dwh"."stg_songs" s
) v WHERE rn = 1) cs;

CREATE TABLE "dwh"."artists__build" (
  artist_id VARCHAR(64) NOT NULL,
  name VARCHAR(1024),
  location VARCHAR(512),
  latitude DOUBLE PRECISION,
  longitude DOUBLE PRECISION,
  PRIMARY KEY (artist_id)
)
DISTSTYLE ALL
SORTKEY (artist_id);

INSERT INTO "dwh"."artists__build" (artist_id, name, location, latitude, longitude)
SELECT artist_id, artist_name, CASE WHEN (artist_location = '' AND artist_location || '|' = '' || '|') THEN NULL ELSE artist_location END, artist_latitude, artist_longitude FROM (
  SELECT s.artist_id, s.artist_name, s.artist_location, s.artist_latitude, s.artist_longitude,
         ROW_NUMBER() OVER (PARTITION BY (s.artist_id || '|') ORDER BY (s.song_id || CHR(1)), (s.source_key || CHR(1)) DESC, s.source_line DESC) AS rn
  FROM "dwh"."stg_songs" s
) a WHERE rn = 1;

CREATE TABLE "dwh"."etl_build_song_match" AS SELECT title, artist_name, duration, song_id, artist_id FROM (
  SELECT title, artist_name, duration, song_id, artist_id,
         ROW_NUMBER() OVER (PARTITION BY (title || '|'), (artist_name || '|'), duration ORDER BY (song_id || CHR(1))) AS rn
  FROM (SELECT song_id, title, artist_id, artist_name, year, duration FROM (
  SELECT s.song_id, s.title, s.artist_id, s.artist_name, s.year, s.duration,
         ROW_NUMBER() OVER (PARTITION BY (s.song_id || '|') ORDER BY (s.source_key || CHR(1)) DESC, s.source_line DESC) AS rn
  FROM "dwh"."stg_songs" s
) v WHERE rn = 1) cs
  WHERE title IS NOT NULL AND artist_name IS NOT NULL AND duration IS NOT NULL
) best WHERE rn = 1;

CREATE TABLE "dwh"."songplays__build" (
  songplay_id BIGINT IDENTITY(1, 1),
  start_time TIMESTAMP NOT NULL,
  user_id INTEGER NOT NULL,
  level VARCHAR(16),
  song_id VARCHAR(64),
  artist_id VARCHAR(64),
  session_id BIGINT NOT NULL,
  item_in_session INTEGER NOT NULL,
  location VARCHAR(512),
  user_agent VARCHAR(1024),
  PRIMARY KEY (songplay_id),
  UNIQUE (session_id, item_in_session)
)
DISTSTYLE KEY DISTKEY (user_id)
COMPOUND SORTKEY (start_time);

INSERT INTO "dwh"."songplays__build" (start_time, user_id, level, song_id, artist_id, session_id, item_in_session, location, user_agent)
SELECT (TIMESTAMP 'epoch' + p.ts / 1000.0 * INTERVAL '1 second') AS start_time, CAST(NULLIF(p.user_id, '') AS INTEGER) AS user_id, p.level, sm.song_id, sm.artist_id, p.session_id, p.item_in_session, p.location, p.user_agent
FROM (SELECT e.ts, e.user_id, e.level, e.song, e.artist, e.length, e.session_id, e.item_in_session, e.location, e.user_agent FROM "dwh"."stg_events" e WHERE e.page = 'NextSong' AND e.user_id <> ''
  AND NOT EXISTS (SELECT 1 FROM "dwh"."etl_build_duplicates" k WHERE k.session_id = e.session_id AND k.item_in_session = e.item_in_session)
UNION ALL
SELECT w.ts, w.user_id, w.level, w.song, w.artist, w.length, w.session_id, w.item_in_session, w.location, w.user_agent FROM (
  SELECT e.ts, e.user_id, e.level, e.song, e.artist, e.length, e.session_id, e.item_in_session, e.location, e.user_agent, e.page, ROW_NUMBER() OVER (PARTITION BY e.session_id, e.item_in_session ORDER BY (e.source_key || CHR(1)) DESC, e.source_line DESC) AS rn
  FROM "dwh"."stg_events" e JOIN "dwh"."etl_build_duplicates" k ON k.session_id = e.session_id AND k.item_in_session = e.item_in_session
) w WHERE w.rn = 1 AND w.page = 'NextSong' AND w.user_id <> '') p
LEFT JOIN "dwh"."etl_build_song_match" sm ON (sm.title = p.song AND sm.title || '|' = p.song || '|') AND (sm.artist_name = p.artist AND sm.artist_name || '|' = p.artist || '|') AND sm.duration = p.length;

CREATE TABLE "dwh"."time__build" (
  start_time TIMESTAMP NOT NULL,
  hour INTEGER NOT NULL,
  day INTEGER NOT NULL,
  week INTEGER NOT NULL,
  month INTEGER NOT NULL,
  year INTEGER NOT NULL,
  weekday INTEGER NOT NULL,
  PRIMARY KEY (start_time)
)
DISTSTYLE KEY DISTKEY (start_time)
SORTKEY (start_time);

INSERT INTO "dwh"."time__build" (start_time, hour, day, week, month, year, weekday)
SELECT t.start_time, CAST(DATE_PART('hour', t.start_time) AS INTEGER), CAST(DATE_PART('day', t.start_time) AS INTEGER), CAST(DATE_PART('week', t.start_time) AS INTEGER), CAST(DATE_PART('month', t.start_time) AS INTEGER), CAST(DATE_PART('year', t.start_time) AS INTEGER), CAST(DATE_PART('dow', t.start_time) AS INTEGER)
FROM (SELECT DISTINCT p.start_time FROM "dwh"."songplays__build" p) t;

CREATE TABLE "dwh"."users__build" (
  user_id INTEGER NOT NULL,
  first_name VARCHAR(256),
  last_name VARCHAR(256),
  gender VARCHAR(16),
  level VARCHAR(16),
  PRIMARY KEY (user_id)
)
DISTSTYLE ALL
SORTKEY (user_id);

INSERT INTO "dwh"."users__build" (user_id, first_name, last_name, gender, level)
SELECT user_id, first_name, last_name, gender, level FROM (
  SELECT CAST(NULLIF(e.user_id, '') AS INTEGER) AS user_id, e.first_name, e.last_name, e.gender, e.level,
         ROW_NUMBER() OVER (PARTITION BY CAST(NULLIF(e.user_id, '') AS INTEGER) ORDER BY e.ts DESC, e.session_id DESC, e.item_in_session DESC, (e.source_key || CHR(1)) DESC, e.source_line DESC) AS rn
  FROM "dwh"."stg_events" e WHERE e.user_id <> ''
) latest WHERE rn = 1;

LOCK "dwh"."users", "dwh"."songs", "dwh"."artists", "dwh"."time";

DELETE FROM "dwh"."songplays";

INSERT INTO "dwh"."songplays" (start_time, user_id, level, song_id, artist_id, session_id, item_in_session, location, user_agent) SELECT start_time, user_id, level, song_id, artist_id, session_id, item_in_session, location, user_agent FROM "dwh"."songplays__build";

DROP TABLE "dwh"."songplays__build";

DROP TABLE "dwh"."users";

ALTER TABLE "dwh"."users__build" RENAME TO "users";

DROP TABLE "dwh"."songs";

ALTER TABLE "dwh"."songs__build" RENAME TO "songs";

DROP TABLE "dwh"."artists";

ALTER TABLE "dwh"."artists__build" RENAME TO "artists";

DROP TABLE "dwh"."time";

ALTER TABLE "dwh"."time__build" RENAME TO "time";

DELETE FROM "dwh"."etl_dirty_objects";

DELETE FROM "dwh"."etl_dirty_events";

DELETE FROM "dwh"."etl_dirty_songs";

DELETE FROM "dwh"."etl_state" WHERE name = 'full_rebuild_pending';

DELETE FROM "dwh"."etl_state" WHERE name IN ('rows:songplays', 'rows:users', 'rows:songs', 'rows:artists', 'rows:time');

INSERT INTO "dwh"."etl_state" (name, value) VALUES ('rows:songplays', '1'), ('rows:users', '1'), ('rows:songs', '1'), ('rows:artists', '1'), ('rows:time', '1');

DELETE FROM "dwh"."songplays";

INSERT INTO "dwh"."songplays" (start_time, user_id, level, song_id, artist_id, session_id, item_in_session, location, user_agent) SELECT start_time, user_id, level, song_id, artist_id, session_id, item_in_session, location, user_agent FROM "dwh"."songplays__build";

DROP TABLE "dwh"."songplays__build";

VACUUM DELETE ONLY "dwh"."songplays";

ANALYZE "dwh"."songplays";

ANALYZE "dwh"."users";

ANALYZE "dwh"."songs";

ANALYZE "dwh"."artists";

ANALYZE "dwh"."time";

DROP TABLE IF EXISTS "dwh"."songplays__build";

DROP TABLE IF EXISTS "dwh"."users__build";

DROP TABLE IF EXISTS "dwh"."songs__build";

DROP TABLE IF EXISTS "dwh"."artists__build";

DROP TABLE IF EXISTS "dwh"."time__build";

DROP TABLE IF EXISTS "dwh"."etl_build_duplicates";

DROP TABLE IF EXISTS "dwh"."etl_build_song_match";
