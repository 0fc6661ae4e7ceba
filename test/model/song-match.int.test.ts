/**
 * An event's song is the current song whose title, artist name and duration
 * its own equal (SPEC §4: songs match against their current version). When a
 * daily run changes a song's current version, the events of the version it
 * leaves must be matched again as well as those of the version it takes, even
 * where the version it leaves sits in an object the run did not touch. Each
 * step changes one song object, checks every songplay's song after the daily
 * run, and checks that a full refresh agrees, on the song match the ledger
 * keeps between runs (etl_song_match) too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase } from '../support/services.ts';
import { etl } from '../support/in-process.ts';

const NOV_1 = Date.UTC(2018, 10, 1);

function song(id: string, title: string): string {
  return JSON.stringify({ num_songs: 1, artist_id: 'ARMATCH0000000001', artist_latitude: null, artist_longitude: null, artist_location: '', artist_name: 'Matcher', song_id: id, title, duration: 180.25, year: 0 });
}

/** A play of `title` by Matcher, 180.25 s long, in session `sessionId`. */
function play(sessionId: number, title: string): string {
  return JSON.stringify({
    artist: 'Matcher',
    auth: 'Logged In',
    firstName: 'Ann',
    gender: 'F',
    itemInSession: 0,
    lastName: 'Lee',
    length: 180.25,
    level: 'free',
    location: 'Somewhere, CA',
    method: 'PUT',
    page: 'NextSong',
    registration: 1540000000000,
    sessionId,
    song: title,
    status: 200,
    ts: NOV_1 + sessionId * 60_000,
    userAgent: 'Mozilla/5.0',
    userId: '7',
  });
}

describe("events' songs in daily runs", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparkify-song-match-'));
  // Keys in order: song_data/A/… sorts before song_data/Z/…, so a Z copy of a song is its current version.
  const songFile = (folder: 'A' | 'Z', id: string) => join(dir, 'song_data', folder, `${id}.json`);
  const flags: Record<string, string | boolean> = { songs: join(dir, 'song_data'), logs: join(dir, 'log_data'), prune: true };
  let db: pg.Client;

  /** Each session's song (sessions 1, 2 and 3 play Before, After and Other). */
  const songs = async () => Object.fromEntries((await db.query('SELECT session_id, song_id FROM songplays ORDER BY session_id')).rows.map((r) => [Number(r.session_id), r.song_id as string | null]));
  /** The song match the ledger keeps between runs. */
  const kept = async () => (await db.query('SELECT title, artist_name, duration, song_id, artist_id FROM etl_song_match ORDER BY title, song_id')).rows;
  /** A daily run, each session's song after it, then a full refresh that must agree (on the kept match too). */
  async function daily(): Promise<Record<number, string | null>> {
    const run = await etl(flags);
    expect(run.status).toBe('ok');
    expect(run.model?.mode).toBe('incremental');
    const after = await songs();
    const match = await kept();
    expect((await etl({ ...flags, fullRefresh: true })).status).toBe('ok');
    expect(await songs()).toEqual(after);
    expect(await kept()).toEqual(match);
    return after;
  }

  beforeAll(async () => {
    for (const folder of ['A', 'Z']) mkdirSync(join(dir, 'song_data', folder), { recursive: true });
    writeFileSync(songFile('A', 'SOMATCH0000000001'), song('SOMATCH0000000001', 'Before'));
    writeFileSync(songFile('A', 'SOMATCH0000000002'), song('SOMATCH0000000002', 'Other'));
    mkdirSync(join(dir, 'log_data'), { recursive: true });
    writeFileSync(join(dir, 'log_data', '2018-11-01-events.json'), [play(1, 'Before'), play(2, 'After'), play(3, 'Other')].join('\n') + '\n');
    flags.target = await createDatabase('song_match');
    expect((await etl(flags)).status).toBe('ok');
    db = new pg.Client({ connectionString: flags.target as string });
    await db.connect();
    expect(await songs()).toEqual({ 1: 'SOMATCH0000000001', 2: null, 3: 'SOMATCH0000000002' });
  });
  afterAll(async () => {
    await db?.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a newer copy of a song in a new object takes its events from the title it leaves', async () => {
    writeFileSync(songFile('Z', 'SOMATCH0000000001'), song('SOMATCH0000000001', 'After'));
    expect(await daily()).toEqual({ 1: null, 2: 'SOMATCH0000000001', 3: 'SOMATCH0000000002' });
  });

  it('that copy delivered again with a title another song has: the lower song_id wins it', async () => {
    writeFileSync(songFile('Z', 'SOMATCH0000000001'), song('SOMATCH0000000001', 'Other'));
    expect(await daily()).toEqual({ 1: null, 2: null, 3: 'SOMATCH0000000001' });
  });

  it('that copy pruned: the older copy is current again, and its events match it again', async () => {
    rmSync(songFile('Z', 'SOMATCH0000000001'));
    expect(await daily()).toEqual({ 1: 'SOMATCH0000000001', 2: null, 3: 'SOMATCH0000000002' });
  });

  it('tables made before the song match was kept: the next daily run makes it, also when it changes songs', async () => {
    await db.query('DROP TABLE etl_song_match');
    writeFileSync(join(dir, 'log_data', '2018-11-02-events.json'), play(4, 'Other') + '\n');
    expect(await daily()).toEqual({ 1: 'SOMATCH0000000001', 2: null, 3: 'SOMATCH0000000002', 4: 'SOMATCH0000000002' });
    await db.query('DROP TABLE etl_song_match');
    writeFileSync(songFile('Z', 'SOMATCH0000000002'), song('SOMATCH0000000002', 'After'));
    expect(await daily()).toEqual({ 1: 'SOMATCH0000000001', 2: 'SOMATCH0000000002', 3: null, 4: null });
  });
});
