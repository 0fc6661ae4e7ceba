LOCK "dwh"."etl_objects", "dwh"."etl_rejects", "dwh"."etl_dirty_objects", "dwh"."etl_dirty_events", "dwh"."etl_dirty_songs", "dwh"."stg_events", "dwh"."stg_songs";

ANALYZE "dwh"."stg_events";

ANALYZE "dwh"."stg_songs";

INSERT INTO "dwh"."etl_dirty_events" (session_id, item_in_session, user_id) SELECT session_id, item_in_session, user_id FROM "dwh"."stg_events" WHERE source_key IN ($1);

DELETE FROM "dwh"."stg_events" WHERE source_key IN ($1);

DELETE FROM "dwh"."etl_rejects" WHERE source_key IN ($1);

DELETE FROM "dwh"."etl_objects" WHERE source_key IN ($1);

DELETE FROM "dwh"."etl_dirty_objects" WHERE source_key IN ($1);

INSERT INTO "dwh"."etl_dirty_songs" (song_id, artist_id, title, artist_name, duration) SELECT song_id, artist_id, title, artist_name, duration FROM "dwh"."stg_songs" WHERE source_key IN ($1);

DELETE FROM "dwh"."stg_songs" WHERE source_key IN ($1);

DELETE FROM "dwh"."etl_rejects" WHERE source_key IN ($1);

DELETE FROM "dwh"."etl_objects" WHERE source_key IN ($1);

DELETE FROM "dwh"."etl_dirty_objects" WHERE source_key IN ($1);

INSERT INTO "dwh"."etl_objects" (source_key, dataset, fingerprint, etag, size, last_modified, format, rows_staged, rejects, loaded_at, run_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

INSERT INTO "dwh"."etl_dirty_objects" (dataset, source_key) VALUES ($1, $2);
