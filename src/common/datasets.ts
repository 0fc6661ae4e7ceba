/**
 * The two source data sets and their staging columns, in the order of
 * SPEC §4 (which is also the order of Redshift's `log_json_path.json`). The
 * validator, the CSV encoder, the DDL and the COPY column lists all read this
 * one table.
 */

export type Dataset = 'events' | 'songs';

export type FieldKind = 'string' | 'int32' | 'int64' | 'number' | 'user_id';

export interface Field {
  /** Key in the source JSON. */
  json: string;
  /** Staging column. */
  column: string;
  kind: FieldKind;
  required: boolean;
  /** Declared VARCHAR width in bytes where a warehouse enforces one (Redshift). */
  maxBytes?: number;
  /** Bounds an integer must lie within, beyond its type's, and what they mean (for the reject reason). */
  range?: { min: number; max: number; meaning: string };
}

/**
 * `ts` bounds (SPEC §3): 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z
 * in ms since 1970, so that every event can become a `start_time` on both
 * warehouses; a larger value passes as int64 but breaks the model step.
 */
export const TS_MIN = -62135596800000;
export const TS_MAX = 253402300799999;

const s = (json: string, column: string, maxBytes: number, required = false): Field => ({ json, column, kind: 'string', required, maxBytes });

export const EVENT_FIELDS: readonly Field[] = Object.freeze([
  s('artist', 'artist', 1024),
  s('auth', 'auth', 64),
  s('firstName', 'first_name', 256),
  s('gender', 'gender', 16),
  { json: 'itemInSession', column: 'item_in_session', kind: 'int32', required: true },
  s('lastName', 'last_name', 256),
  { json: 'length', column: 'length', kind: 'number', required: false },
  s('level', 'level', 16),
  s('location', 'location', 512),
  s('method', 'method', 16),
  s('page', 'page', 64, true),
  { json: 'registration', column: 'registration', kind: 'int64', required: false },
  { json: 'sessionId', column: 'session_id', kind: 'int64', required: true },
  s('song', 'song', 1024),
  { json: 'status', column: 'status', kind: 'int32', required: false },
  { json: 'ts', column: 'ts', kind: 'int64', required: true, range: { min: TS_MIN, max: TS_MAX, meaning: `a time in years 0001–9999 UTC (${TS_MIN} ≤ ts ≤ ${TS_MAX}), so it cannot be a start_time` } },
  s('userAgent', 'user_agent', 1024),
  { json: 'userId', column: 'user_id', kind: 'user_id', required: false, maxBytes: 32 },
]);

export const SONG_FIELDS: readonly Field[] = Object.freeze([
  { json: 'num_songs', column: 'num_songs', kind: 'int32', required: false },
  s('artist_id', 'artist_id', 64, true),
  { json: 'artist_latitude', column: 'artist_latitude', kind: 'number', required: false },
  { json: 'artist_longitude', column: 'artist_longitude', kind: 'number', required: false },
  s('artist_location', 'artist_location', 512),
  s('artist_name', 'artist_name', 1024),
  s('song_id', 'song_id', 64, true),
  s('title', 'title', 1024),
  { json: 'duration', column: 'duration', kind: 'number', required: false },
  { json: 'year', column: 'year', kind: 'int32', required: false },
]);

export const FIELDS: Readonly<Record<Dataset, readonly Field[]>> = Object.freeze({ events: EVENT_FIELDS, songs: SONG_FIELDS });

export const STAGING_TABLE: Readonly<Record<Dataset, string>> = Object.freeze({ events: 'stg_events', songs: 'stg_songs' });

/** The staging tables, events first. */
export const STAGING_TABLES = ['stg_events', 'stg_songs'] as const;

/** The star schema of SPEC §4, fact table first. */
export const STAR_TABLES = ['songplays', 'users', 'songs', 'artists', 'time'] as const;
export type StarTable = (typeof STAR_TABLES)[number];

/** The tables holding loaded data, whose row counts a run reports (SPEC §8 `tables`): staging, then the star schema. */
export const DATA_TABLES = [...STAGING_TABLES, ...STAR_TABLES] as const;
export type DataTable = (typeof DATA_TABLES)[number];

/** Lineage columns appended to every staging row. */
export const LINEAGE_COLUMNS = ['source_key', 'source_line'] as const;

/** Width of `source_key` where widths are enforced. */
export const SOURCE_KEY_MAX_BYTES = 1024;

/** Staging columns of a data set, lineage included, in COPY order. */
export function stagingColumns(dataset: Dataset): string[] {
  return [...FIELDS[dataset].map((f) => f.column), ...LINEAGE_COLUMNS];
}
