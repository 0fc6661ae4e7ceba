/**
 * What differs between warehouses. The model SQL both share is written once
 * (model/star-schema.ts) and asks the dialect only for these pieces.
 */
import type { StarTable } from '../common/datasets.ts';
import type { CarryOver, Queryable, SwapPair } from './carry-over.ts';
import type { TableNames } from './sql.ts';

export type DialectName = 'postgres' | 'redshift';

/** How a build table gets its keys: indexes that may build side by side, then the statements that make them constraints. */
export interface StarKeys {
  indexes: string[];
  constraints: string[];
}

export interface Dialect {
  readonly name: DialectName;
  /** CREATE statements for every table, idempotent (IF NOT EXISTS), in order. */
  createTables(names: TableNames): string[];
  /**
   * Indexes of stg_events (Postgres: by event, latest event per user, by
   * source_key), as idempotent CREATE statements. A bulk load drops those a
   * COPY maintains row by row (dropModelIndexes) and the model step creates them again, which is
   * cheaper than maintaining them row by row during a big COPY. The first is
   * the one by event (session_id, item_in_session). Empty where the
   * warehouse has none.
   */
  modelIndexes(names: TableNames): string[];
  /**
   * The CREATE statements of modelIndexes whose index is missing, and of the ledger tables the
   * incremental model step reads that older versions did not make, read from the catalog (no lock
   * on stg_events when none is). With `songMatch` (songMatchSelect), also those that make the kept
   * song match (keptSongMatch) where it is missing.
   */
  missingModelIndexes(db: Queryable, names: TableNames, songMatch?: string): Promise<string[]>;
  /** Drops the indexes of stg_events that a COPY would maintain row by row (the model step builds them again). */
  dropModelIndexes(names: TableNames): string[];
  /** DROP statements for every table the loader owns. */
  dropTables(names: TableNames): string[];
  /** Empties a table inside a transaction (Redshift's TRUNCATE would commit it). */
  emptyTable(table: string): string;
  /** Expression turning epoch milliseconds (BIGINT) into a UTC TIMESTAMP with ms kept. */
  epochMsToTimestamp(expr: string): string;
  /** INTEGER date part of a TIMESTAMP: hour, day, week (ISO), month, year, dow (0 = Sunday). */
  datePart(part: 'hour' | 'day' | 'week' | 'month' | 'year' | 'dow', expr: string): string;
  /** Expression ordering text by its bytes, the same on every warehouse. */
  byteOrder(expr: string): string;
  /**
   * `expr` is one of the values `subquery` returns, written so that a few
   * values probe an index (Postgres: `= ANY (ARRAY(…))`, which the planner
   * does not size as the subquery's table).
   */
  anyOf(expr: string, subquery: string): string;
  /**
   * `statement` run so that no join in it is a nested loop (Postgres:
   * enable_nestloop off around it, in the transaction), for a join of a few
   * thousand keys meant to go by hash that the planner could otherwise turn
   * into one index probe per key; where no planner does that, the statement.
   */
  withoutNestedLoops(statement: string): string[];
  /** Exact text equality (Redshift ignores trailing spaces in `=`). */
  textEquals(a: string, b: string): string;
  /** `CREATE TEMP TABLE name AS select`, dropped at commit where the warehouse can. */
  createTempTableAs(name: string, select: string): string;
  /** Drops a temp table created by createTempTableAs, where it outlives the transaction. */
  dropTempTable(name: string): string | undefined;
  /** Settings for the model step's transactions (e.g. a larger work_mem); `incremental`: those of a daily run's step, which touches few rows. */
  modelSettings(step?: 'full' | 'incremental'): string[];
  /** Refreshes planner statistics of a (temp) table, or undefined when not needed. */
  analyze(table: string): string | undefined;
  /**
   * How the model step finds each user's latest event (model/star-schema.ts):
   * `window` ranks every staged event of the users it needs (Redshift, whose
   * scans read only the columns they name); `ledger` keeps each user's latest
   * event in etl_user_latest: a full build finds it by each user's greatest
   * ts, and a daily run compares it with the users' new events, reading all
   * the events only of users whose latest event's object was replaced
   * without it or deleted (Postgres: no index over every event to build or
   * keep up).
   */
  readonly usersLatest: 'window' | 'ledger';
  /**
   * Where the ledger keeps the song match between runs (SONG_MATCH_TABLE;
   * Postgres): the full build makes it under the helper's name, with its
   * index, and its swap puts it in place of the kept one; a daily run looks
   * its events' songs up there, and makes again the matches of the triples
   * whose songs it changed. Undefined (Redshift): every model step ranks the
   * whole catalogue into a table of its own.
   */
  readonly keptSongMatch?: {
    /** Makes the table `table` (a bare name) from `select` (songMatchSelect's columns), with its index and statistics. */
    create(names: TableNames, table: string, select: string): string[];
    /** In the swap's transaction: the table `from` (made by create) replaces the kept one. */
    swapIn(names: TableNames, from: string): string[];
  };
  /**
   * A star table created under another name (`as`, a build table of the full
   * build): its columns, NOT NULL and identity, without keys or indexes,
   * which starKeys adds once it is filled.
   */
  createStarTable(names: TableNames, table: StarTable, as: string): string;
  /**
   * Where the warehouse fills a new table fastest by CREATE TABLE … AS: the
   * statement that makes the build table `as` of `table` from `select` (whose
   * columns are the table's STAR_COLUMNS, in order), and those that then give
   * it the columns' NOT NULL and identity createStarTable gives it, knowing
   * the rows it got (its identity goes on after them). With `numbered`,
   * `select` has one more column, last, that holds the identity's values,
   * and its sequence goes on at `numbered.next` (an SQL expression). Undefined:
   * createStarTable, then INSERT … SELECT.
   */
  starTableAs?(names: TableNames, table: StarTable, as: string, select: string, numbered?: { next: string }): { sql: string; next(rows: number): string[] };
  /**
   * Whether the server writes no WAL for a table created and filled in one
   * transaction (Postgres with wal_level minimal, as the embedded one runs):
   * the full build then makes its big tables by starTableAs, one step each,
   * rather than filling premade tables in parts side by side (buildParts).
   */
  newTablesSkipWal?(db: Queryable): Promise<boolean>;
  /** Keys and secondary indexes of a filled build table `as`, named after it (none where keys are declared inline). */
  starKeys(names: TableNames, table: StarTable, as: string): StarKeys;
  /**
   * After the live `table` was dropped, gives the build table `from` the
   * live table's name, and its indexes, constraints and sequences theirs.
   */
  renameBuildTable(names: TableNames, table: StarTable, from: string): string[];
  /** `CREATE TABLE name AS select` for an intermediate result the build's sessions share (unlogged where possible). */
  helperTableAs(name: string, select: string): string;
  /**
   * Takes the live star tables before a swap. Where the warehouse can, the
   * statements fail fast (SQLSTATE 55P03, or 57014 when the wait for all the
   * tables together ran out) instead of queueing analysts' reads behind them;
   * the caller retries.
   */
  lockForSwap(tables: readonly string[]): string[];
  /**
   * Who holds any of `tables` (names as TableNames.t writes them, the query's $1): one row per
   * session (pid, backend_type, usename, application_name, state, open_s: seconds its transaction
   * has been open), for the log when a swap finds them busy. No query text: it may hold literals.
   */
  readonly lockHoldersSql?: string;
  /**
   * Cancels the autovacuum workers that hold any of `tables` ($1, as in lockHoldersSql), returning
   * one row per worker (pid, relname, cancelled): a swap drops those tables, so their vacuum is
   * wasted, and the server yields autovacuum to a lock request only after deadlock_timeout (1 s by
   * default), longer than a swap waits. Needs the right to signal them (a superuser).
   */
  readonly cancelAutovacuumSql?: string;
  /**
   * First statements of a transaction that writes tables other loads write
   * at the same time (a load unit, the ledger's runs and state, which shards
   * write side by side): Redshift locks `tables` (qualified names, always
   * given in the same order) so those writers queue instead of failing each
   * other with error 1023; empty on Postgres, whose row locks suffice.
   */
  lockTables(tables: readonly string[]): string[];
  /**
   * Statements run outside any transaction after a run staged rows into
   * `tables` (Redshift: ANALYZE, since its COPYs run with STATUPDATE OFF);
   * empty where the warehouse keeps statistics itself.
   */
  afterStaging(names: TableNames, tables: readonly string[]): string[];
  /**
   * During a bulk load, after events objects committed: statements (in one transaction of their
   * own, a lock wait bounded) that do part of prepareStagingForBuild's work on the pages
   * staged so far, so that the build finds it mostly done (Postgres: the BRIN summaries of the page
   * ranges no COPY writes any more; stage/upkeep.ts). Empty: nothing to do early.
   */
  bulkUpkeep(names: TableNames): string[];
  /** Before a full build: statements outside any transaction (VACUUM), then in one (light statistics); `beside`: statements a free session runs beside the build once those are done (Postgres: the BRIN summaries of new pages). */
  prepareStagingForBuild(names: TableNames): { outside: string[]; inside: string[]; beside: string[] };
  /** Statements run outside any transaction after a full build swapped in (`inPlace`: tables reloaded by DELETE + INSERT). */
  afterFullBuild(names: TableNames, inPlace: readonly StarTable[]): string[];
  /** Sessions a full build may use at once (steps that do not depend on each other run side by side). */
  readonly buildSessions: number;
  /**
   * Where a full build's big steps can be cut into parts that sessions fill
   * side by side: songplays by ranges of stg_events' pages (`pagesSql` reads
   * its size as `pages`; `pageRange` filters the scan `alias` to part `i` of
   * `parts`, and the parts cover the table whatever `pages` says), and the
   * time table by a hash of the timestamp `expr` (`timestampPart`).
   */
  readonly buildParts?: {
    pagesSql(names: TableNames): string;
    pageRange(alias: string, i: number, parts: number, pages: number): string;
    timestampPart(expr: string, i: number, parts: number): string;
  };
  /** What swapping each build table in for its live table must carry over (grants…), read from the catalog; see carry-over.ts. */
  carryOver(db: Queryable, names: TableNames, pairs: readonly SwapPair[]): Promise<Map<StarTable, CarryOver>>;
  /** SELECT of the ACLs and owners of `tables` as text (`table_name`, `acl`, `owner` columns); binds the configured schema ($1), if any. */
  aclSql(names: TableNames, tables: readonly string[]): string;
  /** Privilege letters of an ACL item (aclitem text) and their GRANT names; a letter missing here makes a swap keep the table in place. */
  readonly aclPrivileges: Readonly<Record<string, string>>;
  /** A text expression to PARTITION BY, GROUP BY or DISTINCT on that keeps 'x' and 'x ' apart (Redshift ignores trailing blanks). */
  exactKey(expr: string): string;
  /** Parameter placeholder for the i-th (1-based) bind value. */
  param(i: number): string;
  /** Token written for NULL in staged CSV. */
  readonly csvNull: string;
  /** Whether primary and unique keys are enforced (Postgres) or informational (Redshift). */
  readonly enforcesKeys: boolean;
  /** Whether string widths are enforced at validation (VARCHAR(n) in bytes). */
  readonly enforcesWidths: boolean;
  /** Largest raw text kept with a reject, in bytes of UTF-8. */
  readonly rawMaxBytes: number;
  /**
   * Keys the warehouse guarantees, as `table(col,col)`: unique indexes whose
   * columns are all NOT NULL, read from the catalog (Postgres); none where
   * keys are informational (Redshift), whose checks count them instead.
   */
  enforcedKeys(db: Queryable, names: TableNames): Promise<Set<string>>;
  /** The statements of the run lock (warehouse/lock.ts): session advisory locks, or a lease table where there are none. */
  readonly runLock: AdvisoryLockSql | LeaseSql;
  /** The connection's lock_timeout (ms) bounding lock waits by --timeout; undefined where the warehouse has no such setting. */
  lockTimeoutMs(timeoutSeconds: number): number | undefined;
  /** Whether the database compares every string case-insensitively (such a database is refused: the loader's rules are case-exact). */
  caseInsensitive(db: Queryable): Promise<boolean>;
  /**
   * Explaining failures (warehouse/explain.ts), where the warehouse can say
   * more than its error did: the session holding a lock a wait timed out on
   * (binds the schema or NULL, then the table to prefer), and the table a
   * data file (tablespace oid, file node) belongs to.
   */
  readonly diagnostics?: { lockHolderSql: string; fileRelationSql: string };
}

/** The run lock as session-level advisory locks of two int4 keys (Postgres). */
export interface AdvisoryLockSql {
  readonly kind: 'advisory';
  /** `SELECT … AS ok` trying one lock ($1, $2), shared or exclusive. */
  tryLock(shared: boolean): string;
  readonly unlockAll: string;
  /**
   * The sessions holding the run lock or a shard lock, with the shard each
   * loads: binds the run lock's two keys, then the shard and count classes.
   */
  readonly holders: string;
}

/** The run lock as one lease row per holder in a table, under an explicit LOCK of it (Redshift). Every statement takes the qualified table. */
export interface LeaseSql {
  readonly kind: 'lease';
  createTable(table: string): string;
  lock(table: string): string;
  /** Every lease, with the warehouse's time now (`name, holder, heartbeat_at, acquired_at, now`). */
  read(table: string): string;
  /** Removes the leases named $1…$count. */
  remove(table: string, count: number): string;
  /** Takes the lease: name $1, holder $2. */
  take(table: string): string;
  /** Renews the lease named $1 if holder $2 still holds it. */
  renew(table: string): string;
  /** Gives the lease named $1 up if holder $2 still holds it. */
  release(table: string): string;
}
