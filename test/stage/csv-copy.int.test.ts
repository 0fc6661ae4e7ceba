/**
 * Any string and any valid record survive CSV → COPY → Postgres unchanged:
 * the encoder is checked against a real server, not against itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvRow } from '../../src/stage/csv-encode.ts';
import { BINARY_HEADER, BINARY_TRAILER, BinaryRowWriter } from '../../src/stage/binary-copy.ts';
import { EVENT_FIELDS, TS_MAX, TS_MIN } from '../../src/common/datasets.ts';
import { validateRecord } from '../../src/extract/validate.ts';
import { createDatabase } from '../support/services.ts';

let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: await createDatabase('csv') });
  await client.connect();
  await client.query('CREATE TABLE strings (id int, a text, b text)');
  await client.query(`CREATE TABLE staged (${EVENT_FIELDS.map((f) => `${f.column} ${f.kind === 'int32' ? 'integer' : f.kind === 'int64' ? 'bigint' : f.kind === 'number' ? 'double precision' : 'text'}`).join(', ')}, source_key text, source_line bigint)`);
  await client.query(`CREATE TABLE events (${EVENT_FIELDS.map((f) => `${f.column} ${f.kind === 'int32' ? 'integer' : f.kind === 'int64' ? 'bigint' : f.kind === 'number' ? 'double precision' : 'text'}`).join(', ')})`);
});
afterAll(() => client.end());

async function copy(table: string, csv: string): Promise<void> {
  await pipeline(Readable.from([csv]), client.query(pgCopy.from(`COPY ${table} FROM STDIN WITH (FORMAT csv)`)));
}

/** Strings biased towards what breaks CSV and COPY. */
const nasty = fc
  .array(
    fc.oneof(
      fc.constantFrom(',', '"', '""', '\n', '\r', '\r\n', '\\', '\\.', '\\.\n', '\n\\.\n', '\\N', 'NULL', '\t', ' ', '', '😀', 'é', '\u2028', '\uFEFF', "'"),
      fc.string({ unit: 'binary', maxLength: 8 }),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''))
  .filter((s) => !s.includes('\0'));

/** Events of any valid content: open-ended strings, full int32/int64 ranges, any double. */
const str = fc.option(nasty, { nil: null });
const int64 = fc.oneof(fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
/** ts: any integer in the years 0001–9999 (SPEC §3), bounds included. */
const ts = fc.oneof(fc.bigInt({ min: BigInt(TS_MIN), max: BigInt(TS_MAX) }).map(Number), fc.constantFrom(TS_MIN, TS_MAX));
const validRecordLine = fc
  .record({
    artist: str, auth: str, firstName: str, gender: str, itemInSession: fc.integer({ min: -2147483648, max: 2147483647 }), lastName: str,
    length: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }), level: str, location: str, method: str,
    page: nasty, registration: fc.option(int64, { nil: null }), sessionId: int64, song: str,
    status: fc.option(fc.integer({ min: -2147483648, max: 2147483647 }), { nil: null }), ts, userAgent: str,
    userId: fc.oneof(fc.constant(''), fc.nat({ max: 2147483647 }).map(String)),
  })
  // bigints are written as JSON numbers, as a source would
  .map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `#${v}#` : v)).replace(/"#(-?\d+)#"/g, '$1'));

describe('binary COPY round trip (Postgres staging)', () => {
  it('keeps every field of any valid event record exactly, int64 included', async () => {
    const { exactReviver } = await import('../../src/extract/exact-number.ts');
    await fc.assert(
      fc.asyncProperty(fc.array(validRecordLine, { minLength: 1, maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 30 }).filter((k) => !k.includes('\0') && k.isWellFormed()), fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }), async (lines, key, takeAfter) => {
        const rows = lines.map((line) => {
          const v = validateRecord(JSON.parse(line, exactReviver as never), EVENT_FIELDS);
          if (!v.ok) throw new Error(v.reason);
          return v.row;
        });
        // A small buffer, taken from after some rows: rows not yet taken move to the next buffer,
        // and what was taken is never written over.
        const writer = new BinaryRowWriter(64);
        const pieces: Buffer[] = [];
        const copies: Buffer[] = [];
        rows.forEach((r, i) => {
          writer.row(EVENT_FIELDS, r, Buffer.from(key), i + 1);
          if (takeAfter[i] || i === rows.length - 1) {
            const piece = writer.take();
            if (piece) pieces.push(piece);
            if (piece) copies.push(Buffer.from(piece));
          }
        });
        expect(writer.take()).toBeUndefined();
        expect(pieces).toEqual(copies);
        await client.query('TRUNCATE staged');
        await pipeline(Readable.from([BINARY_HEADER, ...pieces, BINARY_TRAILER]), client.query(pgCopy.from('COPY staged FROM STDIN WITH (FORMAT binary)')));
        const back = await client.query({ text: 'SELECT * FROM staged ORDER BY source_line', rowMode: 'array', types: { getTypeParser: (oid: number) => (v: string) => (oid === 701 || oid === 23 ? Number(v) : oid === 20 ? BigInt(v) : v) } });
        const norm = (v: unknown) => (typeof v === 'number' && Object.is(v, -0) ? 0 : typeof v === 'number' && Number.isInteger(v) && Math.abs(v) > 2 ** 31 ? BigInt(v) : v);
        expect(back.rows.map((r) => r.map(norm))).toEqual(rows.map((r, i) => [...r, key, BigInt(i + 1)].map((v, c) => (EVENT_FIELDS[c]?.kind === 'int64' && v !== null ? BigInt(v as number) : norm(v)))));
      }),
      { numRuns: 100 },
    );
  });
});

describe('CSV → COPY round trip (Postgres)', () => {
  it('keeps any string, and tells NULL from the empty string', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.option(nasty), fc.option(nasty)), { minLength: 1, maxLength: 20 }), async (rows) => {
        await client.query('TRUNCATE strings');
        await copy('strings', rows.map(([a, b], i) => `${csvRow([i, a, b], '')}\n`).join(''));
        const back = await client.query('SELECT a, b FROM strings ORDER BY id');
        expect(back.rows.map((r) => [r.a, r.b])).toEqual(rows);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps a 2 MB value and a value that is a lone \\. line', async () => {
    const big = 'x"\n,'.repeat(512 * 1024);
    await client.query('TRUNCATE strings');
    await copy('strings', `${csvRow([1, big, '\\.'], '')}\n${csvRow([2, '\\.', null], '')}\n`);
    const back = await client.query('SELECT a, b FROM strings ORDER BY id');
    expect(back.rows).toEqual([{ a: big, b: '\\.' }, { a: '\\.', b: null }]);
  });

  it('keeps every field of any valid event record, doubles exactly', async () => {
    const str = fc.option(nasty, { nil: null });
    const record = fc.record({
      artist: str, auth: str, firstName: str, gender: str, itemInSession: fc.integer({ min: -2147483648, max: 2147483647 }), lastName: str,
      length: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }), level: str, location: str, method: str,
      page: nasty, registration: fc.option(fc.maxSafeInteger(), { nil: null }), sessionId: fc.maxSafeInteger(), song: str,
      status: fc.option(fc.integer({ min: -2147483648, max: 2147483647 }), { nil: null }), ts, userAgent: str,
      userId: fc.oneof(fc.constant(''), fc.nat({ max: 2147483647 }).map(String)),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 10 }), async (records) => {
        const rows = records.map((r) => {
          const v = validateRecord(JSON.parse(JSON.stringify(r)), EVENT_FIELDS);
          if (!v.ok) throw new Error(v.reason);
          return v.row;
        });
        await client.query('TRUNCATE events');
        await copy('events', rows.map((r) => `${csvRow(r, '')}\n`).join(''));
        const back = await client.query({ text: `SELECT * FROM events`, rowMode: 'array', types: { getTypeParser: (oid: number) => (v: string) => (oid === 701 || oid === 20 || oid === 23 ? Number(v) : v) } });
        // -0 becomes 0 through JSON, as it would in the loader.
        expect(back.rows).toEqual(rows.map((r) => r.map((v) => (typeof v === 'number' && Object.is(v, -0) ? 0 : v))));
      }),
      { numRuns: 100 },
    );
  });
});
