CREATE TABLE IF NOT EXISTS "dwh"."etl_lock" (name VARCHAR(64) NOT NULL, holder VARCHAR(512) NOT NULL, acquired_at TIMESTAMP NOT NULL, heartbeat_at TIMESTAMP NOT NULL, PRIMARY KEY (name)) DISTSTYLE ALL;

LOCK "dwh"."etl_lock";

SELECT name, holder, heartbeat_at, acquired_at, GETDATE() AS now FROM "dwh"."etl_lock";

DELETE FROM "dwh"."etl_lock" WHERE name IN ($1, $2);

INSERT INTO "dwh"."etl_lock" (name, holder, acquired_at, heartbeat_at) VALUES ($1, $2, GETDATE(), GETDATE());

UPDATE "dwh"."etl_lock" SET heartbeat_at = GETDATE() WHERE name = $1 AND holder = $2;

DELETE FROM "dwh"."etl_lock" WHERE name = $1 AND holder = $2;
