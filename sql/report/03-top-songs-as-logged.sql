-- Top songs as the app logged them: the 10 most played (title, artist) pairs
-- of the event log, whether or not the song is in the song catalogue.
-- songplays keeps a song_id only for plays that match the catalogue exactly, and
-- the catalogue is a subset of the Million Song Dataset, so most plays have none;
-- this query reads the titles from staging instead.
-- A play is a NextSong event of a logged-in user (as for songplays); an event
-- delivered in two objects counts once. (If its copies differed in song or
-- artist it would count under each; songplays keeps only the winning copy.)
SELECT
  song AS title,
  artist,
  COUNT(*) AS plays
FROM (
  SELECT DISTINCT session_id, item_in_session, song, artist
  FROM stg_events
  WHERE page = 'NextSong' AND user_id <> ''
) e
GROUP BY song, artist
ORDER BY plays DESC, title, artist
LIMIT 10;
