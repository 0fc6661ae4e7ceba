/**
 * `sparkify report`: runs every question of sql/report/ in the warehouse and
 * shapes the rows into a typed Report. The SQL names tables unqualified (so an
 * analyst can run it in psql); with a configured schema the runner points
 * search_path at it for the duration, on one pooled client, and resets it.
 */
import type pg from 'pg';
import { quoteIdent } from '../dialect/index.ts';
import { WarehouseError, pgFields } from '../common/errors.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { readReportSql, REPORT_SQL, type ReportQuestion } from './sql-files.ts';
import type { Report } from './types.ts';
import { summarizeAgents } from './user-agents.ts';

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

type Row = Record<string, unknown>;
type Rows = Record<ReportQuestion, Row[]>;

export interface ReportOptions {
  /** Folder of the NN-name.sql files (default: the package's sql/report). */
  sqlDir?: string;
  /** Clock for `generatedAt` (tests). */
  now?: () => Date;
}

/** Runs the analysts' queries and returns their answers. Read-only. */
export async function runReport(wh: Warehouse, options: ReportOptions = {}): Promise<Report> {
  const sql = await readReportSql(options.sqlDir);
  const schema = wh.names.schema;
  const client = await wh.pool.connect();
  client.on('error', () => undefined); // a lost connection is reported by the query that notices it
  let broken = false;
  try {
    if (schema) await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    const rows = {} as Rows;
    for (const q of Object.keys(REPORT_SQL) as ReportQuestion[]) rows[q] = await run(client, q, sql[q]);
    return shape(rows, schema ?? null, (options.now ?? (() => new Date()))());
  } finally {
    // The client goes back to the pool: it must not keep our search_path.
    if (schema) await client.query('RESET search_path').catch(() => (broken = true));
    client.release(broken);
  }
}

async function run(client: pg.PoolClient, question: ReportQuestion, text: string): Promise<Row[]> {
  try {
    return (await client.query(text)).rows;
  } catch (err) {
    const f = pgFields(err);
    throw new WarehouseError('SQL', `report query sql/report/${REPORT_SQL[question]} failed: ${(err as Error).message}`, {
      cause: err,
      sqlState: f?.code,
      table: f?.table,
      hint: f?.code === '42P01' ? 'run `sparkify create-tables` and `sparkify etl` first' : undefined,
    });
  }
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function shape(r: Rows, schema: string | null, now: Date): Report {
  const o = r.overview[0] ?? {};
  const changes = r.levelChanges[0] ?? {};
  const s = r.sessionLength[0] ?? {};

  const byHour = new Map(r.playsByHour.map((x) => [num(x.hour), num(x.plays)]));
  const byWeekday = new Map(r.playsByWeekday.map((x) => [num(x.weekday), x]));
  const matrix = WEEKDAYS.map(() => new Array<number>(24).fill(0));
  for (const x of r.hourByWeekday) {
    const w = num(x.weekday);
    const h = num(x.hour);
    if (matrix[w] && h >= 0 && h < 24) matrix[w][h] = num(x.plays);
  }

  return {
    generatedAt: now.toISOString(),
    schema,
    overview: {
      songplays: num(o.songplays),
      listeners: num(o.listeners),
      users: num(o.users),
      songs: num(o.songs),
      artists: num(o.artists),
      matchedSongplays: num(o.matched_songplays),
      firstPlay: str(o.first_play),
      lastPlay: str(o.last_play),
    },
    topSongs: r.topSongs.map((x) => ({ songId: String(x.song_id), title: str(x.title), artist: str(x.artist), plays: num(x.plays) })),
    topArtists: r.topArtists.map((x) => ({ artistId: String(x.artist_id), artist: str(x.artist), plays: num(x.plays), songs: num(x.songs) })),
    topSongsAsLogged: r.topSongsAsLogged.map((x) => ({ title: str(x.title), artist: str(x.artist), plays: num(x.plays) })),
    playsByHour: Array.from({ length: 24 }, (_, hour) => ({ hour, plays: byHour.get(hour) ?? 0 })),
    playsByWeekday: WEEKDAYS.map((name, weekday) => ({ weekday, name, plays: num(byWeekday.get(weekday)?.plays), users: num(byWeekday.get(weekday)?.users) })),
    hourByWeekday: { weekdays: [...WEEKDAYS], hours: Array.from({ length: 24 }, (_, h) => h), plays: matrix },
    levels: r.levels.map((x) => ({ level: str(x.level), plays: num(x.plays), users: num(x.users) })),
    levelChanges: {
      listeners: num(changes.listeners),
      changed: num(changes.changed),
      upgraded: num(changes.upgraded),
      downgraded: num(changes.downgraded),
      upgrades: num(changes.upgrades),
      downgrades: num(changes.downgrades),
      users: r.levelChangers.map((x) => ({
        userId: num(x.user_id),
        firstName: str(x.first_name),
        lastName: str(x.last_name),
        upgrades: num(x.upgrades),
        downgrades: num(x.downgrades),
        currentLevel: str(x.current_level),
      })),
    },
    topLocations: r.topLocations.map((x) => ({ location: String(x.location), plays: num(x.plays), users: num(x.users) })),
    devices: summarizeAgents(r.userAgents.map((x) => ({ userAgent: str(x.user_agent), plays: num(x.plays) }))),
    dailyActiveUsers: everyDay(r.dailyActiveUsers.map((x) => ({ day: String(x.day), users: num(x.users), plays: num(x.plays) }))),
    sessions: { sessions: num(s.sessions), songplays: num(s.songplays), avgSongs: numOrNull(s.avg_songs), maxSongs: numOrNull(s.max_songs) },
  };
}

/** Fills the days without plays between the first and the last with zeros, so a line over days is honest. */
export function everyDay(days: { day: string; users: number; plays: number }[]): { day: string; users: number; plays: number }[] {
  if (days.length === 0) return [];
  const byDay = new Map(days.map((d) => [d.day, d]));
  const out: { day: string; users: number; plays: number }[] = [];
  const last = Date.parse(`${days[days.length - 1].day}T00:00:00Z`);
  // Bounded by the data's own span; a corrupt far-apart pair would still be at most one entry per day.
  for (let t = Date.parse(`${days[0].day}T00:00:00Z`); t <= last; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push(byDay.get(day) ?? { day, users: 0, plays: 0 });
  }
  return out;
}
