-- Overview: how much listening the star schema holds.
-- One row: songplays, distinct listeners among them, rows of the user, song and
-- artist dimensions, songplays matched to a catalogue song, and the first and
-- last play (UTC).
SELECT
  COUNT(*) AS songplays,
  COUNT(DISTINCT user_id) AS listeners,
  (SELECT COUNT(*) FROM users) AS users,
  (SELECT COUNT(*) FROM songs) AS songs,
  (SELECT COUNT(*) FROM artists) AS artists,
  SUM(CASE WHEN song_id IS NOT NULL THEN 1 ELSE 0 END) AS matched_songplays,
  TO_CHAR(MIN(start_time), 'YYYY-MM-DD HH24:MI:SS') AS first_play,
  TO_CHAR(MAX(start_time), 'YYYY-MM-DD HH24:MI:SS') AS last_play
FROM songplays;
