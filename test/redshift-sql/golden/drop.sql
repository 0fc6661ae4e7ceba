DROP TABLE IF EXISTS "dwh"."songplays";

DROP TABLE IF EXISTS "dwh"."users";

DROP TABLE IF EXISTS "dwh"."songs";

DROP TABLE IF EXISTS "dwh"."artists";

DROP TABLE IF EXISTS "dwh"."time";

DROP TABLE IF EXISTS "dwh"."stg_events";

DROP TABLE IF EXISTS "dwh"."stg_songs";

DROP TABLE IF EXISTS "dwh"."etl_objects";

DROP TABLE IF EXISTS "dwh"."etl_rejects";

DROP TABLE IF EXISTS "dwh"."etl_runs";

DROP TABLE IF EXISTS "dwh"."etl_dirty_objects";

DROP TABLE IF EXISTS "dwh"."etl_dirty_events";

DROP TABLE IF EXISTS "dwh"."etl_dirty_songs";

DROP TABLE IF EXISTS "dwh"."etl_state";
