import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DelimitedReader, type DelimitedOptions, type RawRecord } from './csv-reader.ts';
import { JsonRootSplitter, parseJson, type JsonPiece } from './json-reader.ts';
import { evaluate, parseJsonPath } from './json-paths.ts';

const CSV: DelimitedOptions = { csv: true, delimiter: 0x2c, quote: 0x22, escape: false, removeQuotes: false, ignoreHeader: 0, ignoreBlankLines: false };

/** Feeds `input` cut at the given offsets, so every chunk boundary can be tried. */
function readCsv(input: Buffer, cuts: number[] = [], opts = CSV): { fields: string[]; quoted: boolean[]; line: number; problem?: number }[] {
  const reader = new DelimitedReader(opts);
  const out: RawRecord[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    out.push(...reader.push(input.subarray(at, cut)));
    at = cut;
  }
  out.push(...reader.push(input.subarray(at)), ...reader.end());
  return out.map((r) => ({ fields: r.fields.map((f) => f.bytes.toString()), quoted: r.fields.map((f) => f.quoted), line: r.line, problem: r.problem?.code }));
}

describe('CSV reader (Redshift rules)', () => {
  it('handles quotes, doubled quotes, delimiters, LF and CR inside quotes, and blanks before a quote', () => {
    const input = Buffer.from('1,"a,b","say ""hi""","x\ny\r\nz"\n2,  "padded"  ,plain ,\n');
    expect(readCsv(input)).toEqual([
      { fields: ['1', 'a,b', 'say "hi"', 'x\ny\r\nz'], quoted: [false, true, true, true], line: 1, problem: undefined },
      { fields: ['2', 'padded', 'plain ', ''], quoted: [false, true, false, false], line: 4, problem: undefined },
    ]);
  });

  it('treats only LF as the end of a record (an unquoted CR is data)', () => {
    expect(readCsv(Buffer.from('a,b\r\nc,d')).map((r) => r.fields)).toEqual([['a', 'b\r'], ['c', 'd']]);
  });

  it('reports an unterminated quote and text after a closing quote', () => {
    expect(readCsv(Buffer.from('1,"open\n2,3')).map((r) => r.problem)).toEqual([1214]);
    expect(readCsv(Buffer.from('1,"a"b\n2,3\n')).map((r) => r.problem)).toEqual([1214, undefined]);
  });

  it('skips IGNOREHEADER physical lines and keeps line numbers', () => {
    const got = readCsv(Buffer.from('h1\nh2\n1,2\n3,4\n'), [], { ...CSV, ignoreHeader: 2 });
    expect(got.map((r) => [r.line, ...r.fields])).toEqual([[3, '1', '2'], [4, '3', '4']]);
  });

  it('reads delimited text with ESCAPE and REMOVEQUOTES', () => {
    const text: DelimitedOptions = { ...CSV, csv: false, delimiter: 0x7c, escape: true, removeQuotes: true };
    expect(readCsv(Buffer.from('a\\|b|"c|d"|e\\\nf\n'), [], text).map((r) => r.fields)).toEqual([['a|b', 'c|d', 'e\nf']]);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const cell = fc.oneof(fc.string(), fc.constantFrom('', ',', '"', '\n', '\r\n', ' "x" ', '😀', 'é'));
    const row = fc.array(cell, { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (rows, rawCuts) => {
        const encoded = rows.map((r) => r.map((v) => `"${v.replace(/"/g, '""')}"`).join(',')).join('\n');
        const input = Buffer.from(encoded);
        const cuts = rawCuts.map((n) => n % (input.length + 1));
        const whole = readCsv(input);
        expect(readCsv(input, cuts)).toEqual(whole);
        expect(whole.map((r) => r.fields)).toEqual(rows);
      }),
    );
  });
});

describe('JSON root splitter', () => {
  const split = (input: string, cuts: number[] = []): JsonPiece[] => {
    const buf = Buffer.from(input);
    const s = new JsonRootSplitter();
    const out: JsonPiece[] = [];
    let at = 0;
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      out.push(...s.push(buf.subarray(at, cut)));
      at = cut;
    }
    out.push(...s.push(buf.subarray(at)), ...s.end());
    return out;
  };
  const kinds = (pieces: JsonPiece[]): [string, number, string][] =>
    pieces.map((p) => [p.kind, p.line, p.kind === 'oversize' ? '' : p.bytes.toString()]);

  it('accepts NDJSON, back-to-back and pretty-printed objects; garbage is one piece per occurrence', () => {
    const input = '{"a":1}\n{"b":"}{"}{"c":\n  2\n}\nnot json\n, {"d":[1,{"e":2}]}';
    expect(kinds(split(input))).toEqual([
      ['value', 1, '{"a":1}'],
      ['value', 2, '{"b":"}{"}'],
      ['value', 4, '{"c":\n  2\n}'],
      ['garbage', 5, 'not json'],
      ['garbage', 6, ', '],
      ['value', 6, '{"d":[1,{"e":2}]}'],
    ]);
  });

  it('turns an object over 4 MB into one oversize piece and goes on', () => {
    const big = `{"a":"${'x'.repeat(4 * 1024 * 1024)}"}`;
    const pieces = split(`{"ok":1}\n${big}\n{"ok":2}`);
    expect(pieces.map((p) => [p.kind, p.line])).toEqual([['value', 1], ['oversize', 2], ['value', 3]]);
  });

  it('reports an object left open at the end of the file', () => {
    expect(kinds(split('{"a":1}\n{"b":'))).toEqual([['value', 1, '{"a":1}'], ['unterminated', 2, '{"b":']]);
  });

  it('gives the same pieces whatever the chunk boundaries', () => {
    const input = '{"a":"x\\"}"}\n\n[1,2]{"b":{"c":[]}}  junk\n{"d":"é😀"}';
    const whole = kinds(split(input));
    fc.assert(
      fc.property(fc.array(fc.nat(Buffer.byteLength(input)), { maxLength: 10 }), (cuts) => {
        expect(kinds(split(input, cuts))).toEqual(whole);
      }),
    );
  });

  it('parses strictly and keeps number spelling', () => {
    expect(parseJson('{"r":1540919166796.0,"s":"a\\u00e9"}')).toMatchObject({ t: 'obj' });
    const v = parseJson('{"r":1540919166796.0}');
    expect(v.t === 'obj' && v.v.get('r')).toEqual({ t: 'num', raw: '1540919166796.0' });
    expect(() => parseJson('{"a":1,}')).toThrow();
    expect(() => parseJson("{'a':1}")).toThrow();
  });

  it('evaluates JSONPaths in bracket and dot notation', () => {
    const doc = parseJson('{"a":{"b":[10,{"c":"deep"}]},"x y":1}');
    expect(evaluate(parseJsonPath("$['a']['b'][1]['c']"), doc)).toEqual({ t: 'str', v: 'deep' });
    expect(evaluate(parseJsonPath('$.a.b[0]'), doc)).toEqual({ t: 'num', raw: '10' });
    expect(evaluate(parseJsonPath("$['x y']"), doc)).toEqual({ t: 'num', raw: '1' });
    expect(evaluate(parseJsonPath('$.missing.deeper'), doc)).toBeUndefined();
    expect(() => evaluate(parseJsonPath('$.a.b[5]'), doc)).toThrow('Not an array or index out of range');
    expect(() => parseJsonPath("$.a['b']")).toThrow(/cannot be mixed/);
    expect(() => parseJsonPath('$.a.*')).toThrow(/wildcards/);
  });
});
