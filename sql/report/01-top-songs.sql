-- Top songs: the 10 most played catalogue songs, with their artist.
-- Only songplays whose song matched the song catalogue (title, artist name and
-- duration equal) have a song_id; see 03-top-songs-as-logged.sql for every play.
SELECT
  s.song_id,
  s.title,
  a.name AS artist,
  COUNT(*) AS plays
FROM songplays sp
JOIN songs s ON s.song_id = sp.song_id
LEFT JOIN artists a ON a.artist_id = sp.artist_id
GROUP BY s.song_id, s.title, a.name
ORDER BY plays DESC, s.song_id
LIMIT 10;
