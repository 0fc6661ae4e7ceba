-- The users who changed level (definition in 08-level-changes.sql): up to 20,
-- most changes first, with their upgrades, downgrades and current level.
WITH steps AS (
  SELECT
    user_id,
    level,
    LAG(level) OVER (PARTITION BY user_id ORDER BY start_time, session_id, item_in_session) AS previous_level
  FROM songplays
),
per_user AS (
  SELECT
    user_id,
    SUM(CASE WHEN previous_level = 'free' AND level = 'paid' THEN 1 ELSE 0 END) AS upgrades,
    SUM(CASE WHEN previous_level = 'paid' AND level = 'free' THEN 1 ELSE 0 END) AS downgrades
  FROM steps
  GROUP BY user_id
)
SELECT
  p.user_id,
  u.first_name,
  u.last_name,
  p.upgrades,
  p.downgrades,
  u.level AS current_level
FROM per_user p
LEFT JOIN users u ON u.user_id = p.user_id
WHERE p.upgrades + p.downgrades > 0
ORDER BY p.upgrades + p.downgrades DESC, p.user_id
LIMIT 20;
