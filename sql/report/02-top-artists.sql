-- Top artists: the 10 artists with the most plays of their catalogue songs,
-- and how many different songs of theirs were played.
SELECT
  a.artist_id,
  a.name AS artist,
  COUNT(*) AS plays,
  COUNT(DISTINCT sp.song_id) AS songs
FROM songplays sp
JOIN artists a ON a.artist_id = sp.artist_id
GROUP BY a.artist_id, a.name
ORDER BY plays DESC, a.artist_id
LIMIT 10;
