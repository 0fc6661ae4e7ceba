/**
 * The same hostile objects staged with 0, 1 and 2 worker threads — in pieces
 * of a few KiB, so that piece boundaries fall everywhere — give the same
 * staged rows, the same rejects (reason, line, raw text, in the same order),
 * the same bookkeeping and the same counts. The objects: a streamed NDJSON
 * object with a byte order mark, CRLF and every kind of bad line; one with a
 * line longer than the record limit in the middle (an array of 400
 * records, read on the main thread between pieces read by workers) and one
 * such line that is a single record (a reject); gzip (read whole); a
 * document (never sent to a worker); a malformed document; a body that is not
 * gzip; a small object and songs. The record limit is 64 KiB here (16 MiB by
 * default), so that long lines are short to write. Then the built CLI with
 * `--workers 2` and the default limit.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { createDatabase } from '../support/services.ts';
import { testConfig } from '../support/in-process.ts';
import { json, runCli } from '../support/cli.ts';
import { openWarehouse } from '../../src/warehouse/connect.ts';
import { createTables } from '../../src/warehouse/tables.ts';
import { runEtl, type EtlSummary } from '../../src/run/etl.ts';
import { silentLogger } from '../../src/common/log.ts';
import { postgresBackend } from '../../src/stage/postgres-backend.ts';

const event = (i: number, over: Record<string, unknown> = {}) =>
  JSON.stringify({ artist: `Artist ${i % 13} é`, auth: 'Logged In', firstName: 'F', gender: 'F', itemInSession: i, lastName: 'L', length: 200.5 + i, level: i % 3 ? 'paid' : 'free', location: 'X, Y', method: 'PUT', page: 'NextSong', registration: 1540919166796.0, sessionId: 7 + (i % 5), song: `Song \u00fc ${i}`, status: 200, ts: 1541105830796 + i, userAgent: '"UA"', userId: String(i % 40), ...over });

/** Every kind of bad line, in turn with good ones. */
function hostileLine(i: number): Buffer {
  switch (i % 16) {
    case 1:
      return Buffer.from('{"ts": 1541105830796, "sessionId": ');
    case 3:
      return Buffer.from(event(i, { itemInSession: 'two' }));
    case 5:
      return Buffer.from(event(i, { song: 'nul\u0000inside' }));
    case 6:
      return Buffer.concat([Buffer.from(event(i).slice(0, -2)), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    case 7:
      return Buffer.from(event(i, { ts: 123456789012345678901234567890 }));
    case 9:
      return Buffer.from(['"just a string"', '42', '{}', '', '   ', '\r'][Math.floor(i / 16) % 6]);
    case 10:
      return Buffer.from(event(i, { userId: 'abc' }));
    case 11:
      return Buffer.from(`[${event(i)}, 5, ${event(i + 1, { page: 'Home' })}]`);
    case 12:
      return Buffer.from(event(i).replace('"sessionId":', '"sessionId":9223372036854775807, "x":'));
    case 13:
      return Buffer.from(event(i).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
    case 14:
      return Buffer.from(event(i, { sessionId: '7' }));
    default:
      return Buffer.from(event(i));
  }
}

function lines(from: number, count: number, eol: (i: number) => string): Buffer {
  const out: Buffer[] = [];
  for (let i = from; i < from + count; i++) out.push(hostileLine(i), Buffer.from(eol(i)));
  return Buffer.concat(out);
}

function hostileFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'sparkify-workers-'));
  const logs = join(root, 'log_data', '2018', '11');
  const songs = join(root, 'song_data', 'A', 'B');
  mkdirSync(logs, { recursive: true });
  mkdirSync(songs, { recursive: true });
  // Streamed (over 256 KiB): a byte order mark, LF and CRLF, no line end at the very end.
  const day1 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), lines(0, 2000, (i) => (i % 3 ? '\n' : '\r\n')), Buffer.from(event(99999))]);
  writeFileSync(join(logs, '2018-11-01-events.json'), day1);
  // A line over the record limit between good ones: an array of records (each staged) and a single record (a reject).
  const records = Array.from({ length: 400 }, (_, k) => event(100000 + k)).join(',');
  writeFileSync(join(logs, '2018-11-02-events.json'), Buffer.concat([lines(2000, 700, () => '\n'), Buffer.from(`[${records}]\n`), lines(2700, 700, () => '\n'), Buffer.from(event(3, { song: 'x'.repeat(100 * 1024) })), Buffer.from('\n'), lines(3400, 300, () => '\n')]));
  // gzip: listed small, read whole.
  writeFileSync(join(logs, '2018-11-03-events.json.gz'), gzipSync(lines(4000, 3000, () => '\n')));
  // A document over 256 KiB (streamed, never in pieces), and a malformed one.
  writeFileSync(join(logs, '2018-11-04-events.json'), JSON.stringify(Array.from({ length: 1500 }, (_, i) => JSON.parse(event(8000 + i))), null, 2));
  writeFileSync(join(logs, '2018-11-05-events.json'), `[\n  ${event(30)},\n  {"broken": \n]\n`);
  writeFileSync(join(logs, '2018-11-06-events.json.gz'), Buffer.from('this is not gzip at all'));
  writeFileSync(join(logs, '2018-11-07-events.json'), lines(9000, 40, () => '\n'));
  const song = (over: Record<string, unknown>) => JSON.stringify({ num_songs: 1, artist_id: 'AR1', artist_latitude: null, artist_longitude: null, artist_location: '', artist_name: 'N', song_id: 'SO1', title: 'T', duration: 1.5, year: 0, ...over });
  writeFileSync(join(songs, 'TRAB1.json'), song({}));
  writeFileSync(join(songs, 'TRAB2.json'), song({ song_id: null }));
  return root;
}

interface Staged {
  summary: Pick<EtlSummary, 'status' | 'objects' | 'records'>;
  tables: Record<string, unknown[]>;
}

/** What a run left: every staged row, every reject in the order written, every object's bookkeeping. */
async function contents(url: string, summary: EtlSummary): Promise<Staged> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const q = async (sql: string) => (await client.query({ text: sql, rowMode: 'array' })).rows;
    return {
      summary: { status: summary.status, objects: summary.objects, records: summary.records },
      tables: {
        events: await q(`SELECT * FROM stg_events ORDER BY source_key, source_line, item_in_session, ts, session_id`),
        songs: await q(`SELECT * FROM stg_songs ORDER BY source_key, source_line`),
        rejects: await q(`SELECT dataset, source_key, source_line, field, reason, raw_text, raw_escaped, raw_truncated FROM etl_rejects ORDER BY source_key, reject_id`),
        objects: await q(`SELECT source_key, rows_staged, rejects, format FROM etl_objects ORDER BY source_key`),
      },
    };
  } finally {
    await client.end();
  }
}

async function stageWith(root: string, workers: number, pieceBytes: number | undefined): Promise<Staged> {
  const url = await createDatabase(`workers${workers}`);
  const config = testConfig({ target: url, songs: join(root, 'song_data'), logs: join(root, 'log_data'), maxErrors: '1000000' });
  const wh = await openWarehouse(config, silentLogger);
  try {
    await createTables(wh);
    const summary = await runEtl(wh, config, 'etl', {
      log: silentLogger,
      // Whole objects go to the workers too (minObjectBytes 0); small pieces put boundaries everywhere.
      backend: (w, runId, _s3, neverLoaded) => postgresBackend(w, runId, neverLoaded, { workers, pieceBytes, minObjectBytes: 0, maxRecordBytes: 64 * 1024 }),
    });
    return await contents(url, summary);
  } finally {
    await wh.close();
  }
}

describe('worker threads', () => {
  it('stage exactly what one thread stages, hostile input included', async () => {
    const root = hostileFolder();
    const one = await stageWith(root, 0, undefined);
    // The reference itself: the long array line's records are staged, the long single record is not.
    expect(one.summary.records.staged).toBeGreaterThan(400 + 5000);
    expect(one.tables.rejects.some((r) => String((r as unknown[])[4]).startsWith('record is'))).toBe(true);
    expect(one.tables.rejects.some((r) => String((r as unknown[])[4]).includes('not valid UTF-8'))).toBe(true);
    expect(one.tables.objects.find((o) => String((o as unknown[])[0]).endsWith('04-events.json'))).toEqual(['log_data/2018/11/2018-11-04-events.json', '1500', '0', 'document']);
    for (const [workers, pieceBytes] of [[1, 3000], [2, 4096], [2, undefined]] as const) {
      const other = await stageWith(root, workers, pieceBytes);
      expect(other.summary, `${workers} workers, pieces of ${pieceBytes ?? 'default'} bytes`).toEqual(one.summary);
      for (const table of Object.keys(one.tables)) expect(other.tables[table], `${table}, ${workers} workers, pieces of ${pieceBytes ?? 'default'} bytes`).toEqual(one.tables[table]);
    }

    // The built CLI (default record limit): --workers 2 stages what --workers 0 does, and the summary says what CPU the run took.
    const cli: Staged[] = [];
    for (const workers of ['0', '2']) {
      const url = await createDatabase(`workers_cli${workers}`);
      const r = await runCli(['run', '--target', url, '--songs', join(root, 'song_data'), '--logs', join(root, 'log_data'), '--workers', workers, '--max-errors', '1000000', '--skip-checks', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(json(r).cpuMs).toBeGreaterThan(0);
      cli.push(await contents(url, json(r)));
    }
    expect(cli[1].summary).toEqual(cli[0].summary);
    for (const table of Object.keys(one.tables)) expect(cli[1].tables[table], table).toEqual(cli[0].tables[table]);
  });
});
