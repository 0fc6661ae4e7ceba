-- Plays per user agent string. SQL cannot tell a browser from a user agent
-- reliably, so `sparkify report` parses each distinct agent with a maintained
-- parser (bowser) and adds up the plays per browser, operating system and
-- device type. Run as-is, this lists the raw agents, most plays first.
SELECT
  user_agent,
  COUNT(*) AS plays
FROM songplays
GROUP BY user_agent
ORDER BY plays DESC, user_agent;
