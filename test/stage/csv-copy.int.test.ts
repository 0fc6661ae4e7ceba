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
import { EVENT_FIELDS } from '../../src/datasets.ts';
import { validateRecord } from '../../src/extract/validate.ts';
import { createDatabase } from '../support/services.ts';

let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: await createDatabase('csv') });
  await client.connect();
  await client.query('CREATE TABLE strings (id int, a text, b text)');
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
      status: fc.option(fc.integer({ min: -2147483648, max: 2147483647 }), { nil: null }), ts: fc.maxSafeInteger(), userAgent: str,
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
