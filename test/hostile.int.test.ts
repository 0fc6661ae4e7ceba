/**
 * Hostile objects: the good records load, every bad one is in etl_rejects
 * with its object, line and a reason naming the field, and the run exits 3.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { createDatabase } from './support/services.ts';
import { json, runCli } from './support/cli.ts';

const event = (i: number, over: Record<string, unknown> = {}) =>
  JSON.stringify({ artist: 'A', auth: 'Logged In', firstName: 'F', gender: 'F', itemInSession: i, lastName: 'L', length: 200.5, level: 'paid', location: 'X, Y', method: 'PUT', page: 'NextSong', registration: 1540919166796.0, sessionId: 7, song: 'S', status: 200, ts: 1541105830796 + i, userAgent: '"UA"', userId: '12', ...over });

function hostileFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'sparkify-hostile-'));
  const logs = join(root, 'log_data', '2018', '11');
  const songs = join(root, 'song_data', 'A', 'B');
  mkdirSync(logs, { recursive: true });
  mkdirSync(songs, { recursive: true });
  const big = 'ü'.repeat(1024 * 1024); // a 2 MB line that is a good record
  const lines = [
    event(0), // 1 good
    '{"ts": 1541105830796, "sessionId": ', // 2 malformed
    event(2, { itemInSession: 'two' }), // 3 wrong type
    event(3, { song: 'nul\u0000inside' }), // 4 NUL escaped in JSON
    Buffer.concat([Buffer.from(event(4).slice(0, -2)), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), // 5 invalid UTF-8
    event(5, { ts: 123456789012345678901234567890 }), // 6 huge number
    '"just a string"', // 7 not an object
    '42', // 8 not an object
    '{}', // 9 an empty object: required fields missing
    event(9, { song: big }), // 10 good, 2 MB
    '', // 11 blank: ignored
    event(11, { userId: 'abc' }), // 12 bad userId
    '[' + event(12) + ', 5]', // 13 array: one good element, one reject
    event(14).replace('"sessionId":7', '"sessionId":9223372036854775807'), // 14 good, int64 max kept exactly
  ];
  writeFileSync(join(logs, '2018-11-01-events.json'), Buffer.concat(lines.map((l) => Buffer.concat([Buffer.from(l), Buffer.from('\r\n')]))));
  writeFileSync(join(logs, '2018-11-02-events.json'), ''); // empty object: nothing to load
  writeFileSync(join(logs, '2018-11-03-events.json.gz'), gzipSync(`\uFEFF${event(20)}\n${event(21)}\n`));
  writeFileSync(join(logs, '2018-11-04-events.json'), '[\n  ' + event(30) + ',\n  {"broken": \n]\n'); // malformed document
  writeFileSync(join(logs, '2018-11-05-events.json.gz'), Buffer.from('this is not gzip at all'));
  const song = (over: Record<string, unknown>) => JSON.stringify({ num_songs: 1, artist_id: 'AR1', artist_latitude: null, artist_longitude: null, artist_location: '', artist_name: 'N', song_id: 'SO1', title: 'T', duration: 1.5, year: 0, ...over });
  writeFileSync(join(songs, 'TRAB1.json'), song({}));
  writeFileSync(join(songs, 'TRAB2.json'), song({ song_id: null }));
  writeFileSync(join(songs, 'TRAB3.json'), '{\n  "song_id": "SO3",\n  "artist_id": "AR3",\n  "year": "1999"\n}\n'); // a document with a bad type
  return root;
}

describe('hostile input', () => {
  it('loads the good records, keeps every bad one with its raw text, and exits 3', async () => {
    const root = hostileFolder();
    const url = await createDatabase('hostile');
    const r = await runCli(['run', '--target', url, '--songs', join(root, 'song_data'), '--logs', join(root, 'log_data'), '--json']);
    expect(r.code, r.stderr).toBe(3);
    const s = json(r);
    expect(s.status).toBe('rejects');
    expect(s.objects).toMatchObject({ listed: 8, loaded: 8, failed: 0 });
    expect(s.records).toEqual({ staged: 7, rejected: 14 });
    expect(r.stderr).toMatch(/rejected log_data\/2018\/11\/2018-11-01-events\.json line 3: field "itemInSession" must be an integer/);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const rejects = (await client.query(`SELECT source_key, source_line::int AS source_line, field, reason, raw_text, raw_escaped, raw_truncated FROM etl_rejects ORDER BY source_key, source_line, reject_id`)).rows;
    const day1 = rejects.filter((x) => x.source_key === 'log_data/2018/11/2018-11-01-events.json');
    expect(day1.map((x) => [x.source_line, x.field])).toEqual([
      [2, null],
      [3, 'itemInSession'],
      [4, 'song'],
      [5, null],
      [6, 'ts'],
      [7, null],
      [8, null],
      [9, 'itemInSession'],
      [12, 'userId'],
      [13, null],
    ]);
    expect(day1[0].reason).toMatch(/^malformed JSON/);
    expect(day1[0].raw_text).toBe('{"ts": 1541105830796, "sessionId": ');
    expect(day1[3]).toMatchObject({ reason: expect.stringMatching(/not valid UTF-8/), raw_escaped: true, raw_text: expect.stringContaining('\\xc3(') });
    expect(day1[4].reason).toMatch(/out of int64 range/);
    expect(day1[6].reason).toBe('record is a number, not a JSON object');
    expect(day1[7].raw_text).toBe('{}');
    expect(day1[9]).toMatchObject({ reason: 'record is a number, not a JSON object', raw_text: '5' });
    const doc = rejects.find((x) => x.source_key === 'log_data/2018/11/2018-11-04-events.json');
    expect(doc).toMatchObject({ source_line: 1, reason: expect.stringMatching(/malformed JSON document/) });
    expect(rejects.find((x) => x.source_key === 'log_data/2018/11/2018-11-05-events.json.gz')?.reason).toMatch(/not valid gzip/);
    expect(rejects.filter((x) => x.source_key.startsWith('song_data')).map((x) => [x.source_key, x.field])).toEqual([
      ['song_data/A/B/TRAB2.json', 'song_id'],
      ['song_data/A/B/TRAB3.json', 'year'],
    ]);

    const staged = (await client.query(`SELECT source_key, source_line::int AS source_line, item_in_session, session_id::text AS session, length(song) AS song_length FROM stg_events ORDER BY source_key, source_line, item_in_session`)).rows;
    expect(staged.map((x) => [x.source_key.slice(x.source_key.endsWith('.gz') ? -23 : -22), x.source_line, x.item_in_session])).toEqual([
      ['2018-11-01-events.json', 1, 0],
      ['2018-11-01-events.json', 10, 9],
      ['2018-11-01-events.json', 13, 12],
      ['2018-11-01-events.json', 14, 14],
      ['18-11-03-events.json.gz', 1, 20],
      ['18-11-03-events.json.gz', 2, 21],
    ]);
    expect(staged.find((x) => x.item_in_session === 14).session).toBe('9223372036854775807');
    expect(staged.find((x) => x.item_in_session === 9).song_length).toBe(1024 * 1024);
    const objects = (await client.query(`SELECT source_key, rows_staged, rejects, format FROM etl_objects ORDER BY source_key`)).rows;
    expect(objects.find((o) => o.source_key.endsWith('2018-11-02-events.json'))).toMatchObject({ rows_staged: '0', rejects: '0' });
    expect(objects.find((o) => o.source_key.endsWith('2018-11-04-events.json'))).toMatchObject({ rows_staged: '0', rejects: '1', format: 'document' });
    await client.end();

    // The same load with room for the rejects is a success.
    const again = await runCli(['etl', '--target', url, '--songs', join(root, 'song_data'), '--logs', join(root, 'log_data'), '--full-refresh', '--max-errors', '14', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(json(again)).toMatchObject({ status: 'ok', records: { staged: 7, rejected: 14 } });
  });
});
