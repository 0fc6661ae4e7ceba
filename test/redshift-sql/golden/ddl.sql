CREATE SCHEMA IF NOT EXISTS "dwh";

CREATE TABLE IF NOT EXISTS "dwh"."stg_events" (
  artist VARCHAR(1024),
  auth VARCHAR(64),
  first_name VARCHAR(256),
  gender VARCHAR(16),
  item_in_session INTEGER NOT NULL,
  last_name VARCHAR(256),
  length DOUBLE PRECISION,
  level VARCHAR(16),
  location VARCHAR(512),
  method VARCHAR(16),
  page VARCHAR(64) NOT NULL,
  registration BIGINT,
  session_id BIGINT NOT NULL,
  song VARCHAR(1024),
  status INTEGER,
  ts BIGINT NOT NULL,
  user_agent VARCHAR(1024),
  user_id VARCHAR(32),
  source_key VARCHAR(1024) NOT NULL,
  source_line BIGINT NOT NULL
)
DISTSTYLE KEY DISTKEY (session_id)
SORTKEY (source_key);

CREATE TABLE IF NOT EXISTS "dwh"."stg_songs" (
  num_songs INTEGER,
  artist_id VARCHAR(64) NOT NULL,
  artist_latitude DOUBLE PRECISION,
  artist_longitude DOUBLE PRECISION,
  artist_location VARCHAR(512),
  artist_name VARCHAR(1024),
  song_id VARCHAR(64) NOT NULL,
  title VARCHAR(1024),
  duration DOUBLE PRECISION,
  year INTEGER,
  source_key VARCHAR(1024) NOT NULL,
  source_line BIGINT NOT NULL
)
DISTSTYLE ALL
SORTKEY (source_key);

CREATE TABLE IF NOT EXISTS "dwh"."songplays" (
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

CREATE TABLE IF NOT EXISTS "dwh"."users" (
  user_id INTEGER NOT NULL,
  first_name VARCHAR(256),
  last_name VARCHAR(256),
  gender VARCHAR(16),
  level VARCHAR(16),
  PRIMARY KEY (user_id)
)
DISTSTYLE ALL
SORTKEY (user_id);

CREATE TABLE IF NOT EXISTS "dwh"."songs" (
  song_id VARCHAR(64) NOT NULL,
  title VARCHAR(1024),
  artist_id VARCHAR(64),
  year INTEGER,
  duration DOUBLE PRECISION,
  PRIMARY KEY (song_id)
)
DISTSTYLE ALL
SORTKEY (song_id);

CREATE TABLE IF NOT EXISTS "dwh"."artists" (
  artist_id VARCHAR(64) NOT NULL,
  name VARCHAR(1024),
  location VARCHAR(512),
  latitude DOUBLE PRECISION,
  longitude DOUBLE PRECISION,
  PRIMARY KEY (artist_id)
)
DISTSTYLE ALL
SORTKEY (artist_id);

CREATE TABLE IF NOT EXISTS "dwh"."time" (
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

CREATE TABLE IF NOT EXISTS "dwh"."etl_runs" (
  run_id BIGINT IDENTITY(1, 1),
  command VARCHAR(32) NOT NULL,
  status VARCHAR(16) NOT NULL,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP,
  host VARCHAR(256),
  pid INTEGER,
  objects_listed INTEGER,
  objects_loaded INTEGER,
  objects_skipped INTEGER,
  objects_failed INTEGER,
  objects_pruned INTEGER,
  records_staged BIGINT,
  records_rejected BIGINT,
  model_mode VARCHAR(16),
  error VARCHAR(4096),
  PRIMARY KEY (run_id)
)
DISTSTYLE ALL;

CREATE TABLE IF NOT EXISTS "dwh"."etl_objects" (
  source_key VARCHAR(1024) NOT NULL,
  dataset VARCHAR(16) NOT NULL,
  fingerprint VARCHAR(256) NOT NULL,
  etag VARCHAR(256),
  size BIGINT,
  last_modified TIMESTAMP,
  format VARCHAR(16),
  rows_staged BIGINT NOT NULL,
  rejects BIGINT NOT NULL,
  loaded_at TIMESTAMP NOT NULL,
  run_id BIGINT,
  PRIMARY KEY (source_key)
)
DISTSTYLE ALL
SORTKEY (source_key);

CREATE TABLE IF NOT EXISTS "dwh"."etl_rejects" (
  reject_id BIGINT IDENTITY(1, 1),
  run_id BIGINT,
  dataset VARCHAR(16) NOT NULL,
  source_key VARCHAR(1024) NOT NULL,
  source_line BIGINT,
  field VARCHAR(128),
  reason VARCHAR(4096) NOT NULL,
  raw_text VARCHAR(65535),
  raw_escaped BOOLEAN NOT NULL,
  raw_truncated BOOLEAN NOT NULL,
  rejected_at TIMESTAMP NOT NULL,
  PRIMARY KEY (reject_id)
)
DISTSTYLE EVEN
SORTKEY (source_key);

CREATE TABLE IF NOT EXISTS "dwh"."etl_dirty_objects" (dataset VARCHAR(16) NOT NULL, source_key VARCHAR(1024) NOT NULL) DISTSTYLE ALL;

CREATE TABLE IF NOT EXISTS "dwh"."etl_dirty_events" (session_id BIGINT, item_in_session INTEGER, user_id VARCHAR(32)) DISTSTYLE KEY DISTKEY (session_id);

CREATE TABLE IF NOT EXISTS "dwh"."etl_dirty_songs" (song_id VARCHAR(64), artist_id VARCHAR(64), title VARCHAR(1024), artist_name VARCHAR(1024), duration DOUBLE PRECISION) DISTSTYLE ALL;

CREATE TABLE IF NOT EXISTS "dwh"."etl_state" (name VARCHAR(64) NOT NULL, value VARCHAR(256) NOT NULL, PRIMARY KEY (name)) DISTSTYLE ALL;

CREATE TABLE IF NOT EXISTS "dwh"."etl_lock" (name VARCHAR(64) NOT NULL, holder VARCHAR(512) NOT NULL, acquired_at TIMESTAMP NOT NULL, heartbeat_at TIMESTAMP NOT NULL, PRIMARY KEY (name)) DISTSTYLE ALL;
