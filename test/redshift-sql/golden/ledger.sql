BEGIN;

LOCK "dwh"."etl_runs";

UPDATE "dwh"."etl_runs" SET status = 'crashed' WHERE status = 'running';

INSERT INTO "dwh"."etl_runs" (command, status, started_at, host, pid) VALUES ($1, 'running', $2, $3, $4);

SELECT MAX(run_id) AS id FROM "dwh"."etl_runs" WHERE status = 'running' AND pid = $1 AND host = $2;

COMMIT;

BEGIN;

LOCK "dwh"."etl_runs";

UPDATE "dwh"."etl_runs" SET status = 'crashed' WHERE status = 'running' AND NOT (command LIKE $1 AND command <> $2);

INSERT INTO "dwh"."etl_runs" (command, status, started_at, host, pid) VALUES ($1, 'running', $2, $3, $4);

SELECT MAX(run_id) AS id FROM "dwh"."etl_runs" WHERE status = 'running' AND pid = $1 AND host = $2;

COMMIT;

BEGIN;

LOCK "dwh"."etl_runs";

UPDATE "dwh"."etl_runs" SET status = $2, finished_at = $3, objects_listed = $4, objects_loaded = $5, objects_skipped = $6, objects_failed = $7,
         objects_pruned = $8, records_staged = $9, records_rejected = $10, model_mode = $11, error = $12 WHERE run_id = $1;

COMMIT;

UPDATE "dwh"."etl_runs" SET status = 'interrupted' WHERE run_id = $1 AND status = 'running';

SELECT run_id, command, status, started_at, finished_at, objects_loaded, objects_skipped, objects_failed, records_staged, records_rejected, model_mode, error
     FROM "dwh"."etl_runs" ORDER BY run_id DESC LIMIT 10;

SELECT source_key, dataset, fingerprint FROM "dwh"."etl_objects" WHERE dataset IN ($1, $2);

SELECT source_key FROM "dwh"."etl_objects" WHERE dataset = $1;

SELECT dataset, source_key, rows_staged, rejects, loaded_at FROM "dwh"."etl_objects";

SELECT COALESCE(SUM(size), 0) AS bytes FROM "dwh"."etl_objects" WHERE dataset = 'events';

SELECT dataset, SUM(rows_staged) AS n FROM "dwh"."etl_objects" GROUP BY dataset;

BEGIN;

LOCK "dwh"."etl_objects", "dwh"."etl_rejects", "dwh"."etl_dirty_objects", "dwh"."etl_dirty_events", "dwh"."etl_dirty_songs", "dwh"."stg_events", "dwh"."stg_songs";

INSERT INTO "dwh"."etl_dirty_songs" (song_id, artist_id, title, artist_name, duration) SELECT song_id, artist_id, title, artist_name, duration FROM "dwh"."stg_songs" WHERE source_key IN ($1);

DELETE FROM "dwh"."stg_songs" WHERE source_key IN ($1);

DELETE FROM "dwh"."etl_rejects" WHERE source_key IN ($1);

DELETE FROM "dwh"."etl_objects" WHERE source_key IN ($1);

DELETE FROM "dwh"."etl_dirty_objects" WHERE source_key IN ($1);

COMMIT;

BEGIN;

LOCK "dwh"."etl_objects", "dwh"."etl_rejects", "dwh"."etl_dirty_objects", "dwh"."etl_dirty_events", "dwh"."etl_dirty_songs", "dwh"."stg_events", "dwh"."stg_songs";

DELETE FROM "dwh"."stg_events";

DELETE FROM "dwh"."etl_dirty_events";

DELETE FROM "dwh"."etl_objects" WHERE dataset = $1;

DELETE FROM "dwh"."etl_rejects" WHERE dataset = $1;

DELETE FROM "dwh"."etl_dirty_objects" WHERE dataset = $1;

DELETE FROM "dwh"."stg_songs";

DELETE FROM "dwh"."etl_dirty_songs";

DELETE FROM "dwh"."etl_objects" WHERE dataset = $1;

DELETE FROM "dwh"."etl_rejects" WHERE dataset = $1;

DELETE FROM "dwh"."etl_dirty_objects" WHERE dataset = $1;

DELETE FROM "dwh"."etl_state" WHERE name = 'full_rebuild_pending';

INSERT INTO "dwh"."etl_state" (name, value) VALUES ('full_rebuild_pending', 'true');

COMMIT;

INSERT INTO "dwh"."etl_state" (name, value) SELECT 'full_rebuild_pending', 'true' WHERE NOT EXISTS (SELECT 1 FROM "dwh"."etl_objects")
      AND NOT EXISTS (SELECT 1 FROM "dwh"."etl_state" WHERE name = 'full_rebuild_pending');

DELETE FROM "dwh"."etl_dirty_objects";

DELETE FROM "dwh"."etl_dirty_events";

DELETE FROM "dwh"."etl_dirty_songs";

DELETE FROM "dwh"."etl_state" WHERE name = 'full_rebuild_pending';

SELECT
       (SELECT COUNT(*) FROM "dwh"."etl_state" WHERE name = 'full_rebuild_pending') AS pending,
       (SELECT COUNT(*) FROM "dwh"."etl_dirty_objects") AS dirty_objects,
       (SELECT COUNT(*) FROM "dwh"."etl_dirty_objects" WHERE dataset = 'songs') AS dirty_song_objects,
       (SELECT COUNT(*) FROM "dwh"."etl_dirty_events") AS dirty_events,
       (SELECT COUNT(*) FROM "dwh"."etl_dirty_songs") AS dirty_songs,
       (SELECT COUNT(*) FROM "dwh"."etl_objects") AS objects,
       (SELECT COALESCE(SUM(rows_staged), 0) FROM "dwh"."etl_objects") AS staged_rows,
       (SELECT COALESCE(SUM(o.rows_staged), 0) FROM "dwh"."etl_objects" o WHERE o.source_key IN (SELECT source_key FROM "dwh"."etl_dirty_objects")) AS dirty_rows;

SELECT (SELECT COUNT(*) FROM "dwh"."etl_dirty_objects") + (SELECT COUNT(*) FROM "dwh"."etl_dirty_events") + (SELECT COUNT(*) FROM "dwh"."etl_dirty_songs") AS dirty,
            (SELECT COUNT(*) FROM "dwh"."etl_state" WHERE name = 'full_rebuild_pending') AS rebuild;

DELETE FROM "dwh"."etl_state" WHERE name IN ('rows:songplays', 'rows:users', 'rows:songs', 'rows:artists', 'rows:time');

INSERT INTO "dwh"."etl_state" (name, value) VALUES ('rows:songplays', '6820'), ('rows:users', '97'), ('rows:songs', '71'), ('rows:artists', '69'), ('rows:time', '6813');

SELECT name, value FROM "dwh"."etl_state" WHERE name IN ('rows:songplays', 'rows:users', 'rows:songs', 'rows:artists', 'rows:time');

SELECT (SELECT COUNT(*) FROM "dwh"."stg_events") AS stg_events, (SELECT COALESCE(SUM(rows_staged), 0) FROM "dwh"."etl_objects" WHERE dataset = 'events') AS stg_events_ledger,
  (SELECT COUNT(*) FROM "dwh"."stg_songs") AS stg_songs, (SELECT COALESCE(SUM(rows_staged), 0) FROM "dwh"."etl_objects" WHERE dataset = 'songs') AS stg_songs_ledger,
  (SELECT COUNT(*) FROM "dwh"."songplays") AS songplays, (SELECT MAX(value) FROM "dwh"."etl_state" WHERE name = 'rows:songplays') AS songplays_ledger,
  (SELECT COUNT(*) FROM "dwh"."users") AS users, (SELECT MAX(value) FROM "dwh"."etl_state" WHERE name = 'rows:users') AS users_ledger,
  (SELECT COUNT(*) FROM "dwh"."songs") AS songs, (SELECT MAX(value) FROM "dwh"."etl_state" WHERE name = 'rows:songs') AS songs_ledger,
  (SELECT COUNT(*) FROM "dwh"."artists") AS artists, (SELECT MAX(value) FROM "dwh"."etl_state" WHERE name = 'rows:artists') AS artists_ledger,
  (SELECT COUNT(*) FROM "dwh"."time") AS time, (SELECT MAX(value) FROM "dwh"."etl_state" WHERE name = 'rows:time') AS time_ledger;

BEGIN;

LOCK "dwh"."etl_state";

SELECT name, value FROM "dwh"."etl_state" WHERE name LIKE $1;

DELETE FROM "dwh"."etl_state" WHERE name IN ($1, $2);

INSERT INTO "dwh"."etl_state" (name, value) VALUES ($1, $2);

COMMIT;

SELECT name, value FROM "dwh"."etl_state" WHERE name LIKE $1 ORDER BY name;

DELETE FROM "dwh"."etl_state" WHERE name IN ($1);

SELECT COUNT(*) AS n FROM "dwh"."etl_rejects" WHERE (source_key = $1 OR POSITION($2 IN source_key) > 0) AND POSITION(LOWER($3) IN LOWER(reason)) > 0;

SELECT reject_id, run_id, dataset, source_key, source_line, field, reason, raw_text, raw_escaped, raw_truncated, rejected_at
     FROM "dwh"."etl_rejects" WHERE (source_key = $1 OR POSITION($2 IN source_key) > 0) AND POSITION(LOWER($3) IN LOWER(reason)) > 0 ORDER BY rejected_at DESC, source_key, source_line LIMIT 20;

SELECT dataset, field, reason, COUNT(*) AS n FROM "dwh"."etl_rejects" GROUP BY dataset, field, reason;

DELETE FROM "dwh"."etl_rejects" WHERE rejected_at < $1;
