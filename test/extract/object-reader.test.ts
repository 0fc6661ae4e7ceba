import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ObjectReader, type ReaderSink } from '../../src/extract/object-reader.ts';
import type { RawText } from '../../src/extract/raw-text.ts';

interface Out {
  values: { value: unknown; line: number }[];
  rejects: { line: number; reason: string; raw: RawText }[];
  failed?: { reason: string; raw: RawText };
  format?: string;
}

/** Feeds `bytes` to a reader in the given chunk sizes and collects what it emits. */
function read(input: string | Buffer, splits: number[] = [], options: { maxRecordBytes?: number } = {}): Out {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const out: Out = { values: [], rejects: [] };
  const sink: ReaderSink = {
    value: (value, line) => out.values.push({ value, line }),
    reject: (line, reason, raw) => out.rejects.push({ line, reason, raw }),
    documentFailed: (reason, raw) => {
      out.failed = { reason, raw };
    },
  };
  const reader = new ObjectReader(sink, options);
  let at = 0;
  for (const size of splits) {
    reader.push(bytes.subarray(at, at + size));
    while (reader.pump());
    at += size;
  }
  reader.push(bytes.subarray(at));
  while (reader.pump());
  reader.end();
  while (reader.pump());
  out.format = reader.format;
  return out;
}

describe('format rule (SPEC §2)', () => {
  it('reads NDJSON: one value per non-blank line, lines counted from 1', () => {
    const out = read('{"a":1}\n\n{"a":2}\n   \n{"a":3}');
    expect(out.format).toBe('ndjson');
    expect(out.values).toEqual([
      { value: { a: 1 }, line: 1 },
      { value: { a: 2 }, line: 3 },
      { value: { a: 3 }, line: 5 },
    ]);
  });

  it('accepts CRLF line endings and a final line without a newline', () => {
    const out = read('{"a":"x"}\r\n{"a":"y"}\r\n');
    expect(out.values.map((v) => v.value)).toEqual([{ a: 'x' }, { a: 'y' }]);
    expect(out.rejects).toEqual([]);
  });

  it('ignores a UTF-8 byte order mark at the start', () => {
    const out = read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\n{"a":2}')]));
    expect(out.values.map((v) => v.value)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('makes a malformed NDJSON line one reject and loads the rest', () => {
    const out = read('{"a":1}\n{"a":\n{"a":3}\n');
    expect(out.values.map((v) => v.line)).toEqual([1, 3]);
    expect(out.rejects).toHaveLength(1);
    expect(out.rejects[0].line).toBe(2);
    expect(out.rejects[0].reason).toMatch(/^malformed JSON/);
    expect(out.rejects[0].raw.text).toBe('{"a":');
  });

  it('reads a pretty-printed object as one document with line 1', () => {
    const out = read('{\n  "a": 1,\n  "b": [1, 2]\n}\n');
    expect(out.format).toBe('document');
    expect(out.values).toEqual([{ value: { a: 1, b: [1, 2] }, line: 1 }]);
  });

  it('gives each element of a document array as a record', () => {
    const out = read('[\n {"a": 1},\n {"a": 2},\n 3\n]\n');
    expect(out.values.map((v) => v.value)).toEqual([{ a: 1 }, { a: 2 }, 3]);
  });

  it('gives each element of an array on an NDJSON line', () => {
    const out = read('[{"a":1},{"a":2}]\n{"a":3}\n');
    expect(out.format).toBe('ndjson');
    expect(out.values).toEqual([
      { value: { a: 1 }, line: 1 },
      { value: { a: 2 }, line: 1 },
      { value: { a: 3 }, line: 2 },
    ]);
  });

  it('makes a malformed document one reject for the whole object', () => {
    const out = read('[\n {"a": 1},\n {"a": 2,,}\n]\n');
    expect(out.failed?.reason).toMatch(/malformed JSON document/);
    expect(out.failed?.raw.text).toContain('{"a": 2,,}');
  });

  it('fails a document that stops in the middle', () => {
    expect(read('{\n "a": [1, 2').failed?.reason).toMatch(/middle of a value|malformed/);
  });

  it('rejects a line of invalid UTF-8, escaping its bytes, and loads the others', () => {
    const bad = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const out = read(Buffer.concat([Buffer.from('{"a":1}\n'), bad, Buffer.from('\n{"a":3}\n')]));
    expect(out.values.map((v) => v.line)).toEqual([1, 3]);
    expect(out.rejects[0]).toMatchObject({ line: 2, reason: expect.stringMatching(/not valid UTF-8.*offset 6/) });
    expect(out.rejects[0].raw).toEqual({ text: '{"a":"\\xff\\xfe"}', escaped: true, truncated: false });
  });

  it('rejects a record longer than the limit without holding it, then goes on', () => {
    const long = `{"a":"${'x'.repeat(5000)}"}`;
    const out = read(`{"a":1}\n${long}\n{"a":3}\n`, [10, 100, 1000, 3000], { maxRecordBytes: 1024 });
    expect(out.values.map((v) => v.line)).toEqual([1, 3]);
    expect(out.rejects[0].reason).toMatch(/record is 5008 bytes of JSON, longer than the 1024-byte limit/);
  });

  it('reads a 2 MB line', () => {
    const big = 'é'.repeat(1024 * 1024);
    const out = read(`{"a":"${big}"}\n`, [65536, 65536, 1]);
    expect((out.values[0].value as { a: string }).a).toBe(big);
  });

  it('gives nothing for an empty object or one of blank lines', () => {
    expect(read('')).toMatchObject({ values: [], rejects: [] });
    expect(read('\n \r\n\t\n')).toMatchObject({ values: [], rejects: [] });
  });

  it('yields the same output for every split of the input into chunks', () => {
    const inputs = [
      '\uFEFF{"a":"x,y"}\r\n\r\n{"b":[1,2]}\n{"bad": }\n[{"c":"é😀"}]',
      '{\n "a": [\n  {"x": "line\\nbreak"},\n  {"y": 2}\n ]\n}',
      '[\n{"a":1},\n{"a":2}\n]',
    ];
    for (const text of inputs) {
      const bytes = Buffer.from(text, 'utf8');
      const whole = read(bytes);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 6 }), (cuts) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b);
          const sizes = points.map((p, i) => p - (i === 0 ? 0 : points[i - 1]));
          expect(read(bytes, sizes)).toEqual(whole);
        }),
        { numRuns: 200 },
      );
      // And byte by byte.
      expect(read(bytes, Array(bytes.length).fill(1))).toEqual(whole);
    }
  });
});

const E = '{"ts":1541030400000,"sessionId":1,"itemInSession":0,"page":"NextSong","userId":"5"}';

/** Splits `bytes` into chunks of `size`. */
const chunked = (bytes: Buffer, size: number) => Array(Math.ceil(bytes.length / size) - 1).fill(size);

describe('blank lines (issue #15, item 3)', () => {
  it('skips 16 MB of leading blank lines in linear time', () => {
    const bytes = Buffer.from(`${'\n'.repeat(16_000_000)}${E}\n`);
    const started = Date.now();
    const out = read(bytes, chunked(bytes, 64 * 1024));
    // Quadratic detection took ~50 s here; linear takes well under a second.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(out.format).toBe('ndjson');
    expect(out.values).toEqual([{ value: JSON.parse(E), line: 16_000_001 }]);
  });

  it('skips a 20 MB line of spaces before the first value, holding none of it', () => {
    const bytes = Buffer.from(`${' '.repeat(20_000_000)}\n${E}\n`);
    const out = read(bytes, chunked(bytes, 256 * 1024));
    expect(out.values).toEqual([{ value: JSON.parse(E), line: 2 }]);
  });

  it('counts only JSON whitespace as blank: a form feed line is malformed (item 10)', () => {
    const ndjson = read(`${E}\n\f\n${E}\n`);
    expect(ndjson.values.map((v) => v.line)).toEqual([1, 3]);
    expect(ndjson.rejects).toMatchObject([{ line: 2, reason: expect.stringMatching(/^malformed JSON/), raw: { text: '\f' } }]);
    // As the first non-blank line it is not a complete value: the object is a (malformed) document.
    const first = read(`\f\n${E}\n`);
    expect(first.format).toBe('document');
    expect(first.failed?.reason).toMatch(/malformed JSON document: unexpected control character 0x0C/);
  });
});

describe('documents (issue #15, items 4, 5, 10)', () => {
  it('fails two pretty-printed objects back to back as one malformed document', () => {
    const out = read(`{\n  "a": 1\n}\n{\n  "a": 2\n}\n`);
    expect(out.format).toBe('document');
    expect(out.failed?.reason).toMatch(/malformed JSON document: .*a second JSON value .*\(line 4, column 1\)/);
  });

  it('fails values on lines that end in CR only', () => {
    const out = read(`${E}\r${E}\r${E}\r`);
    expect(out.format).toBe('document');
    expect(out.failed?.reason).toMatch(/a second JSON value/);
  });

  it('keeps an element that is an array as one record (a reject downstream), not flattened', () => {
    const out = read(`[\n[${E}]\n]\n`);
    expect(out.failed).toBeUndefined();
    expect(out.values).toEqual([{ value: [JSON.parse(E)], line: 1 }]);
  });

  it("gives each element its position in the document's array as its line", () => {
    const out = read(`[\n${E},\n\n${E}, 3\n]`);
    expect(out.values.map((v) => v.line)).toEqual([1, 2, 3]);
    expect(read(`{\n"a": 1}`).values).toEqual([{ value: { a: 1 }, line: 1 }]);
  });

  it("hands over each record's own source text: spelling, duplicate keys, escapes and spaces kept (item 7)", () => {
    const element = '{ "ts" : 1.5410304e12, "a":1, "a":2, "s":"\\u00e9\\/" }';
    const texts: (string | undefined)[] = [];
    const sink: ReaderSink = { value: (_v, _l, raw) => texts.push(raw), reject: () => undefined, documentFailed: () => undefined };
    const reader = new ObjectReader(sink);
    reader.push(Buffer.from(`[\n${element} ,\n  7\n]\n`));
    reader.end();
    while (reader.pump());
    expect(texts).toEqual([element, '7']);
  });
});

describe('record limit (issue #15, item 6)', () => {
  const M = 16 * 1024 * 1024;
  /** An event line of exactly `bytes` bytes. */
  const eventOf = (bytes: number) => {
    const base = `{"ts":1541030400000,"sessionId":1,"itemInSession":0,"page":"NextSong","userId":"5","x":""}`;
    return `${base.slice(0, -2)}${'x'.repeat(bytes - base.length)}"}`;
  };

  it('rejects only a 20 MB first line, keeps the object NDJSON, loads the good lines and rejects the bad one', () => {
    const bytes = Buffer.from(`${eventOf(20_000_000)}\n${E}\n${E}\n{"broken":\n${E}\n`);
    for (const size of [16 * 1024, 1024 * 1024, bytes.length]) {
      const out = read(bytes, chunked(bytes, size));
      expect(out.format).toBe('ndjson');
      expect(out.values.map((v) => v.line)).toEqual([2, 3, 5]);
      expect(out.rejects.map((r) => [r.line, r.reason.split(':')[0]])).toEqual([
        [1, `record is 20000000 bytes of JSON, longer than the ${M}-byte limit for one record`],
        [4, 'malformed JSON'],
      ]);
      // Its raw text is its first 64 KiB, and says it was cut.
      expect(out.rejects[0].raw).toMatchObject({ truncated: true, escaped: false });
      expect(out.rejects[0].raw.text).toBe(eventOf(20_000_000).slice(0, 65536));
    }
  });

  it('draws the line exactly at the limit, whatever the chunks', () => {
    const limit = 1024 * 1024;
    const bytes = Buffer.from(`${E}\n${eventOf(limit)}\r\n${eventOf(limit + 1)}\n`);
    for (const size of [1000, 64 * 1024, limit + 1, 3 * limit]) {
      const out = read(bytes, chunked(bytes, size), { maxRecordBytes: limit });
      expect(out.values.map((v) => v.line)).toEqual([1, 2]);
      expect(out.rejects.map((r) => r.line)).toEqual([3]);
    }
  });

  it('loads a line longer than the limit that holds many small records, one at a time', () => {
    const line = `[${Array(20_000).fill(E).join(',')}]`;
    expect(line.length).toBeGreaterThan(1024 * 1024);
    const bytes = Buffer.from(`${E}\n${line}\n${E}\n`);
    const out = read(bytes, chunked(bytes, 256 * 1024), { maxRecordBytes: 1024 * 1024 });
    expect(out.values.length).toBe(20_002);
    expect(out.values[1]).toEqual({ value: JSON.parse(E), line: 2 });
    expect(out.values.at(-1)!.line).toBe(3);
    expect(out.rejects).toEqual([]);
  });

  it('decides the format of a first line longer than the limit exactly: an unfinished value starts a document', () => {
    const bytes = Buffer.from(`[${Array(20_000).fill(E).join(',')}\n]\n`);
    const out = read(bytes, chunked(bytes, 256 * 1024), { maxRecordBytes: 1024 * 1024 });
    expect(out.format).toBe('document');
    expect(out.values.length).toBe(20_000);
    expect(out.values.at(-1)!.line).toBe(20_000);
  });
});

describe('raw text of rejects (issue #15, item 7)', () => {
  it('says a long malformed line was cut', () => {
    const out = read(`${E}\n{"a":"${'y'.repeat(100_000)}",}\n`, [], { maxRecordBytes: 1000 });
    expect(out.rejects[0]).toMatchObject({ line: 2, reason: expect.stringMatching(/^malformed JSON/), raw: { truncated: true } });
    expect(out.rejects[0].raw.text).toHaveLength(65536);
  });

  it('says a malformed document over 64 KiB was cut, and one under it was not', () => {
    const big = read(`[\n${`${E},\n`.repeat(1000)}{"broken"\n]\n`);
    expect(big.failed?.raw).toMatchObject({ truncated: true });
    expect(Buffer.byteLength(big.failed!.raw.text)).toBe(65536);
    const small = read(`[\n${E},\n{"broken"\n]\n`);
    expect(small.failed?.raw).toEqual({ text: `[\n${E},\n{"broken"\n]\n`, escaped: false, truncated: false });
  });

  it('knows a malformed document was cut even when it fails in its first bytes', () => {
    const bytes = Buffer.from(`[}\n${' '.repeat(100_000)}\n`);
    expect(read(bytes, chunked(bytes, 1024)).failed?.raw.truncated).toBe(true);
  });
});

describe('U+0000 in a field that is ignored (issue #15, item 10)', () => {
  const escaped = E.replace('{', '{"extra":"a\\u0000b",');
  const raw = Buffer.from(E.replace('{', '{"extra":"a\u0000b",'));

  it('is ignored when escaped, in NDJSON and in a document alike', () => {
    expect(read(`${escaped}\n`).values).toEqual([{ value: JSON.parse(escaped), line: 1 }]);
    expect(read(`[\n${escaped}\n]\n`).values).toEqual([{ value: JSON.parse(escaped), line: 1 }]);
  });

  it('is not JSON when written as a raw byte: a reject of the line, or of the document', () => {
    const ndjson = read(Buffer.concat([Buffer.from(`${E}\n`), raw, Buffer.from('\n')]));
    expect(ndjson.values.map((v) => v.line)).toEqual([1]);
    expect(ndjson.rejects).toMatchObject([{ line: 2, reason: expect.stringMatching(/^malformed JSON: Bad control character/), raw: { escaped: true } }]);
    const document = read(Buffer.concat([Buffer.from('[\n'), raw, Buffer.from('\n]\n')]));
    expect(document.failed?.reason).toMatch(/malformed JSON document: unexpected control character 0x00: a control character in a string/);
  });
});
