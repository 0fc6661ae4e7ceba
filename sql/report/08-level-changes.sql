-- Users who upgraded or downgraded, in one row of counts.
-- Definition: a user's songplays are ordered by start_time (then session_id,
-- item_in_session); each step from a 'free' play to a 'paid' one is an upgrade,
-- from 'paid' to 'free' a downgrade. A user "changed level" when they have at
-- least one such step, which is the same as their songplays showing both levels;
-- the order only tells the direction. Level changes between songplays (e.g. on
-- the Upgrade page) are seen at the next play.
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
  COUNT(*) AS listeners,
  SUM(CASE WHEN upgrades + downgrades > 0 THEN 1 ELSE 0 END) AS changed,
  SUM(CASE WHEN upgrades > 0 THEN 1 ELSE 0 END) AS upgraded,
  SUM(CASE WHEN downgrades > 0 THEN 1 ELSE 0 END) AS downgraded,
  SUM(upgrades) AS upgrades,
  SUM(downgrades) AS downgrades
FROM per_user;
