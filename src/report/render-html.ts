/**
 * `sparkify report --html FILE`: one self-contained page. Charts are static
 * SVG drawn in Node (charts.ts), styles are inline, and a Content-Security-Policy
 * forbids every fetch, so the file shows the same offline, in a mail, or years later.
 */
import { dirname, resolve } from 'node:path';
import { SparkifyError } from '../common/errors.ts';
import { thinMatchNote } from './notes.ts';
import { writeFile } from 'node:fs/promises';
import { columns, dailyLine, heatMap, rankedBars } from './charts.ts';
import type { NamedPlays, Report } from './types.ts';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

type Cell = string | number | null;

const fmt = (n: number): string => n.toLocaleString('en-US');

const plural = (n: number, one: string, many = `${one}s`): string => `${fmt(n)} ${n === 1 ? one : many}`;

/** A cell; numeric columns are right-aligned, integers get thousands separators. */
function cell(v: Cell, numeric: boolean): string {
  const text = typeof v === 'number' ? (Number.isInteger(v) ? fmt(v) : String(v)) : v === null || v === '' ? '-' : v;
  return `<td${numeric || typeof v === 'number' ? ' class="n"' : ''}>${escapeHtml(text)}</td>`;
}

function htmlTable(header: string[], rows: Cell[][], numeric: boolean[] = []): string {
  const th = header.map((h, i) => `<th${numeric[i] ? ' class="n"' : ''}>${escapeHtml(h)}</th>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((v, i) => cell(v, !!numeric[i])).join('')}</tr>`).join('')}</tbody></table>`;
}

/** A chart figure; `data-chart` names it for tests and styling. */
function chart(name: string, label: string, svg: string): string {
  return `<figure class="chart" data-chart="${escapeHtml(name)}" role="img" aria-label="${escapeHtml(label)}">${svg}</figure>`;
}

function section(title: string, note: string | null, body: string, wide = false): string {
  return `<section class="card${wide ? ' wide' : ''}"><h2>${escapeHtml(title)}</h2>${note ? `<p class="note">${escapeHtml(note)}</p>` : ''}${body}</section>`;
}

const details = (summary: string, body: string): string => `<details><summary>${escapeHtml(summary)}</summary>${body}</details>`;
const empty = (what: string): string => `<p class="empty">${escapeHtml(what)}</p>`;
const label = (title: string | null, artist: string | null): string => `${title ?? '-'} — ${artist ?? '-'}`;

function shares(name: string, title: string, rows: NamedPlays[]): string {
  if (rows.length === 0) return empty('no songplays');
  return chart(name, title, rankedBars(rows.map((r) => r.name), rows.map((r) => r.plays))) + htmlTable([title, 'plays', '%'], rows.map((r) => [r.name, r.plays, r.share.toFixed(1)]), [false, true, true]);
}

/** The whole report as one HTML document (no scripts, no external resources). */
export function renderReportHtml(r: Report): string {
  const o = r.overview;
  const c = r.levelChanges;
  const s = r.sessions;
  const stats: [string, string][] = [
    ['songplays', fmt(o.songplays)],
    ['listeners', fmt(o.listeners)],
    ['users · songs · artists', `${fmt(o.users)} · ${fmt(o.songs)} · ${fmt(o.artists)}`],
    ['songs per session (avg)', s.avgSongs === null ? '-' : String(s.avgSongs)],
    ['changed level', `${fmt(c.changed)} of ${fmt(c.listeners)}`],
  ];
  const note = thinMatchNote(o);
  const sections = [
    section(
      'Top songs',
      `Catalogue songs only: a songplay has a song when its title, artist and duration match the song data exactly.${note ? ` * ${note}` : ''}`,
      r.topSongs.length
        ? chart('top-songs', 'Top songs by plays', rankedBars(r.topSongs.map((x) => label(x.title, x.artist)), r.topSongs.map((x) => x.plays))) +
            htmlTable(['#', 'song', 'artist', 'plays'], r.topSongs.map((x, i) => [i + 1, x.title, x.artist, x.plays]), [true, false, false, true])
        : empty('No songplay matched a catalogue song.'),
    ),
    section(
      'Top artists',
      null,
      r.topArtists.length
        ? chart('top-artists', 'Top artists by plays', rankedBars(r.topArtists.map((x) => x.artist ?? x.artistId), r.topArtists.map((x) => x.plays))) +
            htmlTable(['#', 'artist', 'plays', 'songs'], r.topArtists.map((x, i) => [i + 1, x.artist, x.plays, x.songs]), [true, false, true, true])
        : empty('No songplay matched a catalogue song.'),
    ),
    section(
      'Top songs as logged',
      'Every play, by the title and artist in the event log, whether or not the song is in the catalogue.',
      r.topSongsAsLogged.length
        ? chart('top-songs-as-logged', 'Top logged songs by plays', rankedBars(r.topSongsAsLogged.map((x) => label(x.title, x.artist)), r.topSongsAsLogged.map((x) => x.plays))) +
            htmlTable(['#', 'song', 'artist', 'plays'], r.topSongsAsLogged.map((x, i) => [i + 1, x.title, x.artist, x.plays]), [true, false, false, true])
        : empty('No plays logged.'),
    ),
    section(
      'When people listen',
      'Plays per weekday and hour of day, UTC.',
      chart('hour-by-weekday', 'Heat map of plays by weekday and hour', heatMap(r.hourByWeekday.weekdays.map((w) => w.slice(0, 3)), r.hourByWeekday.hours.map(String), r.hourByWeekday.plays)) +
        details('table', htmlTable(['', ...r.hourByWeekday.hours.map(String)], r.hourByWeekday.plays.map((row, w) => [r.hourByWeekday.weekdays[w].slice(0, 3), ...row]), [false, ...r.hourByWeekday.hours.map(() => true)])),
      true,
    ),
    section(
      'Plays by hour of day',
      'UTC.',
      chart('plays-by-hour', 'Plays by hour of day', columns(r.playsByHour.map((h) => String(h.hour)), r.playsByHour.map((h) => h.plays))) +
        details('table', htmlTable(['hour', 'plays'], r.playsByHour.map((h) => [h.hour, h.plays]), [true, true])),
    ),
    section(
      'Plays by weekday',
      'UTC.',
      chart('plays-by-weekday', 'Plays by weekday', columns(r.playsByWeekday.map((w) => w.name.slice(0, 3)), r.playsByWeekday.map((w) => w.plays))) +
        htmlTable(['weekday', 'plays', 'users'], r.playsByWeekday.map((w) => [w.name, w.plays, w.users]), [false, true, true]),
    ),
    section(
      'Free vs paid',
      'Level at the time of each play; a user who changed level counts under both.',
      r.levels.length
        ? chart('levels', 'Plays by level', columns(r.levels.map((l) => l.level ?? 'unknown'), r.levels.map((l) => l.plays), 'plays', 200)) +
            htmlTable(['level', 'plays', 'users'], r.levels.map((l) => [l.level, l.plays, l.users]), [false, true, true])
        : empty('No songplays.'),
    ),
    section(
      'Upgrades and downgrades',
      "From each user's songplays in time order: free → paid is an upgrade, paid → free a downgrade.",
      `<p class="big">${fmt(c.changed)} of ${plural(c.listeners, 'listener')} changed level: ${fmt(c.upgraded)} upgraded (${plural(c.upgrades, 'upgrade')}), ${fmt(c.downgraded)} downgraded (${plural(c.downgrades, 'downgrade')}).</p>` +
        (c.users.length
          ? htmlTable(['user', 'name', 'upgrades', 'downgrades', 'level now'], c.users.map((u) => [u.userId, [u.firstName, u.lastName].filter(Boolean).join(' '), u.upgrades, u.downgrades, u.currentLevel]), [true, false, true, true, false])
          : ''),
    ),
    section(
      'Busiest locations',
      null,
      r.topLocations.length
        ? chart('top-locations', 'Busiest locations by plays', rankedBars(r.topLocations.map((l) => l.location), r.topLocations.map((l) => l.plays))) +
            htmlTable(['#', 'location', 'plays', 'users'], r.topLocations.map((l, i) => [i + 1, l.location, l.plays, l.users]), [true, false, true, true])
        : empty('No locations.'),
    ),
    section('Browsers', `Parsed from ${fmt(r.devices.agents)} distinct user agents.`, shares('browsers', 'browser', r.devices.browsers)),
    section('Operating systems', null, shares('os', 'operating system', r.devices.os) + (r.devices.deviceTypes.length ? htmlTable(['device type', 'plays', '%'], r.devices.deviceTypes.map((d) => [d.name, d.plays, d.share.toFixed(1)]), [false, true, true]) : '')),
    section(
      'Daily active users',
      'Distinct users with at least one play per UTC day.',
      r.dailyActiveUsers.length
        ? chart('daily-active-users', 'Daily active users', dailyLine(r.dailyActiveUsers.map((d) => d.day), r.dailyActiveUsers.map((d) => d.users))) +
            details('table', htmlTable(['day', 'users', 'plays'], r.dailyActiveUsers.map((d) => [d.day, d.users, d.plays]), [false, true, true]))
        : empty('No songplays.'),
      true,
    ),
    section(
      'Session length',
      'Songplays per (user, session).',
      s.sessions > 0 ? `<p class="big">${escapeHtml(String(s.avgSongs))} songs per session on average over ${plural(s.sessions, 'session')} (${plural(s.songplays, 'songplay')}); the longest had ${fmt(s.maxSongs ?? 0)}.</p>` : empty('No sessions.'),
    ),
  ];
  const span = o.songplays > 0 ? `${o.firstPlay} to ${o.lastPlay} UTC` : 'no songplays yet';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Sparkify listening report</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>Sparkify listening report</h1><p>${escapeHtml(span)}${r.schema ? ` · schema ${escapeHtml(r.schema)}` : ''} · generated ${escapeHtml(r.generatedAt)}</p>
<dl class="stats">${stats.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl></header>
<main>
${sections.join('\n')}
</main>
</body>
</html>
`;
}

/** Writes the HTML report to `file` (UTF-8). */
export async function writeReportHtml(report: Report, file: string): Promise<void> {
  try {
    await writeFile(file, renderReportHtml(report), 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? `the folder ${dirname(resolve(file))} does not exist` : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'it is a folder' : (e.message ?? String(err));
    throw new SparkifyError('CONFIG', `cannot write the report to ${file}: ${why}`, { cause: err, hint: e.code === 'ENOENT' ? 'create the folder first, or give another path' : undefined });
  }
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2430;background:#f4f5f8}
header{padding:24px 32px 8px}
h1{margin:0 0 4px;font-size:24px}
header p{margin:0;color:#5b6172}
.stats{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0 0;padding:0}
.stats div{background:#fff;border-radius:8px;padding:10px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.stats dt{font-size:12px;color:#5b6172}
.stats dd{margin:0;font-size:20px;font-weight:600}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px;padding:16px 32px 32px}
.card{background:#fff;border-radius:8px;padding:16px 20px;box-shadow:0 1px 2px rgba(0,0,0,.08);min-width:0}
.card.wide{grid-column:1/-1}
h2{margin:0 0 4px;font-size:17px}
.note{margin:0 0 8px;color:#5b6172;font-size:13px}
.big{font-size:16px}
.empty{color:#8a8f9c;font-style:italic}
figure.chart{margin:8px 0}
figure.chart svg{width:100%;height:auto;display:block}
table{border-collapse:collapse;width:100%;margin-top:8px;font-size:13px}
th,td{padding:3px 8px;border-bottom:1px solid #eceef2;text-align:left;vertical-align:top}
th{color:#5b6172;font-weight:600}
.n{text-align:right;font-variant-numeric:tabular-nums}
details{margin-top:8px}
summary{cursor:pointer;color:#5470c6}
`;
