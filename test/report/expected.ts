/**
 * Answers to the report's questions computed straight from raw source files
 * with JSON.parse and plain JS: no loader code, no SQL. The tests compare the
 * warehouse's answers to these.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface RawEvent {
  ts: number;
  sessionId: number;
  itemInSession: number;
  page: string;
  userId: string | number;
  level: string | null;
  song: string | null;
  artist: string | null;
  length: number | null;
  location: string | null;
}

interface RawSong {
  song_id: string;
  title: string;
  artist_id: string;
  artist_name: string;
  duration: number;
}

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));
}

/** Winning copy of each event (later file key, then later line), then NextSong plays of a logged-in user. */
export function rawPlays(logDir: string): RawEvent[] {
  const events = new Map<string, RawEvent>();
  // Keys of the sample sort the same as bytes and as path strings: sorted files, in line order, last wins.
  for (const file of filesUnder(logDir)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const e = JSON.parse(line) as RawEvent;
      events.set(`${e.sessionId}|${e.itemInSession}`, e);
    }
  }
  return [...events.values()].filter((e) => e.page === 'NextSong' && String(e.userId) !== '');
}

export function rawSongs(songDir: string): RawSong[] {
  return filesUnder(songDir).flatMap((f) => {
    const v = JSON.parse(readFileSync(f, 'utf8')) as RawSong | RawSong[];
    return Array.isArray(v) ? v : [v];
  });
}

export function countBy<T>(items: readonly T[], key: (t: T) => string | number): Map<string | number, number> {
  const m = new Map<string | number, number>();
  for (const it of items) m.set(key(it), (m.get(key(it)) ?? 0) + 1);
  return m;
}

/** Entry with the highest count; ties go to the smallest key (as the SQL's second ORDER BY term). */
export function top<K extends string | number>(m: Map<K, number>): [K, number] {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))[0];
}

export function expectedAnswers(logDir: string, songDir: string) {
  const plays = rawPlays(logDir);
  const songs = rawSongs(songDir);
  // The song a play is: title, artist name and duration equal; lowest song_id among several.
  const songOf = (e: RawEvent) =>
    songs
      .filter((s) => s.title === e.song && s.artist_name === e.artist && s.duration === e.length)
      .map((s) => s.song_id)
      .sort()[0];
  const matched = plays.map((e) => ({ e, songId: songOf(e) })).filter((x) => x.songId !== undefined);
  const titleOf = new Map(songs.map((s) => [s.song_id, s.title]));

  const hours = Array.from({ length: 24 }, () => 0);
  const weekdays = Array.from({ length: 7 }, () => 0);
  const matrix = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 0));
  for (const e of plays) {
    const d = new Date(e.ts);
    hours[d.getUTCHours()]++;
    weekdays[d.getUTCDay()]++;
    matrix[d.getUTCDay()][d.getUTCHours()]++;
  }

  // Level changes: each user's plays in time order; both levels ⇔ at least one transition.
  const byUser = new Map<string, RawEvent[]>();
  for (const e of plays) byUser.set(String(e.userId), [...(byUser.get(String(e.userId)) ?? []), e]);
  let changed = 0;
  let upgraded = 0;
  let downgraded = 0;
  for (const list of byUser.values()) {
    if (new Set(list.map((e) => e.level)).size > 1) changed++;
    list.sort((a, b) => a.ts - b.ts || a.sessionId - b.sessionId || a.itemInSession - b.itemInSession);
    let up = 0;
    let down = 0;
    for (let i = 1; i < list.length; i++) {
      if (list[i - 1].level === 'free' && list[i].level === 'paid') up++;
      if (list[i - 1].level === 'paid' && list[i].level === 'free') down++;
    }
    if (up) upgraded++;
    if (down) downgraded++;
  }

  const dayUsers = new Map<string, Set<string>>();
  for (const e of plays) {
    const day = new Date(e.ts).toISOString().slice(0, 10);
    dayUsers.set(day, (dayUsers.get(day) ?? new Set()).add(String(e.userId)));
  }
  const sessions = countBy(plays, (e) => `${e.userId}|${e.sessionId}`);

  const [topSongId, topSongPlays] = matched.length ? top(countBy(matched, (x) => x.songId!)) : [undefined, 0];
  return {
    plays: plays.length,
    listeners: byUser.size,
    topSong: topSongId === undefined ? undefined : { title: titleOf.get(String(topSongId)), plays: topSongPlays },
    topSongAsLogged: top(countBy(plays, (e) => `${e.song} / ${e.artist}`)),
    hours,
    busiestHour: hours.indexOf(Math.max(...hours)),
    weekdays,
    matrix,
    levels: Object.fromEntries(countBy(plays, (e) => String(e.level))),
    levelChanges: { changed, upgraded, downgraded },
    dailyActiveUsers: (day: string) => dayUsers.get(day)?.size ?? 0,
    topLocation: top(countBy(plays.filter((e) => e.location), (e) => e.location!)),
    avgSessionSongs: Math.round((plays.length / sessions.size) * 100) / 100,
    sessions: sessions.size,
  };
}
