/**
 * Redshift ignores trailing blanks when it compares VARCHARs, in `=`, joins,
 * IN, GROUP BY, PARTITION BY and DISTINCT (DG:r_Character_types); Postgres
 * does not. The stand-in compares the Redshift way (varchar-type.ts), so the
 * star schema built there must equal the one Postgres builds from the same
 * data, where song ids, titles and artist names differ only by a trailing
 * blank — in a full build, in an incremental one, and in the checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { json, runCli } from '../support/cli.ts';
import { createDatabase } from '../support/services.ts';
import { redshiftTestBed, ROLE, type RedshiftTestBed } from './setup.ts';

let bed: RedshiftTestBed;
beforeAll(async () => {
  bed = await redshiftTestBed(false);
});
afterAll(async () => bed.close());

const song = (song_id: string, title: string, artist_id: string, artist_name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ num_songs: 1, artist_id, artist_latitude: null, artist_longitude: null, artist_location: extra.location ?? '', artist_name, song_id, title, duration: 100.5, year: 2000, ...extra });
const play = (i: number, song: string, artist: string, over: Record<string, unknown> = {}) =>
  JSON.stringify({ artist, auth: 'Logged In', firstName: 'A', gender: 'F', itemInSession: i, lastName: 'B', length: 100.5, level: 'free', location: 'X', method: 'PUT', page: 'NextSong', registration: 1540000000000, sessionId: 7, song, status: 200, ts: 1541105830796 + i * 1000, userAgent: 'ua', userId: '5', ...over });

/** Every star table, sorted by the bytes of each row (blanks count). */
async function tables(url: string, schema: string): Promise<Record<string, string[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const out: Record<string, string[]> = {};
    for (const [table, columns] of Object.entries({
      songplays: 'start_time::text, user_id, level::text, song_id::text, artist_id::text, session_id, item_in_session',
      users: 'user_id, first_name::text, last_name::text, gender::text, level::text',
      songs: 'song_id::text, title::text, artist_id::text, year, duration',
      artists: 'artist_id::text, name::text, location::text, latitude, longitude',
      time: 'start_time::text, hour, day, week, month, year, weekday',
    })) {
      const { rows } = await client.query({ text: `SELECT ${columns} FROM "${schema}"."${table}"`, rowMode: 'array' });
      out[table] = rows.map((r) => JSON.stringify(r)).sort();
    }
    return out;
  } finally {
    await client.end();
  }
}

describe('trailing blanks on Redshift', () => {
  it('builds the same star schema as Postgres when keys, titles and names differ only by a trailing blank', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'blanks-'));
    const songs = join(dir, 'song_data');
    const logs = join(dir, 'log_data');
    await mkdir(songs);
    await mkdir(logs);
    const put = (path: string, text: string) => writeFile(path, `${text}\n`);
    await put(join(songs, 'a.json'), song('SOA', 'Hello', 'AR1', 'Band', { location: 'Here' }));
    await put(join(songs, 'b.json'), song('SOA ', 'Hello ', 'AR1 ', 'Band ', { location: 'There' }));
    await put(join(songs, 'c.json'), song('SOB', 'Hello', 'AR1', 'Band'));
    await put(join(songs, 'd.json'), song('SOC', 'Bye', 'AR2', 'Duo'));
    await put(join(songs, 'e.json'), song('SOC ', 'Bye', 'AR2', 'Duo'));
    await put(join(logs, '2018-11-01-events.json'), [play(1, 'Hello', 'Band'), play(2, 'Hello ', 'Band '), play(3, 'Hello', 'Band '), play(4, 'Bye', 'Duo'), play(5, 'Bye ', 'Duo', { userId: '6', level: 'paid ' })].join('\n'));

    const rs = await bed.cluster('blanks');
    const pgUrl = await createDatabase('blanks_pg');
    const load = async (target: string, extra: string[]) => {
      const r = await runCli(['run', '--target', target, '--schema', 'dwh', '--songs', songs, '--logs', logs, '--json', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      return json(r);
    };
    const redshiftFlags = ['--iam-role', ROLE, '--staging-prefix', `s3://${bed.stagingBucket}/tmp/blanks`, '--s3-endpoint', (await import('../support/services.ts')).s3Endpoint(), '--s3-path-style'];
    const env = (await import('../support/cli.ts')).s3Env();
    const onRedshift = async () => {
      const r = await runCli(['run', '--target', rs.target, '--schema', 'dwh', '--songs', songs, '--logs', logs, '--json', ...redshiftFlags], { env });
      expect(r.code, r.stderr).toBe(0);
      return json(r);
    };
    const full = await onRedshift();
    expect(full.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    await load(pgUrl, []);
    const expected = await tables(pgUrl, 'dwh');
    // By play: 'Hello'/'Band' is SOA (lowest of SOA and SOB), 'Hello '/'Band ' only SOA-with-a-blank, 'Hello'/'Band ' none, 'Bye'/'Duo' SOC, 'Bye '/'Duo' none.
    expect(expected.songplays.map((r) => JSON.parse(r)[3])).toEqual(['SOA', 'SOA ', null, 'SOC', null]);
    expect(await tables(rs.upstream, 'dwh')).toEqual(expected);

    // Incremental: a re-delivered song with a trailing blank in its id changes only its own rows.
    await put(join(songs, 'e.json'), song('SOC ', 'Bye ', 'AR2', 'Duo'));
    await put(join(songs, 'f.json'), song('SOD', 'Hello ', 'AR1 ', 'Band '));
    const again = await onRedshift();
    expect(again.model.mode).toBe('incremental');
    expect(again.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    await load(pgUrl, []);
    expect(await tables(rs.upstream, 'dwh')).toEqual(await tables(pgUrl, 'dwh'));
  });
});
