/** `sparkify report` for a terminal: one aligned table per question, numbers right-aligned. */
import { thinMatchNote } from './notes.ts';
import type { Report } from './types.ts';

/** Control characters in data (an ESC in a song title…) must not drive the user's terminal. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const dash = (v: string | null | undefined): string => (v === null || v === undefined || v === '' ? '-' : v.replace(CONTROL, '\uFFFD'));

/** Terminal tables stay readable with long titles; --json and --html keep them whole. */
const MAX_CELL = 48;
const cut = (v: string | null | undefined): string => {
  const s = dash(v);
  const chars = [...s];
  return chars.length > MAX_CELL ? `${chars.slice(0, MAX_CELL - 1).join('')}…` : s;
};
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
/** Shares as fixed one-decimal text of one width, so the column lines up on the right. */
const pct = (share: number): string => share.toFixed(1).padStart(5);

/** Aligned plain text of every answer, in the order of sql/report/. */
export function renderReportText(r: Report): string {
  const o = r.overview;
  const out: string[] = [];
  const section = (title: string, body: string) => out.push('', title, body);
  const rowsOr = (rows: unknown[], body: () => string) => (rows.length ? body() : '  none');

  out.push(
    `Sparkify listening report${r.schema ? ` (schema ${r.schema})` : ''}`,
    o.songplays > 0 ? `  ${plural(o.songplays, 'songplay')} by ${plural(o.listeners, 'listener')}, ${o.firstPlay} to ${o.lastPlay} UTC` : '  no songplays yet',
    `  dimensions: ${plural(o.users, 'user')}, ${plural(o.songs, 'song')}, ${plural(o.artists, 'artist')}; ${plural(o.matchedSongplays, 'songplay')} matched a catalogue song`,
  );

  const note = thinMatchNote(o);
  section('Top songs (catalogue matches)', rowsOr(r.topSongs, () => table(['#', 'song', 'artist', 'plays'], r.topSongs.map((s, i) => [i + 1, cut(s.title), cut(s.artist), s.plays]))) + (note ? `\n  * ${note}` : ''));
  section('Top artists', rowsOr(r.topArtists, () => table(['#', 'artist', 'plays', 'songs'], r.topArtists.map((a, i) => [i + 1, cut(a.artist), a.plays, a.songs]))));
  section('Top songs as logged (all plays, catalogue or not)', rowsOr(r.topSongsAsLogged, () => table(['#', 'song', 'artist', 'plays'], r.topSongsAsLogged.map((s, i) => [i + 1, cut(s.title), cut(s.artist), s.plays]))));
  section('Plays by hour of day (UTC)', table(['hour', 'plays'], r.playsByHour.map((h) => [h.hour, h.plays])));
  section('Plays by weekday (UTC)', table(['weekday', 'plays', 'users'], r.playsByWeekday.map((w) => [w.name, w.plays, w.users])));
  section(
    'Plays by weekday × hour (UTC)',
    table(['', ...r.hourByWeekday.hours.map(String), 'total'], r.hourByWeekday.plays.map((row, w) => [r.hourByWeekday.weekdays[w].slice(0, 3), ...row, row.reduce((a, b) => a + b, 0)])),
  );
  section('Free vs paid', rowsOr(r.levels, () => table(['level', 'plays', 'users'], r.levels.map((l) => [dash(l.level), l.plays, l.users]))));

  const c = r.levelChanges;
  section(
    'Level changes (ordered transitions per user)',
    [
      `  ${c.changed} of ${plural(c.listeners, 'listener')} changed level: ${c.upgraded} upgraded (${plural(c.upgrades, 'upgrade')}), ${c.downgraded} downgraded (${plural(c.downgrades, 'downgrade')})`,
      ...(c.users.length ? [table(['user', 'name', 'upgrades', 'downgrades', 'level now'], c.users.map((u) => [u.userId, cut([u.firstName, u.lastName].filter(Boolean).join(' ')), u.upgrades, u.downgrades, dash(u.currentLevel)]))] : []),
    ].join('\n'),
  );
  section('Busiest locations', rowsOr(r.topLocations, () => table(['#', 'location', 'plays', 'users'], r.topLocations.map((l, i) => [i + 1, cut(l.location), l.plays, l.users]))));

  const d = r.devices;
  const share = (rows: typeof d.browsers, label: string) => table([label, 'plays', '%'.padStart(5)], rows.map((x) => [cut(x.name), x.plays, pct(x.share)]));
  section(`Devices (${d.agents} distinct user agents)`, rowsOr(d.browsers, () => [share(d.browsers, 'browser'), '', share(d.os, 'operating system'), '', share(d.deviceTypes, 'device type')].join('\n')));
  section('Daily active users (UTC days)', rowsOr(r.dailyActiveUsers, () => table(['day', 'users', 'plays'], r.dailyActiveUsers.map((x) => [x.day, x.users, x.plays]))));

  const s = r.sessions;
  section('Session length', s.sessions > 0 ? `  ${s.avgSongs} songs per session on average over ${plural(s.sessions, 'session')} (${plural(s.songplays, 'songplay')}); the longest had ${s.maxSongs}` : '  no sessions');
  return out.join('\n');
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const line = (r: string[]) => `  ${r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()}`;
  return [line(cells[0]), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}
