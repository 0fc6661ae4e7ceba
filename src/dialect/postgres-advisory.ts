/**
 * The run lock on Postgres: session-level advisory locks of two int4 keys,
 * and who holds them, read from pg_locks and pg_stat_activity
 * (warehouse/advisory-lock.ts says which keys mean what).
 */
import type { AdvisoryLockSql } from './types.ts';

export const postgresAdvisory: AdvisoryLockSql = {
  kind: 'advisory',
  tryLock: (shared) => `SELECT ${shared ? 'pg_try_advisory_lock_shared' : 'pg_try_advisory_lock'}($1, $2) AS ok`,
  unlockAll: 'SELECT pg_advisory_unlock_all()',
  // Sessions holding the run lock (or, for a run between its locks, a shard lock), with the shard each one loads.
  holders: `WITH mine AS (
       SELECT pid, classid::bigint AS class, objid::bigint AS id FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
     )
     SELECT a.pid, a.application_name, a.client_addr::text AS addr, to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS since,
       (SELECT MIN(id) FROM mine s WHERE s.pid = a.pid AND s.class = $3) AS shard_index,
       (SELECT MIN(id) FROM mine s WHERE s.pid = a.pid AND s.class = $4) AS shard_count
     FROM pg_stat_activity a
     WHERE a.pid <> pg_backend_pid() AND a.pid IN (SELECT pid FROM mine WHERE (class = $1 AND id = $2) OR class = $3)
     ORDER BY shard_index, a.pid`,
};
