import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample, type GenerateOptions } from '../../src/generate/index.ts';
import { hashTree, listFiles, readTree, type DayFile, type SongFile } from './tree.ts';

const SONG_KEYS = [
  'num_songs', 'artist_id', 'artist_latitude', 'artist_longitude', 'artist_location', 'artist_name', 'song_id', 'title',
  'duration', 'year',
];
const EVENT_KEYS = [
  'artist', 'auth', 'firstName', 'gender', 'itemInSession', 'lastName', 'length', 'level', 'location', 'method', 'page',
  'registration', 'sessionId', 'song', 'status', 'ts', 'userAgent', 'userId',
];
const PAGE_METHOD_STATUS: Record<string, [string, number]> = {
  NextSong: ['PUT', 200], Home: ['GET', 200], Login: ['PUT', 307], Logout: ['PUT', 307], Settings: ['GET', 200],
  'Save Settings': ['PUT', 307], Help: ['GET', 200], About: ['GET', 200], Error: ['GET', 404], Upgrade: ['GET', 200],
  'Submit Upgrade': ['PUT', 307], Downgrade: ['GET', 200], 'Submit Downgrade': ['PUT', 307],
};
const DAY_MS = 86_400_000;
const INT32_MAX = 2 ** 31 - 1;

const small: Omit<GenerateOptions, 'outDir'> = { songs: 300, days: 3, users: 50, seed: 42, events: 3000 };

type Rec = Record<string, unknown>;
const isInt = (v: unknown, max = Number.MAX_SAFE_INTEGER): boolean =>
  typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= max;
const nullOr = (v: unknown, check: (x: unknown) => boolean): boolean => v === null || check(v);
const isString = (v: unknown): boolean => typeof v === 'string';
const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);

/** SPEC §3 for one event: the reasons it would be rejected (empty = valid). */
function eventProblems(e: Rec): string[] {
  const problems: string[] = [];
  for (const f of ['ts', 'sessionId', 'itemInSession', 'page']) if (e[f] === null || e[f] === undefined) problems.push(`${f} missing`);
  if (!isInt(e.ts) || !isInt(e.sessionId)) problems.push('ts/sessionId not int64');
  if (!nullOr(e.registration, (v) => isInt(v))) problems.push('registration');
  if (!isInt(e.itemInSession, INT32_MAX) || !nullOr(e.status, (v) => isInt(v, INT32_MAX))) problems.push('int32');
  if (!nullOr(e.length, isNumber)) problems.push('length');
  for (const f of ['artist', 'auth', 'firstName', 'gender', 'lastName', 'level', 'location', 'method', 'page', 'song', 'userAgent']) {
    if (!nullOr(e[f], isString)) problems.push(`${f} not a string`);
  }
  if (typeof e.userId !== 'string' || !(e.userId === '' || (/^\d+$/.test(e.userId) && Number(e.userId) <= INT32_MAX))) {
    problems.push('userId');
  }
  for (const v of Object.values(e)) if (typeof v === 'string' && v.includes('\u0000')) problems.push('U+0000');
  return problems;
}

/** SPEC §3 for one song. */
function songProblems(s: Rec): string[] {
  const problems: string[] = [];
  if (typeof s.song_id !== 'string' || typeof s.artist_id !== 'string') problems.push('ids');
  if (!isInt(s.num_songs, INT32_MAX) || !isInt(s.year, INT32_MAX)) problems.push('int32');
  for (const f of ['duration', 'artist_latitude', 'artist_longitude']) if (!nullOr(s[f], isNumber)) problems.push(f);
  for (const f of ['artist_location', 'artist_name', 'title']) if (!nullOr(s[f], isString)) problems.push(f);
  for (const v of Object.values(s)) if (typeof v === 'string' && v.includes('\u0000')) problems.push('U+0000');
  return problems;
}

/** The hostile-string kinds the brief asks for, as predicates on one value. */
const NASTY_KINDS: Record<string, (s: string) => boolean> = {
  'double quote': (s) => s.includes('"'),
  comma: (s) => s.includes(','),
  'bare \\n': (s) => /(^|[^\r])\n/.test(s),
  '\\r\\n': (s) => s.includes('\r\n'),
  tab: (s) => s.includes('\t'),
  backslash: (s) => s.includes('\\'),
  'exactly \\N': (s) => s === '\\N',
  'exactly NULL': (s) => s === 'NULL',
  'a line that is exactly \\.': (s) => /\r?\n/.test(s) && s.split(/\r?\n/).includes('\\.'),
  'leading space': (s) => s.startsWith(' '),
  'trailing space': (s) => s.endsWith(' '),
  'non-BMP character': (s) => /[\u{10000}-\u{10FFFF}]/u.test(s),
  'right-to-left text': (s) => /[\u0590-\u08FF]/.test(s),
};

let root: string;
let summary: Awaited<ReturnType<typeof generateSample>>;
let songs: SongFile[];
let days: DayFile[];
let events: Rec[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sparkify-generate-'));
  summary = await generateSample({ ...small, outDir: join(root, 'a') });
  ({ songs, days } = await readTree(join(root, 'a')));
  events = days.flatMap((d) => d.records);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('determinism', () => {
  it('writes byte-identical trees for the same options', async () => {
    await generateSample({ ...small, outDir: join(root, 'b') });
    const [a, b] = await Promise.all([hashTree(join(root, 'a')), hashTree(join(root, 'b'))]);
    expect(a.size).toBe(300 + 3);
    expect([...b]).toEqual([...a]);
  });

  it('writes different data for a different seed', async () => {
    await generateSample({ ...small, seed: 43, outDir: join(root, 'c') });
    const [a, c] = await Promise.all([hashTree(join(root, 'a')), hashTree(join(root, 'c'))]);
    const sameSongPaths = [...c.keys()].filter((p) => p.startsWith('song_data/') && a.has(p));
    expect(sameSongPaths.length).toBeLessThan(5);
    for (const day of ['2018/11/2018-11-01', '2018/11/2018-11-02', '2018/11/2018-11-03']) {
      const key = `log_data/${day}-events.json`;
      expect(c.get(key)).toBeDefined();
      expect(c.get(key)).not.toBe(a.get(key));
    }
  });

  it('gzips the same day objects when asked', async () => {
    const s = await generateSample({ ...small, gzip: true, outDir: join(root, 'gz') });
    const gz = await readTree(join(root, 'gz'));
    expect(gz.days.map((d) => d.path)).toEqual(days.map((d) => `${d.path}.gz`));
    expect(gz.days.map((d) => d.text)).toEqual(days.map((d) => d.text));
    expect(gz.songs.map((d) => d.text)).toEqual(songs.map((d) => d.text));
    let bytes = 0;
    for (const p of await listFiles(join(root, 'gz'))) bytes += (await stat(join(root, 'gz', p))).size;
    expect(s.bytes).toBe(bytes);
    expect(s.bytes).toBeLessThan(summary.bytes);
  });
});

describe('summary', () => {
  it('matches what was written', async () => {
    let bytes = 0;
    for (const p of await listFiles(join(root, 'a'))) bytes += (await stat(join(root, 'a', p))).size;
    expect(summary).toEqual({
      songObjects: songs.length,
      artists: new Set(songs.map((s) => s.record.artist_id)).size,
      dayObjects: days.length,
      events: events.length,
      nextSongEvents: events.filter((e) => e.page === 'NextSong').length,
      users: 50,
      bytes,
    });
    expect(summary.songObjects).toBe(300);
    expect(summary.dayObjects).toBe(3);
    expect(summary.events).toBe(3000);
  });
});

describe('song objects', () => {
  it('are one JSON object on one line, in the Udacity layout and key order', () => {
    for (const { path, text, record } of songs) {
      const m = /^song_data\/([A-Z])\/([A-Z])\/([A-Z])\/(TR[A-Z0-9]{16})\.json$/.exec(path);
      expect(m, path).not.toBeNull();
      const [, a, b, c, track] = m as RegExpExecArray;
      expect(track.slice(2, 5)).toBe(a + b + c);
      expect(text).not.toMatch(/[\n\r]/);
      // Python json.dumps spelling: ", " and ": " separators, ASCII only.
      expect(text.startsWith('{"num_songs": 1, "artist_id": "AR')).toBe(true);
      expect(text).toMatch(/^[\x20-\x7e]*$/);
      expect(Object.keys(record)).toEqual(SONG_KEYS);
      expect(songProblems(record), path).toEqual([]);
      expect(record.artist_id).toMatch(/^AR[A-Z0-9]{16}$/);
      expect(record.song_id).toMatch(/^SO[A-Z0-9]{16}$/);
      expect(record.num_songs).toBe(1);
      expect(record.artist_latitude === null).toBe(record.artist_longitude === null);
    }
    expect(new Set(songs.map((s) => s.record.song_id)).size).toBe(songs.length);
  });

  it('have sample-like values: unknown years, empty locations, artists with several songs', () => {
    const year0 = songs.filter((s) => s.record.year === 0).length;
    expect(year0 / songs.length).toBeGreaterThan(0.45);
    expect(year0 / songs.length).toBeLessThan(0.75);
    expect(songs.some((s) => s.record.artist_location === '')).toBe(true);
    expect(songs.some((s) => typeof s.record.artist_latitude === 'number')).toBe(true);
    for (const s of songs) expect(s.record.duration as number).toBeGreaterThanOrEqual(30);
    const byArtist = new Map<unknown, Rec[]>();
    for (const { record } of songs) byArtist.set(record.artist_id, [...(byArtist.get(record.artist_id) ?? []), record]);
    expect([...byArtist.values()].some((list) => list.length > 1)).toBe(true);
    expect(byArtist.size).toBeLessThan(songs.length);
    for (const list of byArtist.values()) {
      const facts = list.map((r) => JSON.stringify([r.artist_name, r.artist_location, r.artist_latitude, r.artist_longitude]));
      expect(new Set(facts).size).toBe(1);
    }
  });
});

describe('day objects', () => {
  it('are NDJSON day files with the sample key order, ts inside their day and in order', () => {
    expect(days.map((d) => d.path)).toEqual([
      'log_data/2018/11/2018-11-01-events.json',
      'log_data/2018/11/2018-11-02-events.json',
      'log_data/2018/11/2018-11-03-events.json',
    ]);
    for (const { path, text, records } of days) {
      const start = Date.parse(`${path.slice(17, 27)}T00:00:00Z`);
      expect(records.length, path).toBeGreaterThan(0);
      // Like the sample: ASCII only, `\/` escaped, no newline after the last line.
      expect(text).toMatch(/^[\x20-\x7e\n]*$/);
      expect(text.endsWith('\n')).toBe(false);
      expect(text.replace(/\\\//g, '')).not.toContain('/');
      let previous = -Infinity;
      for (const line of text.split('\n')) expect(line).toMatch(/"registration":(null|\d{13}\.0),/);
      for (const e of records) {
        expect(Object.keys(e)).toEqual(EVENT_KEYS);
        expect(eventProblems(e), JSON.stringify(e)).toEqual([]);
        const ts = e.ts as number;
        expect(ts).toBeGreaterThanOrEqual(start);
        expect(ts).toBeLessThan(start + DAY_MS);
        expect(ts).toBeGreaterThanOrEqual(previous);
        previous = ts;
      }
    }
  });

  it('have sessions with unique (sessionId, itemInSession), items from 0 and non-decreasing ts', () => {
    const sessions = new Map<number, Rec[]>();
    for (const e of events) sessions.set(e.sessionId as number, [...(sessions.get(e.sessionId as number) ?? []), e]);
    const keys = new Set(events.map((e) => `${e.sessionId}/${e.itemInSession}`));
    expect(keys.size).toBe(events.length);
    for (const [id, list] of sessions) {
      const items = list.map((e) => e.itemInSession);
      expect(items, `session ${id}`).toEqual(list.map((_, i) => i));
      for (let i = 1; i < list.length; i++) expect(list[i].ts as number).toBeGreaterThanOrEqual(list[i - 1].ts as number);
      expect(new Set(list.map((e) => e.userId).filter((u) => u !== '')).size).toBeLessThanOrEqual(1);
    }
    expect(sessions.size).toBeGreaterThan(100);
  });

  it('use the page mix, methods and statuses of the sample', () => {
    const pages = new Map<string, number>();
    for (const e of events) {
      pages.set(e.page as string, (pages.get(e.page as string) ?? 0) + 1);
      expect([e.method, e.status], e.page as string).toEqual(PAGE_METHOD_STATUS[e.page as string]);
      const song = e.page === 'NextSong';
      expect(e.song !== null && e.artist !== null && e.length !== null).toBe(song);
      expect(e.song === null && e.artist === null && e.length === null).toBe(!song);
      expect(['free', 'paid']).toContain(e.level);
    }
    const share = (pages.get('NextSong') ?? 0) / events.length;
    expect(share).toBeGreaterThan(0.78);
    expect(share).toBeLessThan(0.9);
    for (const p of ['Home', 'Login', 'Logout', 'Settings', 'Help', 'About', 'Upgrade', 'Downgrade', 'Submit Upgrade']) {
      expect(pages.get(p) ?? 0, p).toBeGreaterThan(0);
    }
  });

  it('have logged-out events with an empty userId and null user fields', () => {
    const out = events.filter((e) => e.auth === 'Logged Out');
    expect(out.length).toBeGreaterThan(0);
    expect(out.length / events.length).toBeLessThan(0.1);
    for (const e of out) {
      expect(e.userId).toBe('');
      for (const f of ['firstName', 'gender', 'lastName', 'location', 'registration', 'userAgent']) expect(e[f]).toBeNull();
      expect(['Home', 'Login', 'About', 'Help']).toContain(e.page);
    }
    for (const e of events.filter((x) => x.auth === 'Logged In')) {
      expect(e.userId).toMatch(/^[1-9]\d*$/);
      expect(Number(e.userId)).toBeLessThanOrEqual(50);
      expect(e.registration as number).toBeLessThan(e.ts as number);
      expect(e.userAgent).toMatch(/^(".*,.*"|[^",]+)$/);
      expect(e.location).toMatch(/, [A-Z]{2}(-[A-Z]{2})*$/);
    }
  });

  it('keep each user’s profile fixed and change level only right after a Submit page', () => {
    const byUser = new Map<string, Rec[]>();
    for (const e of events) if (e.userId !== '') byUser.set(e.userId as string, [...(byUser.get(e.userId as string) ?? []), e]);
    let changed = 0;
    for (const [user, list] of byUser) {
      const profiles = list.map((e) => JSON.stringify([e.firstName, e.lastName, e.gender, e.location, e.userAgent, e.registration]));
      expect(new Set(profiles).size, user).toBe(1);
      for (let i = 1; i < list.length; i++) {
        if (list[i].level !== list[i - 1].level) {
          expect(list[i - 1].page).toBe(list[i].level === 'paid' ? 'Submit Upgrade' : 'Submit Downgrade');
        }
      }
      if (list[0].level !== list[list.length - 1].level) changed++;
    }
    // The latest level of a user is not always the first.
    expect(changed).toBeGreaterThan(0);
    expect(byUser.size).toBeGreaterThan(30);
  });
});

describe('songs played', () => {
  it('mostly match a song object exactly on (title, artist_name, duration), with some misses', () => {
    const catalogue = new Set(songs.map(({ record: s }) => JSON.stringify([s.title, s.artist_name, s.duration])));
    const plays = events.filter((e) => e.page === 'NextSong');
    const hits = plays.filter((e) => catalogue.has(JSON.stringify([e.song, e.artist, e.length]))).length;
    expect(hits / plays.length).toBeGreaterThanOrEqual(0.85);
    expect(hits / plays.length).toBeLessThanOrEqual(0.95);
    // Skewed popularity: the most played song is played far more than the median one.
    const counts = new Map<unknown, number>();
    for (const e of plays) counts.set(e.song, (counts.get(e.song) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    expect(sorted[0]).toBeGreaterThan(5 * sorted[sorted.length >> 1]);
  });
});

describe('nasty strings', () => {
  it('occur in titles, artist names and locations, and reach the events', () => {
    const values = songs.flatMap(({ record: s }) => [s.title, s.artist_name, s.artist_location] as string[]);
    for (const [kind, test] of Object.entries(NASTY_KINDS)) expect(values.some(test), kind).toBe(true);
    for (const field of ['title', 'artist_name', 'artist_location']) {
      const fieldValues = songs.map(({ record }) => record[field] as string);
      const kinds = Object.values(NASTY_KINDS).filter((test) => fieldValues.some(test)).length;
      expect(kinds, field).toBeGreaterThanOrEqual(8);
    }
    const played = events.flatMap((e) => [e.song, e.artist]).filter((v): v is string => typeof v === 'string');
    for (const kind of ['bare \\n', '\\r\\n', 'non-BMP character', 'right-to-left text', 'a line that is exactly \\.']) {
      expect(played.some(NASTY_KINDS[kind]), kind).toBe(true);
    }
    expect(events.some((e) => typeof e.lastName === 'string' && /[^A-Za-z]/.test(e.lastName))).toBe(true);
  });
});
