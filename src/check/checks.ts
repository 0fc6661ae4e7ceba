/**
 * The data-quality checks of `sparkify check`, as SQL plus a verdict on the
 * one row it returns. Written once for Postgres and Redshift: Redshift does not
 * enforce primary keys, unique or foreign keys, so on Redshift these checks are
 * the only thing that notices a duplicate or an orphan.
 */
import { STAGING_TABLES, STAR_TABLES, type DataTable } from '../common/datasets.ts';
import { LEDGER } from '../ledger/index.ts';
import type { Dialect } from '../dialect/types.ts';
import type { TableNames } from '../dialect/sql.ts';
import { mojibakeCheck } from './mojibake.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  /** The numbers behind the verdict, one line. */
  detail: string;
  /** Passed, but worth a look (printed WARN): it never fails a run. */
  warning?: boolean;
}

export interface CheckSpec {
  name: string;
  sql: string;
  /** Verdict on the query's single row (values may be strings: pg returns bigint as text). */
  judge(row: Record<string, unknown>): { ok: boolean; detail: string; warning?: boolean };
}

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const plural = (k: number, one: string, many = `${one}s`): string => `${k} ${k === 1 ? one : many}`;

/**
 * Every check, in the order they run and print. `enforced` names the keys a
 * unique index over NOT NULL columns guarantees (`table(col,col)`, Postgres):
 * those are not counted again, which at 10 million songplays saves seconds.
 */
export function checkSpecs(names: TableNames, dialect: Dialect, enforced: ReadonlySet<string> = new Set()): CheckSpec[] {
  const t = (table: string) => names.t(table);
  const source = rowSources(names);
  return [
    ...ROW_TABLES.map((table): CheckSpec => ({
      name: `${table} has rows`,
      sql: `SELECT (SELECT COUNT(*) FROM ${t(table)}) AS total, ${source[table][0]} AS expected`,
      judge: (r) => hasRows(table, n(r.total), n(r.expected), source[table][1]),
    })),
    ...KEYS.map(([table, columns]) => keyCheck(t(table), table, [...columns], enforced.has(keyName(table, columns)), groupKey(dialect))),
    referenceCheck(t('songplays'), 'user_id', t('users'), 'users', false),
    referenceCheck(t('songplays'), 'start_time', t('time'), 'time', false),
    referenceCheck(t('songplays'), 'song_id', t('songs'), 'songs', true),
    referenceCheck(t('songplays'), 'artist_id', t('artists'), 'artists', true),
    reconciliation(names, dialect),
    rejectsSummary(names),
    mojibakeCheck(names),
  ];
}

/** The order of the "has rows" checks: the data tables (DATA_TABLES), the star schema first. */
export const ROW_TABLES: readonly DataTable[] = [...STAR_TABLES, ...STAGING_TABLES];

/** The keys checked unique and not null, in order. */
export const KEYS = [
  ['users', ['user_id']],
  ['songs', ['song_id']],
  ['artists', ['artist_id']],
  ['time', ['start_time']],
  ['songplays', ['songplay_id']],
  ['songplays', ['session_id', 'item_in_session']],
] as const;

/** Key columns holding text: grouped exactly (Redshift's GROUP BY would merge 'x' and 'x '). */
const TEXT_KEY_COLUMNS = new Set(['song_id', 'artist_id']);
export const groupKey = (dialect: Dialect) => (column: string) => (TEXT_KEY_COLUMNS.has(column) ? dialect.exactKey(column) : column);

/** `table(col,col)`: how enforced keys are named. */
export const keyName = (table: string, columns: readonly string[]) => `${table}(${columns.join(',')})`;

/**
 * A table must have rows when what it is built from has them: after a
 * songs-only load, songplays is rightly empty. Each source is a one-row
 * probe (SQL giving 0 or 1) and what it looks for.
 */
export function rowSources(names: TableNames): Record<DataTable, [string, string]> {
  const t = (table: string) => names.t(table);
  const exists = (from: string, where = '') => `(SELECT COUNT(*) FROM (SELECT 1 AS x FROM ${from}${where ? ` WHERE ${where}` : ''} LIMIT 1) probe)`;
  const plays = exists(t('stg_events'), `page = 'NextSong' AND user_id <> ''`);
  return {
    songplays: [plays, 'staged NextSong events with a user'],
    time: [plays, 'staged NextSong events with a user'],
    users: [exists(t('stg_events'), `user_id <> ''`), 'staged events with a user'],
    songs: [exists(t('stg_songs')), 'staged songs'],
    artists: [exists(t('stg_songs')), 'staged songs'],
    stg_events: [exists(t(LEDGER.objects), `dataset = 'events' AND rows_staged > 0`), 'loaded event objects with rows'],
    stg_songs: [exists(t(LEDGER.objects), `dataset = 'songs' AND rows_staged > 0`), 'loaded song objects with rows'],
  };
}

/** The verdict on a table's row count, given whether its source has rows. */
export function hasRows(table: string, total: number, expected: number, what: string): CheckResult {
  const name = `${table} has rows`;
  return expected > 0 ? { name, ok: total > 0, detail: plural(total, 'row') } : { name, ok: true, detail: `${plural(total, 'row')} (none expected: no ${what})` };
}

/** Unique and not null, counted rather than trusted (Redshift keys are informational). */
export function keyCheck(table: string, label: string, columns: string[], enforced: boolean, group: (column: string) => string = (c) => c): CheckSpec {
  const key = columns.join(', ');
  const anyNull = columns.map((c) => `${c} IS NULL`).join(' OR ');
  const noneNull = columns.map((c) => `${c} IS NOT NULL`).join(' AND ');
  if (enforced) {
    return {
      name: columns.length === 1 ? `${label}.${key} unique and not null` : `${label} (${key}) unique and not null`,
      sql: `SELECT COUNT(*) AS total FROM ${table}`,
      judge: (r) => ({ ok: true, detail: `${plural(n(r.total), 'row')}, enforced by a unique index on NOT NULL columns` }),
    };
  }
  return {
    name: columns.length === 1 ? `${label}.${key} unique and not null` : `${label} (${key}) unique and not null`,
    sql: `SELECT a.total, a.nulls, d.duplicated_keys, d.duplicated_rows
FROM (SELECT COUNT(*) AS total, SUM(CASE WHEN ${anyNull} THEN 1 ELSE 0 END) AS nulls FROM ${table}) a
CROSS JOIN (
  SELECT COUNT(*) AS duplicated_keys, COALESCE(SUM(copies), 0) AS duplicated_rows
  FROM (SELECT COUNT(*) AS copies FROM ${table} WHERE ${noneNull} GROUP BY ${columns.map(group).join(', ')} HAVING COUNT(*) > 1) dup
) d`,
    judge: (r) => {
      const nulls = n(r.nulls);
      const keys = n(r.duplicated_keys);
      return {
        ok: nulls === 0 && keys === 0,
        detail: `${plural(n(r.total), 'row')}, ${nulls} with a null key, ${plural(keys, 'duplicated key')}${keys > 0 ? ` on ${n(r.duplicated_rows)} rows` : ''}`,
      };
    },
  };
}

/** Every songplay's `column` exists in `parent` (only where set, for optional references). */
function referenceCheck(child: string, column: string, parent: string, parentLabel: string, optional: boolean): CheckSpec {
  const scope = optional ? ` WHERE c.${column} IS NOT NULL` : '';
  const missing = `${optional ? `c.${column} IS NOT NULL AND ` : ''}NOT EXISTS (SELECT 1 FROM ${parent} p WHERE p.${column} = c.${column})`;
  return {
    name: `songplays.${column} in ${parentLabel}`,
    sql: `SELECT
  (SELECT COUNT(*) FROM ${child} c${scope}) AS total,
  (SELECT COUNT(*) FROM ${child} c WHERE ${missing}) AS missing,
  (SELECT COUNT(DISTINCT c.${column}) FROM ${child} c WHERE ${missing}) AS missing_keys`,
    judge: (r) => {
      const missingRows = n(r.missing);
      return {
        ok: missingRows === 0,
        detail: `${missingRows} of ${plural(n(r.total), `songplay${optional ? ` with a ${column}` : ''}`, `songplays${optional ? ` with a ${column}` : ''}`)} not in ${parentLabel}${missingRows > 0 ? ` (${plural(n(r.missing_keys), 'distinct value')})` : ''}`,
      };
    },
  };
}

/**
 * Staging against the fact table: the events songplays must hold are the
 * winning copies (greatest source_key by bytes, then the later line) of each
 * (session_id, item_in_session) that are NextSong plays of a logged-in user.
 */
function reconciliation(names: TableNames, dialect: Dialect): CheckSpec {
  return {
    name: 'staging reconciles with songplays',
    sql: `SELECT
  (SELECT COUNT(*) FROM (
     SELECT e.page, e.user_id,
            ROW_NUMBER() OVER (PARTITION BY e.session_id, e.item_in_session ORDER BY ${dialect.byteOrder('e.source_key')} DESC, e.source_line DESC) AS rn
     FROM ${names.t('stg_events')} e
   ) w WHERE w.rn = 1 AND w.page = 'NextSong' AND w.user_id <> '') AS expected,
  (SELECT COUNT(*) FROM ${names.t('songplays')}) AS songplays`,
    judge: (r) => ({
      ok: n(r.expected) === n(r.songplays),
      detail: `${n(r.expected)} NextSong events with a user id in stg_events (winning copies), ${n(r.songplays)} songplays`,
    }),
  };
}

/** Reports what was rejected; never fails (the etl run's exit code already judged rejects against --max-errors). */
export function rejectsSummary(names: TableNames): CheckSpec {
  return {
    name: 'rejects',
    sql: `SELECT COUNT(*) AS total,
  SUM(CASE WHEN dataset = 'events' THEN 1 ELSE 0 END) AS events,
  SUM(CASE WHEN dataset = 'songs' THEN 1 ELSE 0 END) AS songs
FROM ${names.t(LEDGER.rejects)}`,
    judge: (r) => {
      const total = n(r.total);
      return {
        ok: true,
        detail: total === 0 ? `0 records rejected (${LEDGER.rejects} is empty)` : `${plural(total, 'record')} rejected in ${LEDGER.rejects} (events ${n(r.events)}, songs ${n(r.songs)}); see \`sparkify status\``,
      };
    },
  };
}
