-- Busiest locations: the 10 locations with the most plays, and their listeners.
SELECT
  location,
  COUNT(*) AS plays,
  COUNT(DISTINCT user_id) AS users
FROM songplays
WHERE location IS NOT NULL AND location <> ''
GROUP BY location
ORDER BY plays DESC, location
LIMIT 10;
