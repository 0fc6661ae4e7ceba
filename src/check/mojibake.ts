/**
 * A warning check: names that look like UTF-8 decoded twice ("mojibake").
 * The real Udacity sample has `BjÃ\u0083Â¶rk` for Björk: the bytes of "ö"
 * were read as Latin-1 and encoded again, twice over. The loader stores the
 * source as it is (SPEC §4), so this is upstream's to fix; the check says where.
 *
 * What it looks for: a character U+00C2–U+00DF (a UTF-8 two-byte lead read as
 * Latin-1) followed by one in U+0080–U+00BF (a continuation byte read as
 * Latin-1), e.g. `Ã©` for é; or U+00E0–U+00EF followed by two such characters
 * or their Windows-1252 forms (`â€™` for ’).
 */
import type { TableNames } from '../dialect/sql.ts';
import { plural, type CheckSpec } from './checks.ts';

const CONT = '\u0080-\u00BF\u0152\u0153\u0160\u0161\u0178\u017D\u017E\u0192\u02C6\u02DC\u2013\u2014\u2018-\u201E\u2020-\u2022\u2026\u2030\u2039\u203A\u20AC\u2122';
/** POSIX regular expression (Postgres and Redshift `~`). */
export const MOJIBAKE_PATTERN = `[\u00C2-\u00DF][\u0080-\u00BF]|[\u00E0-\u00EF][${CONT}][${CONT}]`;

/** The columns holding names: the catalogue's, the users', and the artist and song names as the app logged them. */
const NAME_COLUMNS = [
  ['artists', 'name'],
  ['songs', 'title'],
  ['users', 'first_name'],
  ['users', 'last_name'],
  ['stg_events', 'artist'],
  ['stg_events', 'song'],
] as const;

/** One table's figures (n{i}, e{i} for its columns' places in NAME_COLUMNS) as a derived table `t{t}`. */
function tablePart(names: TableNames, table: string, t: number, stagedEvents?: string): string {
  const literal = `'${MOJIBAKE_PATTERN.replace(/'/g, "''")}'`;
  // The pattern runs once per distinct value, not per row (a million events name a few thousand
  // songs), and each table is read once: its distinct combinations of name columns, then each column.
  const columns = NAME_COLUMNS.map(([tb, column], i) => ({ tb, column, i })).filter((c) => c.tb === table);
  const match = (c: string) => `CASE WHEN d.${c} ~ ${literal} THEN d.${c} END`;
  const figures = columns.map(({ column, i }) => `COUNT(DISTINCT ${match(column)}) AS n${i}, MIN(${match(column)}) AS e${i}`);
  // Only rows with a name holding a character past ASCII can match (the pattern's all are): a name's
  // length in bytes and in characters differ. Cheaper than hashing every row's names (0.39 → 0.22 s at 1M events).
  const nonAscii = `(${columns.map((c) => `OCTET_LENGTH(${c.column}) <> CHAR_LENGTH(${c.column})`).join(' OR ')})`;
  const where = ` WHERE ${nonAscii}${table === 'stg_events' && stagedEvents ? ` AND ${stagedEvents}` : ''}`;
  return `(SELECT ${figures.join(', ')} FROM (SELECT DISTINCT ${columns.map((c) => c.column).join(', ')} FROM ${names.t(table)}${where}) d) t${t}`;
}

const figuresOf = (tables: readonly string[]) => NAME_COLUMNS.flatMap(([table], i) => (tables.includes(table) ? [`n${i}, e${i}`] : [])).join(', ');

/**
 * The staged events' figures of the names check (a read of every staged event, or of those the
 * condition `stagedEvents` keeps), for mojibakeCheck's `staging`: the full build reads them beside
 * its work, on a session it leaves idle (model/full-build.ts, `beside`).
 */
export function stagingNamesSelect(names: TableNames, stagedEvents?: string): string {
  return `SELECT ${figuresOf(['stg_events'])} FROM ${tablePart(names, 'stg_events', 0, stagedEvents)}`;
}

/**
 * Counts distinct names that look double-encoded, per column; never fails the run (ok is true), but says `warning`.
 * With `stagedEvents` (a condition on stg_events' rows), only those events are read: the check after a
 * daily run reads the events that run staged, not the whole table again. With `staging` (the row of
 * stagingNamesSelect over every staged event, read already), stg_events is not read.
 */
export function mojibakeCheck(names: TableNames, stagedEvents?: string, staging?: Record<string, unknown>): CheckSpec {
  const tables = [...new Set(NAME_COLUMNS.map(([table]) => table))].filter((table) => !(staging && table === 'stg_events'));
  const parts = tables.map((table, t) => tablePart(names, table, t, stagedEvents));
  const scope = stagedEvents ? ' (stg_events: the events this run staged)' : '';
  return {
    name: 'names without double-encoded UTF-8',
    sql: `SELECT ${figuresOf(tables)} FROM ${parts.join(' CROSS JOIN ')}`,
    judge: (row) => {
      const r = { ...row, ...staging };
      const found = NAME_COLUMNS.map(([table, column], i) => ({ where: `${table}.${column}`, count: Number(r[`n${i}`] ?? 0), example: r[`e${i}`] as string | null })).filter((f) => f.count > 0);
      if (found.length === 0) return { ok: true, detail: `no name looks like UTF-8 decoded twice${scope}` };
      const total = found.reduce((s, f) => s + f.count, 0);
      const examples = found.map((f) => `${f.where} ${f.count} (e.g. ${JSON.stringify(f.example)})`).join(', ');
      return { ok: true, warning: true, detail: `${plural(total, 'distinct name')} look like UTF-8 decoded twice: ${examples}${scope}; the source has them so, fix them upstream` };
    },
  };
}
