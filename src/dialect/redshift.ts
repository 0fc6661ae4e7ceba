/**
 * Amazon Redshift. What differs from Postgres, and why (sources in
 * ../shared/REDSHIFT-FACTS.md):
 *
 * - No indexes; distribution and sort keys instead, chosen per table (README
 *   "Running on Redshift" explains each choice).
 * - `TEXT` would silently be VARCHAR(256): every string column gets an
 *   explicit width in bytes, the same widths validation enforces (§5, §9).
 * - Keys are informational only; NOT NULL is enforced.
 * - TRUNCATE commits the open transaction, so tables are emptied with DELETE (§4).
 * - Comparisons ignore trailing blanks, in `=`, IN, joins, GROUP BY,
 *   PARTITION BY, DISTINCT and ORDER BY alike: exact equality, keys and
 *   orders compare the strings with a sentinel appended (§5).
 * - Text compares by bytes in a default (case-sensitive) database: no COLLATE needed.
 * - CSV cannot tell NULL from '' without a marker: NULL is written `\N`, COPY's
 *   default null string, so no COPY has to spell it (§1).
 * - String literals take backslash escapes (PostgreSQL 8.0's lexer): they are
 *   quoted with quoteRedshiftLiteral.
 */
import { EVENT_FIELDS, SONG_FIELDS, SOURCE_KEY_MAX_BYTES, STAR_TABLES, type Field, type StarTable } from '../common/datasets.ts';
import { carryGrants } from './carry-over.ts';
import { LEASE_TABLE, OWNED_TABLES } from '../ledger/names.ts';
import { redshiftLease } from './redshift-lease.ts';
import { quoteIdent, quoteRedshiftLiteral, type TableNames } from './sql.ts';
import type { Dialect } from './types.ts';
import { columnDefinition, NULL_MARKER } from './redshift-staging.ts';

const width = (fields: readonly Field[], column: string) => fields.find((f) => f.column === column)!.maxBytes!;

function stagingColumns(fields: readonly Field[]): string {
  return [...fields.map(columnDefinition), `source_key VARCHAR(${SOURCE_KEY_MAX_BYTES}) NOT NULL`, 'source_line BIGINT NOT NULL'].join(',\n  ');
}

const E = (c: string) => width(EVENT_FIELDS, c);
const S = (c: string) => width(SONG_FIELDS, c);

/**
 * DDL of each star table, created as `t` (the live name or a build table's).
 * Keys are informational on Redshift, so they are declared inline either way.
 */
const STAR_DDL: Record<StarTable, (t: string) => string> = {
  songplays: (t) => `CREATE TABLE ${t} (
  songplay_id BIGINT IDENTITY(1, 1),
  start_time TIMESTAMP NOT NULL,
  user_id INTEGER NOT NULL,
  level VARCHAR(${E('level')}),
  song_id VARCHAR(${S('song_id')}),
  artist_id VARCHAR(${S('artist_id')}),
  session_id BIGINT NOT NULL,
  item_in_session INTEGER NOT NULL,
  location VARCHAR(${E('location')}),
  user_agent VARCHAR(${E('user_agent')}),
  PRIMARY KEY (songplay_id),
  UNIQUE (session_id, item_in_session)
)
DISTSTYLE KEY DISTKEY (user_id)
COMPOUND SORTKEY (start_time)`,
  users: (t) => `CREATE TABLE ${t} (
  user_id INTEGER NOT NULL,
  first_name VARCHAR(${E('first_name')}),
  last_name VARCHAR(${E('last_name')}),
  gender VARCHAR(${E('gender')}),
  level VARCHAR(${E('level')}),
  PRIMARY KEY (user_id)
)
DISTSTYLE ALL
SORTKEY (user_id)`,
  songs: (t) => `CREATE TABLE ${t} (
  song_id VARCHAR(${S('song_id')}) NOT NULL,
  title VARCHAR(${S('title')}),
  artist_id VARCHAR(${S('artist_id')}),
  year INTEGER,
  duration DOUBLE PRECISION,
  PRIMARY KEY (song_id)
)
DISTSTYLE ALL
SORTKEY (song_id)`,
  artists: (t) => `CREATE TABLE ${t} (
  artist_id VARCHAR(${S('artist_id')}) NOT NULL,
  name VARCHAR(${S('artist_name')}),
  location VARCHAR(${S('artist_location')}),
  latitude DOUBLE PRECISION,
  longitude DOUBLE PRECISION,
  PRIMARY KEY (artist_id)
)
DISTSTYLE ALL
SORTKEY (artist_id)`,
  // One row per distinct millisecond of play: as large as the fact table,
  // so it is distributed on its key instead of copied to every node.
  time: (t) => `CREATE TABLE ${t} (
  start_time TIMESTAMP NOT NULL,
  hour INTEGER NOT NULL,
  day INTEGER NOT NULL,
  week INTEGER NOT NULL,
  month INTEGER NOT NULL,
  year INTEGER NOT NULL,
  weekday INTEGER NOT NULL,
  PRIMARY KEY (start_time)
)
DISTSTYLE KEY DISTKEY (start_time)
SORTKEY (start_time)`,
};

function starTable(n: TableNames, table: StarTable, as: string, live: boolean): string {
  return STAR_DDL[table](n.t(as)).replace(/^CREATE TABLE /, live ? 'CREATE TABLE IF NOT EXISTS ' : 'CREATE TABLE ');
}

/** Largest VARCHAR (bytes). */
export const VARCHAR_MAX = 65535;

export const redshift: Dialect = {
  name: 'redshift',
  csvNull: NULL_MARKER,
  enforcesKeys: false,
  enforcesWidths: true,
  rawMaxBytes: VARCHAR_MAX,

  createTables(n: TableNames): string[] {
    return [
      ...(n.schema ? [`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(n.schema)}`] : []),
      // Events are distributed on session_id: the winner of each (session_id,
      // item_in_session) is picked without moving rows; sorted by source_key,
      // which every delete and incremental scan filters on.
      `CREATE TABLE IF NOT EXISTS ${n.t('stg_events')} (\n  ${stagingColumns(EVENT_FIELDS)}\n)\nDISTSTYLE KEY DISTKEY (session_id)\nSORTKEY (source_key)`,
      // The song catalogue is small and joined to every event: a copy on every node.
      `CREATE TABLE IF NOT EXISTS ${n.t('stg_songs')} (\n  ${stagingColumns(SONG_FIELDS)}\n)\nDISTSTYLE ALL\nSORTKEY (source_key)`,
      ...STAR_TABLES.map((t) => starTable(n, t, t, true)),
      ...bookkeeping(n),
    ];
  },

  createStarTable: (n, table, as) => starTable(n, table, as, false),
  starKeys: () => ({ indexes: [], constraints: [] }),
  renameBuildTable: (n, table, from) => [`ALTER TABLE ${n.t(from)} RENAME TO ${quoteIdent(table)}`],
  helperTableAs: (name, select) => `CREATE TABLE ${name} AS ${select}`,
  // LOCK waits for readers (Redshift has no lock_timeout); the swap holds it for milliseconds.
  lockForSwap: (tables) => [`LOCK ${tables.join(', ')}`],
  prepareStagingForBuild: () => ({ outside: [], inside: [], beside: [] }),
  // Two transactions that read and write the same tables conflict (error 1023); taking the
  // tables first, in one order, makes the second wait instead [DG:c_serial_isolation, DG:r_LOCK].
  // COPY runs with STATUPDATE OFF (by default it refreshes statistics only of an empty table, and
  // ON needs the owner): the staging tables are analyzed once per run instead [DG:copy-parameters-data-load, DG:r_ANALYZE].
  afterStaging: (n, tables) => tables.map((t) => `ANALYZE ${n.t(t)}`),
  bulkUpkeep: () => [],
  lockTables: (tables) => [`LOCK ${tables.join(', ')}`],
  // VACUUM and ANALYZE cannot run in a transaction. Swapped-in tables have no
  // deleted rows; tables reloaded in place do.
  afterFullBuild: (n, inPlace) => [...inPlace.map((t) => `VACUUM DELETE ONLY ${n.t(t)}`), ...STAR_TABLES.map((t) => `ANALYZE ${n.t(t)}`)],
  // One session: concurrent statements of one load queue for the same slots.
  buildSessions: 1,
  carryOver(db, n, pairs) {
    return carryGrants(db, this, n, pairs);
  },
  aclSql: (n, tables) =>
    `SELECT c.relname AS table_name, c.relacl AS acl, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
     WHERE c.relkind = 'r' AND c.relname IN (${tables.map(quoteRedshiftLiteral).join(', ')}) AND s.nspname = ${n.schema ? '$1' : 'current_schema()'}`,
  // The letters Redshift documents for tables that a GRANT can give back; any other keeps the table in place.
  aclPrivileges: { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE', x: 'REFERENCES' },
  // Comparisons ignore trailing blanks, also in PARTITION BY, GROUP BY and DISTINCT: a sentinel keeps them.
  exactKey: (expr) => `(${expr} || '|')`,
  // No indexes on Redshift: sort keys and zone maps do that job.
  modelIndexes: () => [],
  missingModelIndexes: async () => [],
  dropModelIndexes: () => [],
  // The lease table holds the lease of the command that is resetting: it stays (it holds no data).
  dropTables: (n) => OWNED_TABLES.map((t) => `DROP TABLE IF EXISTS ${n.t(t)}`),
  emptyTable: (table) => `DELETE FROM ${table}`,
  // The documented idiom; ts / 1000.0 keeps the milliseconds (INT8 / INT8 would truncate).
  epochMsToTimestamp: (expr) => `(TIMESTAMP 'epoch' + ${expr} / 1000.0 * INTERVAL '1 second')`,
  // DATE_PART(week, …) is documented as ISO-8601; dow counts from Sunday = 0.
  datePart: (part, expr) => `CAST(DATE_PART('${part}', ${expr}) AS INTEGER)`,
  // ORDER BY ignores trailing blanks too ('x' and 'x ' tie): a sentinel below every character
  // the loader stores (U+0000 never is) puts the shorter first, as byte order does.
  byteOrder: (expr) => `(${expr} || CHR(1))`,
  textEquals: (a, b) => `(${a} = ${b} AND ${a} || '|' = ${b} || '|')`,
  anyOf: (expr, subquery) => `${expr} IN (${subquery})`,
  withoutNestedLoops: (statement) => [statement],
  createTempTableAs: (name, select) => `CREATE TEMP TABLE ${name} AS ${select}`,
  dropTempTable: (name) => `DROP TABLE IF EXISTS ${name}`,
  analyze: () => undefined,
  modelSettings: () => [],
  param: (i) => `$${i}`,
  // Keys are informational: the checks count them.
  enforcedKeys: async () => new Set(),
  runLock: redshiftLease,
  // lock_timeout is no Redshift setting (REDSHIFT-FACTS §8).
  lockTimeoutMs: () => undefined,
  // A database created COLLATE CASE_INSENSITIVE compares every string that way [DG:r_CREATE_DATABASE, DG:r_DB_COLLATION].
  async caseInsensitive(db) {
    let collation: unknown;
    try {
      collation = (await db.query('SELECT db_collation() AS c')).rows[0]?.c;
    } catch {
      // Clusters from before database collations have no DB_COLLATION(): case-sensitive.
      return false;
    }
    return String(collation).trim().toLowerCase() === 'case_insensitive';
  },
  usersLatest: 'window',
};

function bookkeeping(n: TableNames): string[] {
  const key = `VARCHAR(${SOURCE_KEY_MAX_BYTES})`;
  return [
    `CREATE TABLE IF NOT EXISTS ${n.t('etl_runs')} (
  run_id BIGINT IDENTITY(1, 1),
  command VARCHAR(32) NOT NULL,
  status VARCHAR(16) NOT NULL,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP,
  host VARCHAR(256),
  pid INTEGER,
  objects_listed INTEGER,
  objects_loaded INTEGER,
  objects_skipped INTEGER,
  objects_failed INTEGER,
  objects_pruned INTEGER,
  records_staged BIGINT,
  records_rejected BIGINT,
  model_mode VARCHAR(16),
  error VARCHAR(4096),
  PRIMARY KEY (run_id)
)
DISTSTYLE ALL`,
    `CREATE TABLE IF NOT EXISTS ${n.t('etl_objects')} (
  source_key ${key} NOT NULL,
  dataset VARCHAR(16) NOT NULL,
  fingerprint VARCHAR(256) NOT NULL,
  etag VARCHAR(256),
  size BIGINT,
  last_modified TIMESTAMP,
  format VARCHAR(16),
  rows_staged BIGINT NOT NULL,
  rejects BIGINT NOT NULL,
  loaded_at TIMESTAMP NOT NULL,
  run_id BIGINT,
  PRIMARY KEY (source_key)
)
DISTSTYLE ALL
SORTKEY (source_key)`,
    `CREATE TABLE IF NOT EXISTS ${n.t('etl_rejects')} (
  reject_id BIGINT IDENTITY(1, 1),
  run_id BIGINT,
  dataset VARCHAR(16) NOT NULL,
  source_key ${key} NOT NULL,
  source_line BIGINT,
  field VARCHAR(128),
  reason VARCHAR(4096) NOT NULL,
  raw_text VARCHAR(${VARCHAR_MAX}),
  raw_escaped BOOLEAN NOT NULL,
  raw_truncated BOOLEAN NOT NULL,
  rejected_at TIMESTAMP NOT NULL,
  PRIMARY KEY (reject_id)
)
DISTSTYLE EVEN
SORTKEY (source_key)`,
    `CREATE TABLE IF NOT EXISTS ${n.t('etl_dirty_objects')} (dataset VARCHAR(16) NOT NULL, source_key ${key} NOT NULL) DISTSTYLE ALL`,
    `CREATE TABLE IF NOT EXISTS ${n.t('etl_dirty_events')} (session_id BIGINT, item_in_session INTEGER, user_id VARCHAR(${E('user_id')})) DISTSTYLE KEY DISTKEY (session_id)`,
    `CREATE TABLE IF NOT EXISTS ${n.t('etl_dirty_songs')} (song_id VARCHAR(${S('song_id')}), artist_id VARCHAR(${S('artist_id')}), title VARCHAR(${S('title')}), artist_name VARCHAR(${S('artist_name')}), duration DOUBLE PRECISION) DISTSTYLE ALL`,
    `CREATE TABLE IF NOT EXISTS ${n.t('etl_state')} (name VARCHAR(64) NOT NULL, value VARCHAR(256) NOT NULL, PRIMARY KEY (name)) DISTSTYLE ALL`,
    redshiftLease.createTable(n.t(LEASE_TABLE)),
  ];
}
