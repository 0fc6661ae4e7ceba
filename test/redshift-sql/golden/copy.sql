COPY "dwh"."stg_events" (artist, auth, first_name, gender, item_in_session, last_name, length, level, location, method, page, registration, session_id, song, status, ts, user_agent, user_id, source_key, source_line)
FROM 's3://staging/sparkify-run-1-ab/u1/rows.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS CSV GZIP MANIFEST
MAXERROR 0
COMPUPDATE OFF STATUPDATE OFF;

COPY "dwh"."etl_rejects" (run_id, dataset, source_key, source_line, field, reason, raw_text, raw_escaped, raw_truncated, rejected_at)
FROM 's3://staging/sparkify-run-1-ab/u1/rejects.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS CSV GZIP MANIFEST
MAXERROR 0
COMPUPDATE OFF STATUPDATE OFF
REGION 'us-west-2';

COPY tmp_direct_events (artist, auth, first_name, gender, item_in_session, last_name, length, level, location, method, page, registration, session_id, song, status, ts, user_agent, user_id)
FROM 's3://staging/sparkify-run-1-ab/d1/source-0.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 's3://udacity-dend/log_json_path.json' MANIFEST
TIMEFORMAT 'epochmillisecs'
MAXERROR 100000
COMPUPDATE OFF STATUPDATE OFF;

COPY tmp_direct_songs (num_songs, artist_id, artist_latitude, artist_longitude, artist_location, artist_name, song_id, title, duration, year)
FROM 's3://staging/sparkify-run-1-ab/d1/source-1.manifest'
IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'
FORMAT AS JSON 'auto' MANIFEST
TIMEFORMAT 'epochmillisecs'
MAXERROR 100000
COMPUPDATE OFF STATUPDATE OFF;
