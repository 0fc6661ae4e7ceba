-- Plays by hour of day (UTC, 0-23). Hours without plays are absent here;
-- `sparkify report` shows them as 0.
SELECT
  t.hour,
  COUNT(*) AS plays
FROM songplays sp
JOIN "time" t ON t.start_time = sp.start_time
GROUP BY t.hour
ORDER BY t.hour;
