/**
 * The report's SQL lives in `sql/report/NN-name.sql`, one question per file,
 * so an analyst can read and run each one in psql as-is. This module finds
 * and reads those files (from src/ when run from source, dist/src/ when built).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Question → its file in sql/report/. */
export const REPORT_SQL = {
  overview: '00-overview.sql',
  topSongs: '01-top-songs.sql',
  topArtists: '02-top-artists.sql',
  topSongsAsLogged: '03-top-songs-as-logged.sql',
  playsByHour: '04-plays-by-hour.sql',
  playsByWeekday: '05-plays-by-weekday.sql',
  hourByWeekday: '06-hour-by-weekday.sql',
  levels: '07-free-vs-paid.sql',
  levelChanges: '08-level-changes.sql',
  levelChangers: '09-level-changers.sql',
  topLocations: '10-top-locations.sql',
  userAgents: '11-user-agents.sql',
  dailyActiveUsers: '12-daily-active-users.sql',
  sessionLength: '13-session-length.sql',
} as const;

export type ReportQuestion = keyof typeof REPORT_SQL;

/** The sql/report folder: the first one found walking up from this module. */
export function reportSqlDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'sql', 'report');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`sql/report not found above ${from}: the report's SQL files ship with the package`);
    dir = parent;
  }
}

/** Text of every question's SQL file, read once per call. */
export async function readReportSql(dir: string = reportSqlDir()): Promise<Record<ReportQuestion, string>> {
  const entries = await Promise.all(
    (Object.entries(REPORT_SQL) as [ReportQuestion, string][]).map(async ([q, file]) => [q, await readFile(join(dir, file), 'utf8')] as const),
  );
  return Object.fromEntries(entries) as Record<ReportQuestion, string>;
}
