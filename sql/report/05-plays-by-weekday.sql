-- Plays by day of the week (UTC; weekday 0 = Sunday … 6 = Saturday).
SELECT
  t.weekday,
  COUNT(*) AS plays,
  COUNT(DISTINCT sp.user_id) AS users
FROM songplays sp
JOIN "time" t ON t.start_time = sp.start_time
GROUP BY t.weekday
ORDER BY t.weekday;
