import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_FIELDS, SONG_FIELDS, type Field } from '../../src/common/datasets.ts';
import { exactReviver } from '../../src/extract/exact-number.ts';
import { validateRecord } from '../../src/extract/validate.ts';
import { BinaryRowWriter } from '../../src/stage/binary-copy.ts';
import { compileLineScanner } from '../../src/stage/line-scanner.ts';
import { anyValue } from '../support/arbitraries.ts';

/** A value of the field's own kind most of the time (so that whole records are often valid), else anything. */
function fieldValue(f: Field) {
  const own = {
    string: fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 }), fc.string({ minLength: 20, maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('Bj\u00c3\u0083\u00c2\u00b6rk', 'a"b\\c/d', '\t\n\u001f', '😀')),
    int32: fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2147483647, -2147483648)),
    int64: fc.oneof(fc.integer({ min: -1e15 + 1, max: 1e15 - 1 }), fc.maxSafeInteger(), fc.constantFrom(1540919166796, -(2 ** 53) + 1, 253402300799999, 253402300800000, -62135596800000, -62135596800001, 999999999999999, 1000000000000000)),
    number: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, 0.5, 127.40174, 1e21, 5e-324)),
    user_id: fc.oneof(fc.constantFrom('', '39', '007', '999999999', '1234567890', '-1'), fc.integer({ min: -5, max: 100000 }), fc.constantFrom(-0, 2147483647, 2147483648)),
  }[f.kind];
  const inRange = f.range ? fc.integer({ min: f.range.min, max: f.range.max }) : own;
  return fc.oneof({ arbitrary: inRange, weight: 30 }, { arbitrary: own, weight: 10 }, { arbitrary: anyValue, weight: 1 });
}

const validish = (fields: readonly Field[]) => fc.record(Object.fromEntries(fields.map((f) => [f.json, fieldValue(f)])), { requiredKeys: fields.filter((f) => f.required).map((f) => f.json) });

/** How a record is spelled as one line of JSON: whitespace, escapes, number forms, extra and repeated keys. */
const spelling = fc.record({
  ws: fc.constantFrom('', ' ', '\t', ' \r ', '  '),
  escapeEvery: fc.constantFrom(0, 0, 1, 3),
  numbers: fc.constantFrom('plain', 'plain', 'plain', 'plain', 'dot', 'exp'),
  extra: fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: fc.constantFrom<unknown>(1, 'x', null, true, false, -2.5e-3, { a: [1] }, [], 'caf\u00e9\ud83d\ude00', 'x\\"y'), weight: 1 }),
  repeat: fc.oneof({ arbitrary: fc.constant(undefined), weight: 5 }, { arbitrary: fc.nat(), weight: 1 }),
  trailing: fc.constantFrom('', ' ', '\t'),
});
type Spelling = typeof spelling extends fc.Arbitrary<infer T> ? T : never;

function spellString(s: string, every: number): string {
  if (every === 0) return JSON.stringify(s);
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += i % every === 0 || c < 0x20 || c === 0x22 || c === 0x5c ? `\\u${c.toString(16).padStart(4, '0')}` : s[i];
  }
  return `${out}"`;
}

function spell(v: unknown, sp: Spelling, top = true): string {
  if (typeof v === 'string') return spellString(v, sp.escapeEvery);
  if (typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0) && Math.abs(v) < 1e21) {
    if (sp.numbers === 'dot') return `${v}.0`;
    if (sp.numbers === 'exp') return `${v}e0`;
  }
  if (Array.isArray(v)) return `[${v.map((x) => spell(x, sp, false)).join(',')}]`;
  if (v !== null && typeof v === 'object' && !('source' in v)) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (top && sp.extra !== undefined) entries.splice(entries.length ? 1 : 0, 0, ['unknownField', sp.extra]);
    if (top && sp.repeat !== undefined && entries.length) entries.unshift([entries[sp.repeat % entries.length][0], 'an earlier copy']);
    return `{${sp.ws}${entries.map(([k, x]) => `${JSON.stringify(k)}${sp.ws}:${sp.ws}${spell(x, sp, false)}`).join(`${sp.ws},${sp.ws}`)}${sp.ws}}`;
  }
  if (v !== null && typeof v === 'object') return String((v as { source: string }).source);
  return JSON.stringify(v) ?? 'null';
}

/** What the reference way writes for a line: JSON.parse (exact where it must be), validateRecord, row(); undefined for a reject. */
function reference(text: string, fields: readonly Field[], key: Buffer, line: number): Buffer | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  let v = validateRecord(value, fields);
  if (!v.ok && 'inexact' in v) v = validateRecord(JSON.parse(text, exactReviver as never), fields);
  if (!v.ok) return undefined;
  const w = new BinaryRowWriter(64);
  w.row(fields, v.row, key, line);
  return Buffer.from(w.take()!);
}

describe('line scanner', () => {
  for (const [name, fields] of [['events', EVENT_FIELDS], ['songs', SONG_FIELDS]] as const) {
    it(`writes what JSON.parse + validateRecord + row() write, or nothing, for any ${name} line`, () => {
      const scan = compileLineScanner(fields);
      let accepted = 0;
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.oneof({ arbitrary: validish(fields), weight: 4 }, { arbitrary: anyValue, weight: 1 }), spelling), { minLength: 1, maxLength: 5 }), fc.string({ maxLength: 20 }), fc.nat(), (records, keyText, line) => {
          const key = Buffer.from(keyText);
          // Several lines in one buffer, with bytes around each, and a small writer that must grow mid-row.
          const w = new BinaryRowWriter(48);
          const expected: Buffer[] = [];
          const lines = records.map(([r, sp]) => `${spell(r, sp)}${sp.trailing}`);
          const buf = Buffer.from(`\n${lines.join('\n')}\n`);
          let at = 1;
          for (const text of lines) {
            const end = at + Buffer.byteLength(text);
            const before = w.length;
            const ref = reference(text, fields, key, line);
            if (scan(buf, at, end, w, key, line)) {
              accepted++;
              expect(ref, text).toBeDefined();
              expected.push(ref!);
            } else expect(w.length).toBe(before);
            at = end + 1;
          }
          expect(w.take() ?? Buffer.alloc(0)).toEqual(Buffer.concat(expected));
        }),
        { numRuns: 3000 },
      );
      // The property must not hold only because nothing was ever accepted.
      expect(accepted).toBeGreaterThan(400);
    });
  }

  it('takes every line of the Udacity sample the fast way, row for row as the reference way', () => {
    const root = new URL('../../../shared/data/udacity-sample/', import.meta.url).pathname;
    const key = Buffer.from('k');
    for (const [dir, fields] of [['log_data', EVENT_FIELDS], ['song_data', SONG_FIELDS]] as const) {
      const scan = compileLineScanner(fields);
      const files: string[] = [];
      const walk = (d: string) => readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(join(d, e.name)) : files.push(join(d, e.name))));
      walk(join(root, dir));
      let lines = 0;
      for (const file of files) {
        const buf = readFileSync(file);
        let at = 0;
        while (at < buf.length) {
          let nl = buf.indexOf(10, at);
          if (nl === -1) nl = buf.length;
          const end = buf[nl - 1] === 13 ? nl - 1 : nl;
          if (end > at) {
            const w = new BinaryRowWriter();
            expect(scan(buf, at, end, w, key, 1), buf.toString('utf8', at, end)).toBe(true);
            expect(Buffer.from(w.take()!)).toEqual(reference(buf.toString('utf8', at, end), fields, key, 1));
            lines++;
          }
          at = nl + 1;
        }
      }
      expect(lines).toBeGreaterThan(dir === 'log_data' ? 8000 : 70);
    }
  });

  it('leaves what it must not decide to the reference way', () => {
    const scan = compileLineScanner(EVENT_FIELDS);
    const base = '"ts":1541030400000,"sessionId":1,"itemInSession":0,"page":"NextSong"';
    for (const text of [
      `{${base},"userId":"5"`, // unterminated
      `{${base}} x`, // trailing garbage
      `{${base},"ts":1}`, // duplicate key: JSON.parse keeps the last
      `{${base},"song":"a\\u0000b"}`, // U+0000
      `{${base},"song":"\\ud800"}`, // lone surrogate
      `{${base},"song":"a\tb"}`, // raw control character (malformed JSON)
      `{${base},"x":{"y":1}}`, // nested value (checked by JSON.parse)
      `{${base},"itemInSession":1e0}`.replace('"itemInSession":0,', ''), // exponent form
      `{${base},"itemInSession":1.5}`.replace('"itemInSession":0,', ''), // not an integer
      `{"ts":253402300800000,"sessionId":1,"itemInSession":0,"page":"NextSong"}`, // past year 9999
      `{"ts":1,"sessionId":1,"itemInSession":0}`, // page missing
      `[{${base}}]`, // an array line
      `{${base},"userId":"1234567890"}`, // ten digits: the int32 check is the reference's
      `{${base},"userId":-0}`,
      `{${base},"length":1e400}`,
      `{${base},"us\\u0065rId":"5"}`, // escaped key
    ]) {
      const w = new BinaryRowWriter();
      expect(scan(Buffer.from(text), 0, Buffer.byteLength(text), w, Buffer.from('k'), 1), text).toBe(false);
      expect(w.length).toBe(0);
    }
  });
});
