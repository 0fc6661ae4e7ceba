-- Free vs paid listening: plays and distinct users per level, where the level
-- is the one the user had at the time of each play. A user who changed level
-- counts under both, so the users do not add up to the number of listeners.
SELECT
  level,
  COUNT(*) AS plays,
  COUNT(DISTINCT user_id) AS users
FROM songplays
GROUP BY level
ORDER BY level;
