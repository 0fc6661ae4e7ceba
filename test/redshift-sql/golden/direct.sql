SELECT pg_backend_pid() AS pid, SYSDATE AS since;

DROP TABLE IF EXISTS tmp_direct_events;

CREATE TEMP TABLE tmp_direct_events (artist VARCHAR(1024), auth VARCHAR(64), first_name VARCHAR(256), gender VARCHAR(16), item_in_session INTEGER NOT NULL, last_name VARCHAR(256), length DOUBLE PRECISION, level VARCHAR(16), location VARCHAR(512), method VARCHAR(16), page VARCHAR(64) NOT NULL, registration BIGINT, session_id BIGINT NOT NULL, song VARCHAR(1024), status INTEGER, ts BIGINT NOT NULL, user_agent VARCHAR(1024), user_id VARCHAR(32));

SELECT pg_last_copy_id() AS id;

SELECT CASE WHEN (tmp_direct_events.ts < -62135596800000 OR tmp_direct_events.ts > 253402300799999) THEN 0 WHEN (tmp_direct_events.user_id <> '' AND (tmp_direct_events.user_id !~ '^[0-9]+$' OR LENGTH(LTRIM(tmp_direct_events.user_id, '0')) > 10 OR (LENGTH(LTRIM(tmp_direct_events.user_id, '0')) = 10 AND LTRIM(tmp_direct_events.user_id, '0') > '2147483647'))) THEN 1 END AS problem, ts, session_id, item_in_session, user_id FROM tmp_direct_events WHERE (tmp_direct_events.ts < -62135596800000 OR tmp_direct_events.ts > 253402300799999) OR (tmp_direct_events.user_id <> '' AND (tmp_direct_events.user_id !~ '^[0-9]+$' OR LENGTH(LTRIM(tmp_direct_events.user_id, '0')) > 10 OR (LENGTH(LTRIM(tmp_direct_events.user_id, '0')) = 10 AND LTRIM(tmp_direct_events.user_id, '0') > '2147483647')));

DELETE FROM tmp_direct_events WHERE (tmp_direct_events.ts < -62135596800000 OR tmp_direct_events.ts > 253402300799999) OR (tmp_direct_events.user_id <> '' AND (tmp_direct_events.user_id !~ '^[0-9]+$' OR LENGTH(LTRIM(tmp_direct_events.user_id, '0')) > 10 OR (LENGTH(LTRIM(tmp_direct_events.user_id, '0')) = 10 AND LTRIM(tmp_direct_events.user_id, '0') > '2147483647')));

SELECT COUNT(*) AS n FROM tmp_direct_events;

INSERT INTO "dwh"."stg_events" (artist, auth, first_name, gender, item_in_session, last_name, length, level, location, method, page, registration, session_id, song, status, ts, user_agent, user_id, source_key, source_line) SELECT artist, auth, first_name, gender, item_in_session, last_name, length, level, location, method, page, registration, session_id, song, status, ts, user_agent, user_id, $1, 0 FROM tmp_direct_events;

DELETE FROM tmp_direct_events;

DROP TABLE tmp_direct_events;

INSERT INTO "dwh"."etl_rejects" (run_id, dataset, source_key, source_line, field, reason, raw_text, raw_escaped, raw_truncated, rejected_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);
