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
function read(input: string | Buffer, splits: number[] = [], options: { maxLineBytes?: number } = {}): Out {
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
    at += size;
  }
  reader.push(bytes.subarray(at));
  reader.end();
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

  it('rejects a line longer than the limit without holding it, then goes on', () => {
    const long = `{"a":"${'x'.repeat(5000)}"}`;
    const out = read(`{"a":1}\n${long}\n{"a":3}\n`, [10, 100, 1000, 3000], { maxLineBytes: 1024 });
    expect(out.values.map((v) => v.line)).toEqual([1, 3]);
    expect(out.rejects[0].reason).toMatch(/5008 bytes, longer than the 1024-byte limit/);
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
