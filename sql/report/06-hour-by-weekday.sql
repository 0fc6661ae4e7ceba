-- When people listen: plays for every (weekday, hour) pair, UTC
-- (weekday 0 = Sunday). Pairs without plays are absent; the report's heat map
-- shows them as 0.
SELECT
  t.weekday,
  t.hour,
  COUNT(*) AS plays
FROM songplays sp
JOIN "time" t ON t.start_time = sp.start_time
GROUP BY t.weekday, t.hour
ORDER BY t.weekday, t.hour;
