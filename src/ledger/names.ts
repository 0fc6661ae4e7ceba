/**
 * The names of the ledger: the bookkeeping tables (etl_*) the loader keeps
 * beside the data, the entries of etl_state, and the sets of tables other
 * modules derive from them. Every statement on these tables is in this
 * folder; the DDL that creates them is the dialects'.
 */
import { STAGING_TABLES, STAR_TABLES, type Dataset, type StarTable } from '../common/datasets.ts';

/** The bookkeeping tables every warehouse has. */
export const LEDGER = {
  /** One row per loaded object: key, version, rows staged, rejects, when, by which run. */
  objects: 'etl_objects',
  /** One row per rejected record (SPEC §3). */
  rejects: 'etl_rejects',
  /** One row per run: started, finished, status, counts. */
  runs: 'etl_runs',
  /** What the load transactions changed since the last model step (model/star-schema.ts reads them). */
  dirtyObjects: 'etl_dirty_objects',
  dirtyEvents: 'etl_dirty_events',
  dirtySongs: 'etl_dirty_songs',
  /** Named values: a pending full build, star table counts, shard folders. */
  state: 'etl_state',
} as const;

/**
 * Postgres only (dialect.usersLatest 'ledger'): each user's latest staged
 * event, by the key that finds its row again (model/star-schema.ts).
 */
export const USER_LATEST_TABLE = 'etl_user_latest';

/**
 * Postgres only (dialect.keptSongMatch): for each (title, artist name,
 * duration) of a current song, the song an event with those values plays
 * (model/star-schema.ts songMatchSelect), kept between runs so that a daily
 * run looks its events' songs up instead of ranking the whole catalogue.
 */
export const SONG_MATCH_TABLE = 'etl_song_match';

/** Redshift only: the run lease (warehouse/lease-lock.ts; Postgres uses advisory locks). */
export const LEASE_TABLE = 'etl_lock';

/** The full build's helper tables (model/full-build.ts): the ledger's prefix keeps them apart from the data. */
export const BUILD_HELPERS = { duplicates: 'etl_build_duplicates', songMatch: 'etl_build_song_match' } as const;

/** The full build's helper of each user's latest event, where the ledger keeps them (USER_LATEST_TABLE). */
export const BUILD_USER_LATEST = 'etl_build_user_latest';

/** The bookkeeping tables in drop order. */
export const LEDGER_TABLES = [LEDGER.objects, LEDGER.rejects, LEDGER.runs, LEDGER.dirtyObjects, LEDGER.dirtyEvents, LEDGER.dirtySongs, LEDGER.state] as const;

/** Every table holding data (the lease holds none), in drop order: the star schema, staging, the ledger. */
export const OWNED_TABLES = [...STAR_TABLES, ...STAGING_TABLES, ...LEDGER_TABLES] as const;

/** The dirty sets, which a model step empties. */
export const DIRTY_TABLES = [LEDGER.dirtyObjects, LEDGER.dirtyEvents, LEDGER.dirtySongs] as const;

/** The dirty set of each data set's changed rows (before a load replaces them). */
export const DIRTY_ROWS: Readonly<Record<Dataset, string>> = { events: LEDGER.dirtyEvents, songs: LEDGER.dirtySongs };

/** The tables a load transaction writes, in the order every load takes them (Redshift locks them: dialect.lockTables). */
export const LOAD_TABLES = [LEDGER.objects, LEDGER.rejects, ...DIRTY_TABLES, ...STAGING_TABLES] as const;

/** The etl_state entry saying the next model step must build everything (a new schema, a full refresh). */
export const FULL_REBUILD_PENDING = 'full_rebuild_pending';

/** The etl_state entry holding a star table's row count (written by the model step). */
export const countKey = (table: StarTable): string => `rows:${table}`;

/** etl_state entries naming a shard's folder of staged parts: `shard-parts 1/3` (stage/shard-parts.ts). */
export const SHARD_PARTS = 'shard-parts ';

/** Columns of the rejects table that a load fills (a COPY of the reject spool, or an INSERT), in order. */
export const REJECT_COLUMNS = ['run_id', 'dataset', 'source_key', 'source_line', 'field', 'reason', 'raw_text', 'raw_escaped', 'raw_truncated', 'rejected_at'] as const;
