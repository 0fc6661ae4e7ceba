-- Average session length in songs: songplays per (user_id, session_id), over
-- every session with at least one play (a session id is only unique per user).
-- One row: sessions, their songplays, the average (2 decimals) and the longest.
SELECT
  COUNT(*) AS sessions,
  SUM(songs) AS songplays,
  ROUND(CAST(SUM(songs) AS NUMERIC(18, 4)) / NULLIF(COUNT(*), 0), 2) AS avg_songs,
  MAX(songs) AS max_songs
FROM (
  SELECT user_id, session_id, COUNT(*) AS songs
  FROM songplays
  GROUP BY user_id, session_id
) s;
