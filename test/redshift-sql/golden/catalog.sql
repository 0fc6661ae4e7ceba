SELECT pg_backend_pid() AS pid;

SELECT pg_cancel_backend($1);

SELECT current_schema() AS s;

SELECT has_schema_privilege(s.nspname, 'CREATE') AS can FROM pg_namespace s WHERE s.nspname = $1;

SELECT has_database_privilege(current_database(), 'CREATE') AS can;

SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('etl_objects', 'stg_events', 'songplays');

SELECT c.relname AS table_name, c.relacl AS acl, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
     WHERE c.relkind = 'r' AND c.relname IN ('songplays', 'users', 'songs', 'artists', 'time') AND s.nspname = $1;

SELECT db_collation() AS c;

SELECT 1 FROM sys_load_error_detail WHERE 1 = 0;

SELECT 1 FROM stl_load_errors WHERE 1 = 0;

SELECT TRIM(file_name) AS file, line_number, TRIM(column_name) AS colname, error_code AS err_code, TRIM(error_message) AS err_reason, NULL AS raw_line, NULL AS raw_field_value FROM sys_load_error_detail WHERE session_id = $1 AND start_time >= $2 AND TRIM(file_name) = $3 ORDER BY line_number;

SELECT TRIM(file_name) AS file, line_number, TRIM(column_name) AS colname, error_code AS err_code, TRIM(error_message) AS err_reason, NULL AS raw_line, NULL AS raw_field_value FROM sys_load_error_detail WHERE TRIM(file_name) LIKE $1 ORDER BY start_time DESC, line_number LIMIT 1;

SELECT TRIM(filename) AS file, line_number, TRIM(colname) AS colname, err_code, TRIM(err_reason) AS err_reason, TRIM(raw_line) AS raw_line, TRIM(raw_field_value) AS raw_field_value FROM stl_load_errors WHERE query = $1 ORDER BY line_number;

SELECT TRIM(filename) AS file, line_number, TRIM(colname) AS colname, err_code, TRIM(err_reason) AS err_reason, TRIM(raw_line) AS raw_line, TRIM(raw_field_value) AS raw_field_value FROM stl_load_errors WHERE TRIM(filename) LIKE $1 ORDER BY starttime DESC, line_number LIMIT 1;

SELECT pg_last_copy_count() AS n;
