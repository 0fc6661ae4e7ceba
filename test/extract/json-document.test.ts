/**
 * json-document.ts: records cut out of streamed JSON text (RecordSplitter)
 * and document mode (JsonDocument), checked at every chunk boundary.
 */
import { describe, expect, it } from 'vitest';
import { HEAD_BYTES, JsonDocument, RecordSplitter } from '../../src/extract/json-document.ts';
import type { RawText } from '../../src/extract/raw-text.ts';

/** Every way to cut `bytes` in two, and byte by byte. */
function splits(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [[bytes], [...bytes].map((b) => Buffer.from([b]))];
  for (let i = 1; i < bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  return out;
}

function splitRecords(chunks: Buffer[], max: number) {
  const got: { position: number; text?: string; oversized?: number; head?: string }[] = [];
  const splitter = new RecordSplitter(
    {
      record: (text, position) => got.push({ position, text }),
      oversized: (position, bytes, head) => got.push({ position, oversized: bytes, head: head.toString('utf8') }),
    },
    max,
  );
  // Copies: a record may keep a view of a chunk, and the caller must not reuse its memory.
  for (const c of chunks) splitter.push(Buffer.from(c));
  const state = splitter.end();
  return { got, state, error: splitter.scanner.error };
}

interface DocumentResult {
  values: { value: unknown; position: number; text: string }[];
  rejects: { position: number; reason: string; raw: RawText }[];
  failure: { reason: string; raw: RawText } | undefined;
}

function readDocument(chunks: Buffer[], options: { maxRecordBytes?: number; firstLine?: number } = {}): DocumentResult {
  const result: DocumentResult = { values: [], rejects: [], failure: undefined };
  const doc = new JsonDocument(
    {
      value: (value, position, text) => result.values.push({ value, position, text }),
      reject: (position, reason, raw) => result.rejects.push({ position, reason, raw }),
    },
    { maxRecordBytes: options.maxRecordBytes ?? 1024, firstLine: options.firstLine ?? 1, raw: {} },
  );
  for (const c of chunks) doc.push(Buffer.from(c));
  result.failure = doc.end();
  return result;
}

describe('RecordSplitter', () => {
  it('gives a top-level value as one record, and each element of a top-level array, whatever the chunks', () => {
    const single = Buffer.from(' {"a": [1, {"b": "x,]}"}], "c": "é"} ');
    for (const chunks of splits(single)) expect(splitRecords(chunks, 1024).got).toEqual([{ position: 1, text: '{"a": [1, {"b": "x,]}"}], "c": "é"}' }]);
    const array = Buffer.from('[{"a":1}, [2, 3] ,"s\\"]", 4.5e1, null]');
    for (const chunks of splits(array)) {
      expect(splitRecords(chunks, 1024).got.map((r) => [r.position, r.text])).toEqual([
        [1, '{"a":1}'],
        [2, '[2, 3]'],
        [3, '"s\\"]"'],
        [4, '4.5e1'],
        [5, 'null'],
      ]);
    }
  });

  it('gives a record longer than the limit as oversized with its size and head, and goes on', () => {
    const text = Buffer.from(`[{"k":"${'x'.repeat(40)}"},{"k":1}]`);
    for (const chunks of splits(text)) {
      const { got } = splitRecords(chunks, 20);
      expect(got).toEqual([
        { position: 1, oversized: 48, head: `{"k":"${'x'.repeat(40)}"}` },
        { position: 2, text: '{"k":1}' },
      ]);
    }
  });

  it('keeps only HEAD_BYTES of an oversized record', () => {
    const huge = Buffer.from(`"${'y'.repeat(HEAD_BYTES * 2)}"`);
    const { got } = splitRecords([huge.subarray(0, 1000), huge.subarray(1000, HEAD_BYTES + 7), huge.subarray(HEAD_BYTES + 7)], 100);
    expect(got).toHaveLength(1);
    expect(got[0].oversized).toBe(huge.length);
    expect(Buffer.byteLength(got[0].head!)).toBe(HEAD_BYTES);
  });
});

describe('JsonDocument', () => {
  it('parses the document (or each element of its array) with its source text, at any chunk boundary', () => {
    const doc = Buffer.from('\n[ {"song_id": "S1", "year": 0}, {"song_id": "S2"} ]\n');
    for (const chunks of splits(doc)) {
      const r = readDocument(chunks);
      expect(r.failure).toBeUndefined();
      expect(r.values).toEqual([
        { value: { song_id: 'S1', year: 0 }, position: 1, text: '{"song_id": "S1", "year": 0}' },
        { value: { song_id: 'S2' }, position: 2, text: '{"song_id": "S2"}' },
      ]);
    }
  });

  it('rejects a record longer than the limit and keeps the others', () => {
    const r = readDocument([Buffer.from(`[{"a":"${'z'.repeat(50)}"}, {"a":2}]`)], { maxRecordBytes: 30 });
    expect(r.failure).toBeUndefined();
    expect(r.values.map((v) => v.value)).toEqual([{ a: 2 }]);
    expect(r.rejects).toEqual([{ position: 1, reason: 'record is 58 bytes of JSON, longer than the 30-byte limit for one record', raw: { text: `{"a":"${'z'.repeat(50)}"}`, escaped: false, truncated: false } }]);
  });

  it('fails as a whole on a syntax error, naming the line of the object and the column, with the whole text as raw', () => {
    const text = Buffer.from('{"a": 1,\n "b": tru}');
    for (const chunks of splits(text)) {
      const r = readDocument(chunks, { firstLine: 3 });
      expect(r.failure?.reason).toMatch(/^malformed JSON document: .* \(line 4, column \d+\)$/);
      expect(r.failure?.raw).toEqual({ text: text.toString(), escaped: false, truncated: false });
    }
  });

  it('fails on a second value after the first, and on a document that ends inside a value', () => {
    expect(readDocument([Buffer.from('{"a":1} {"a":2}')]).failure?.reason).toMatch(/^malformed JSON document: /);
    expect(readDocument([Buffer.from('[{"a":1}, {"a":')]).failure).toEqual({
      reason: 'malformed JSON document: it ends in the middle of a value',
      raw: { text: '[{"a":1}, {"a":', escaped: false, truncated: false },
    });
  });

  it('fails on invalid UTF-8, keeping the bytes escaped', () => {
    const bytes = Buffer.concat([Buffer.from('{"a": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    for (const chunks of splits(bytes)) {
      const r = readDocument(chunks);
      expect(r.failure?.reason).toMatch(/^document is not valid UTF-8 \(line 1, column \d+: /);
      expect(r.failure?.raw).toMatchObject({ escaped: true, truncated: false });
      expect(r.failure?.raw.text).toContain('\\xc3');
    }
  });

  it('keeps reading a failed document to its end for the raw text, marking it truncated beyond the head', () => {
    const chunks = [Buffer.from('{"a": x'), Buffer.alloc(HEAD_BYTES, 0x20), Buffer.from('}')];
    const doc = new JsonDocument({ value: () => undefined, reject: () => undefined }, { maxRecordBytes: 1024, firstLine: 1, raw: {} });
    doc.push(chunks[0]);
    expect(doc.failed).toBe(true);
    doc.push(chunks[1]);
    doc.push(chunks[2]);
    const failure = doc.end()!;
    expect(failure.raw.truncated).toBe(true);
    expect(failure.raw.text.startsWith('{"a": x')).toBe(true);
  });
});
