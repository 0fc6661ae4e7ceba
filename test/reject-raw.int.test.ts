/**
 * Rejects keep the source's own bytes (issue #15, item 7): a document
 * element's or an array element's text as written (duplicate keys, number
 * spelling, escapes, spaces), raw_truncated exactly when the text was cut,
 * and a broken gzip object's compressed bytes — on the path of small objects
 * (read whole, batched) and of large ones (streamed into their own COPY).
 * And a document's elements carry their position as their line.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { createDatabase } from './support/services.ts';
import { json, runCli } from './support/cli.ts';

const E = (i: number) => `{"ts":1541030400000,"sessionId":1,"itemInSession":${i},"page":"NextSong","userId":"5"}`;
/** Fails validation (itemInSession), spelled the way no serialiser would write it. */
const ODD = '{ "ts" : 1.5410304e12, "sessionId":1, "sessionId":2, "itemInSession":"x", "page":"NextSong", "s":"\\u00e9\\/" }';

describe('reject raw text', () => {
  it('is the source bytes, cut only where it says so', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sparkify-raw-'));
    const logs = join(root, 'log_data');
    mkdirSync(logs);
    const file = (name: string, body: string | Buffer) => writeFileSync(join(logs, name), body);
    file('a-document.json', `[\n  ${E(0)},\n  ${ODD}\n]\n`);
    file('b-ndjson-array.json', `${E(0)}\n[${E(1)}, ${ODD}]\n`);
    const longLine = `{"a":"${'y'.repeat(300_000)}",}`; // malformed, and the object is over 256 KiB: streamed
    file('c-long-line.json', `${E(0)}\n${longLine}\n${E(2)}\n`);
    const bigDocument = `[\n${`${E(0)},\n`.repeat(1000)}{"broken"\n]\n`; // ~90 KB: read whole
    file('d-big-document.json', bigDocument);
    const hugeDocument = `[\n${`${E(0)},\n`.repeat(3500)}{"broken"\n]\n`; // ~300 KB: streamed
    file('g-huge-document.json', hugeDocument);
    file('e-not-gzip.json.gz', 'this is not gzip at all');
    const gz = gzipSync(`${E(0)}\n`.repeat(50));
    file('f-cut-gzip.json.gz', gz.subarray(0, gz.length - 12));

    const url = await createDatabase('reject_raw');
    const r = await runCli(['run', '--target', url, '--logs', logs, '--json', '--max-errors', '100']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).objects).toMatchObject({ loaded: 7, failed: 0 });

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const rejects = (await client.query(`SELECT source_key, source_line::int AS line, reason, raw_text, raw_escaped, raw_truncated FROM etl_rejects ORDER BY source_key, source_line`)).rows;
      const of = (name: string) => rejects.filter((x) => x.source_key === `log_data/${name}`);
      expect(of('a-document.json')).toEqual([{ source_key: 'log_data/a-document.json', line: 2, reason: expect.stringMatching(/itemInSession/), raw_text: ODD, raw_escaped: false, raw_truncated: false }]);
      expect(of('b-ndjson-array.json')).toMatchObject([{ line: 2, raw_text: ODD, raw_truncated: false }]);
      expect(of('c-long-line.json')).toMatchObject([{ line: 2, reason: expect.stringMatching(/^malformed JSON/), raw_text: longLine.slice(0, 65536), raw_truncated: true }]);
      expect(of('d-big-document.json')).toMatchObject([{ line: 1, reason: expect.stringMatching(/^malformed JSON document/), raw_text: bigDocument.slice(0, 65536), raw_truncated: true }]);
      expect(of('g-huge-document.json')).toMatchObject([{ line: 1, reason: expect.stringMatching(/^malformed JSON document/), raw_text: hugeDocument.slice(0, 65536), raw_truncated: true }]);
      expect(of('e-not-gzip.json.gz')).toMatchObject([{ reason: expect.stringMatching(/not valid gzip/), raw_text: 'this is not gzip at all', raw_escaped: false, raw_truncated: false }]);
      const cut = of('f-cut-gzip.json.gz');
      expect(cut).toMatchObject([{ reason: expect.stringMatching(/not valid gzip/), raw_escaped: true, raw_truncated: false }]);
      // The escaped text gives back the object's bytes exactly.
      expect(unescape(cut[0].raw_text)).toEqual(gz.subarray(0, gz.length - 12));
      const staged = (await client.query(`SELECT source_key, source_line::int AS line FROM stg_events ORDER BY source_key, source_line`)).rows.map((x) => `${x.source_key.slice(9)}:${x.line}`);
      expect(staged).toEqual(['a-document.json:1', 'b-ndjson-array.json:1', 'b-ndjson-array.json:2', 'c-long-line.json:1', 'c-long-line.json:3']);
    } finally {
      await client.end();
    }
  });
});

/** Reverses the raw text escaping of SPEC §3: `\\` → `\`, `\xNN` → the byte. */
function unescape(text: string): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (const m of text.matchAll(/\\\\|\\x([0-9a-f]{2})/g)) {
    out.push(Buffer.from(text.slice(at, m.index), 'utf8'), m[1] ? Buffer.from([parseInt(m[1], 16)]) : Buffer.from('\\'));
    at = m.index + m[0].length;
  }
  out.push(Buffer.from(text.slice(at), 'utf8'));
  return Buffer.concat(out);
}

describe('document lineage (SPEC §2, issue #15 item 10)', () => {
  it("gives each element its position as source_line, so the later copy of an event in one document wins", async () => {
    const root = mkdtempSync(join(tmpdir(), 'sparkify-position-'));
    const logs = join(root, 'log_data');
    mkdirSync(logs);
    const copy = (level: string) => `{"ts":1541030400000,"sessionId":7,"itemInSession":1,"page":"NextSong","userId":"5","level":"${level}"}`;
    writeFileSync(join(logs, 'day.json'), `[\n  ${copy('free')},\n  ${copy('paid')}\n]\n`);
    const url = await createDatabase('position');
    const r = await runCli(['run', '--target', url, '--logs', logs, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query(`SELECT source_line::int AS line, level FROM stg_events ORDER BY source_line`)).rows).toEqual([
        { line: 1, level: 'free' },
        { line: 2, level: 'paid' },
      ]);
      expect((await client.query(`SELECT level FROM songplays`)).rows).toEqual([{ level: 'paid' }]);
    } finally {
      await client.end();
    }
  });
});
