/**
 * Worker threads must change nothing but the speed: an object read with its
 * lines encoded by the pool (in pieces of any size, over any chunking of the
 * body) gives the same binary rows, in the same order, the same row count and
 * the same rejects — reasons, lines, raw text, in the same order — as the
 * object's own encoder on one thread. Inputs are hostile: bad types and
 * ranges, malformed lines, invalid UTF-8, blank and CR-only lines, CRLF,
 * arrays, a byte order mark, lines over the record limit (read here, between
 * pieces read there), documents (never sent to a worker).
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EVENT_FIELDS } from '../../src/common/datasets.ts';
import { ObjectReader, type ReaderSink } from '../../src/extract/object-reader.ts';
import { EncodePool } from '../../src/stage/encode-pool.ts';
import { ObjectEncoder, type EncoderOptions } from '../../src/stage/object-encoder.ts';
import { ParallelEncoder } from '../../src/stage/parallel-encoder.ts';
import { RejectSpool } from '../../src/stage/reject-spool.ts';
import type { PieceSettings } from '../../src/stage/encode-piece.ts';
import { validish } from '../support/arbitraries.ts';

const KEY = 'log_data/2018/11/2018-11-01-events.json';
const AT = new Date('2026-12-04T12:00:00Z');
const pools = [new EncodePool(1), new EncodePool(2)];
afterAll(async () => {
  for (const p of pools) await p.close();
});

const options = (): EncoderOptions => ({ format: 'binary', limits: {}, nullToken: '', raw: { maxBytes: 65536 } });

interface Result {
  rows: Buffer;
  count: number;
  rejects: string;
  samples: unknown[];
  format: string | undefined;
  documentError: unknown;
}

async function spoolText(spool: RejectSpool): Promise<string> {
  let text = '';
  for await (const c of spool.chunks()) text += c.toString();
  return text;
}

/** The object on one thread, rows taken after every step as the backend does. */
async function single(bytes: Buffer, cuts: number[], maxRecordBytes: number): Promise<Result> {
  const spool = new RejectSpool(1, '', AT);
  const encoder = new ObjectEncoder('events', KEY, spool, options());
  const reader = new ObjectReader(encoder, { raw: { maxBytes: 65536 }, maxRecordBytes });
  const rows: Buffer[] = [];
  feed(reader, bytes, cuts, () => {
    const out = encoder.take();
    if (out) rows.push(out as Buffer);
  });
  const out = encoder.take();
  if (out) rows.push(out as Buffer);
  reader.dispose();
  return { rows: Buffer.concat(rows), count: encoder.rows, rejects: await spoolText(spool), samples: spool.samples, format: reader.format, documentError: encoder.documentError };
}

/** The object with its lines sent to `pool` in pieces of `pieceBytes`. */
async function parallel(bytes: Buffer, cuts: number[], maxRecordBytes: number, pool: EncodePool, pieceBytes: number, maxPieces: number, minBytes: number, settings: Partial<PieceSettings> = {}): Promise<Result> {
  const spool = new RejectSpool(1, '', AT);
  const encoder = new ObjectEncoder('events', KEY, spool, options());
  const sink = new ParallelEncoder(encoder, pool, { dataset: 'events', key: KEY, limits: {}, nullToken: '', rawMaxBytes: 65536, maxRecordBytes, ...settings }, { pieceBytes, maxPieces });
  const reader = new ObjectReader(sink, { raw: { maxBytes: 65536 }, maxRecordBytes });
  const rows: Buffer[] = [];
  const steps: (() => Promise<void>)[] = [];
  // The reader is synchronous; output is drained after every step, as the backend does.
  const drain = async (all: boolean) => {
    for await (const out of sink.output(all, minBytes)) rows.push(out);
  };
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    const chunk = bytes.subarray(at, Math.max(at, cut));
    at = Math.max(at, cut);
    steps.push(async () => {
      reader.push(chunk);
      await drain(false);
      while (reader.pump()) await drain(false);
    });
  }
  for (const step of steps) await step();
  reader.end();
  await drain(false);
  while (reader.pump()) await drain(false);
  await drain(true);
  reader.dispose();
  return { rows: Buffer.concat(rows), count: sink.rows, rejects: await spoolText(spool), samples: spool.samples, format: reader.format, documentError: sink.documentError };
}

function feed(reader: ObjectReader, bytes: Buffer, cuts: number[], after: () => void): void {
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    reader.push(bytes.subarray(at, Math.max(at, cut)));
    after();
    while (reader.pump()) after();
    at = Math.max(at, cut);
  }
  reader.end();
  after();
  while (reader.pump()) after();
}

// --- inputs ------------------------------------------------------------------------------

const escapeAll = (text: string) => text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const good = validish(EVENT_FIELDS).map((r) => JSON.stringify(r) ?? '{}');
const line = fc.oneof(
  { weight: 12, arbitrary: good },
  { weight: 2, arbitrary: good.map(escapeAll) }, // \u escapes: decoded straight into rows
  { weight: 1, arbitrary: good.map((t) => `[${t}, 5, ${t}]`) },
  { weight: 1, arbitrary: good.map((t) => t.slice(0, Math.max(1, t.length >> 1))) }, // malformed
  { weight: 1, arbitrary: good.map((t) => Buffer.concat([Buffer.from(t.slice(0, -1)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('}')])) }, // invalid UTF-8
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t', '\r', '{}', '42', '"s"', 'null', '[]', '[[1]]', '{"ts":1,"ts":2}') },
  { weight: 1, arbitrary: good.map((t) => `${t.slice(0, -1)},"pad":"${'p'.repeat(400)}"}`) }, // over a small record limit
  { weight: 1, arbitrary: fc.constant('{"ts": 1541105830796, "sessionId": 7, "itemInSession": 1, "page": "NextSong", "sessionId": 8}') },
);
const object = fc
  .tuple(
    fc.array(line, { minLength: 0, maxLength: 60 }),
    fc.constantFrom('\n', '\n', '\r\n'),
    fc.boolean(), // byte order mark
    fc.boolean(), // ends with a line feed
    fc.constantFrom('ndjson', 'ndjson', 'ndjson', 'document', 'blank-start'),
  )
  .map(([lines, eol, bom, lastEol, shape]) => {
    const parts = lines.map((l) => (typeof l === 'string' ? Buffer.from(l) : l));
    if (shape === 'document') parts.unshift(Buffer.from('[')), parts.push(Buffer.from(']'));
    if (shape === 'blank-start') parts.unshift(Buffer.from(''), Buffer.from('  '));
    const body = Buffer.concat(parts.flatMap((p, i) => (i < parts.length - 1 || lastEol ? [p, Buffer.from(eol)] : [p])));
    return bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
  });
const cutsOf = (bytes: Buffer) => fc.array(fc.nat({ max: Math.max(0, bytes.length) }), { maxLength: 8 }).map((c) => [...c].sort((a, b) => a - b));

describe('worker threads change nothing but the speed', () => {
  it('gives the same rows, counts and rejects as one thread, for any pieces and any chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        object.chain((bytes) => fc.tuple(fc.constant(bytes), cutsOf(bytes))),
        fc.constantFrom(1, 40, 300, 2000, 1024 * 1024), // piece size
        fc.constantFrom(200, 1000, 16 * 1024 * 1024), // record limit
        fc.integer({ min: 0, max: 1 }), // pool of 1 or 2 workers
        fc.integer({ min: 1, max: 4 }), // pieces out at once
        fc.constantFrom(0, 1024), // rows of this thread held back below this
        async ([bytes, cuts], pieceBytes, maxRecordBytes, p, maxPieces, minBytes) => {
          const expected = await single(bytes, cuts, maxRecordBytes);
          const actual = await parallel(bytes, cuts, maxRecordBytes, pools[p], pieceBytes, maxPieces, minBytes);
          expect(actual.count).toBe(expected.count);
          expect(actual.rejects).toBe(expected.rejects);
          expect(actual.samples).toEqual(expected.samples);
          expect(actual.format).toBe(expected.format);
          expect(actual.documentError).toEqual(expected.documentError);
          // A malformed document's rows are dropped, however many were taken before it failed.
          if (!expected.documentError) expect(actual.rows.equals(expected.rows)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('encodes here a piece a worker gives back, with the same result', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ ts: 1541105830796 + i, sessionId: 7, itemInSession: i, page: i % 7 ? 'NextSong' : 'Home', userId: i % 5 ? '12' : 'x', song: 'é' }));
    const bytes = Buffer.from(lines.join('\n') + '\n');
    const expected = await single(bytes, [100, 5000], 16 * 1024 * 1024);
    // A data set the worker does not know: it throws, and gives the piece back.
    const actual = await parallel(bytes, [100, 5000], 16 * 1024 * 1024, pools[1], 1000, 2, 0, { dataset: 'nope' as never });
    expect(actual.count).toBe(expected.count);
    expect(actual.rejects).toBe(expected.rejects);
    expect(actual.rows.equals(expected.rows)).toBe(true);
    expect(expected.count).toBeGreaterThan(100);
  });

  it('drops the pieces out when the object fails as a whole', async () => {
    const spool = new RejectSpool(1, '', AT);
    const encoder = new ObjectEncoder('events', KEY, spool, options());
    const sink = new ParallelEncoder(encoder, pools[1], { dataset: 'events', key: KEY, limits: {}, nullToken: '' }, { pieceBytes: 64 });
    const reader = new ObjectReader(sink as ReaderSink);
    reader.push(Buffer.from(Array.from({ length: 50 }, (_, i) => `{"ts":${i},"sessionId":1,"itemInSession":${i},"page":"x","userId":"q"}`).join('\n') + '\n'));
    sink.documentFailed('object is not valid gzip: test', { text: 'x', escaped: false, truncated: false });
    const out: Buffer[] = [];
    for await (const b of sink.output(true)) out.push(b);
    expect(out).toEqual([]);
    expect(sink.rows).toBe(0);
    expect(spool.count).toBe(1);
    expect(spool.samples[0].reason).toBe('object is not valid gzip: test');
  });

  it('fails a piece with a WORKER error when its pool closes under it', async () => {
    const pool = new EncodePool(1);
    const bytes = pool.buffer(900000);
    bytes.view.write('{"ts":1}\n'.repeat(100000));
    const piece = pool.encode({ dataset: 'events', key: KEY, limits: {}, nullToken: '' }, 1, bytes, 900000);
    await pool.close();
    await expect(piece).rejects.toMatchObject({ code: 'WORKER' });
  });
});
