-- Daily active users: distinct users with at least one play on each UTC day,
-- and that day's plays. Days without plays are absent here; the report's line
-- shows them as 0.
SELECT
  TO_CHAR(start_time, 'YYYY-MM-DD') AS day,
  COUNT(DISTINCT user_id) AS users,
  COUNT(*) AS plays
FROM songplays
GROUP BY TO_CHAR(start_time, 'YYYY-MM-DD')
ORDER BY day;
