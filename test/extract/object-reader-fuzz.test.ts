/**
 * Fuzz test of the object reader against a reference reader written here, in
 * the plainest way: split the whole object into lines, decide the format with
 * JSON.parse, parse every line or the whole document (its values read by
 * parseJsonPlain, which V8's key-renaming bug cannot reach: nodejs/node#63785). The
 * reader must agree on every input — random bytes, random splits into chunks,
 * runs of blank lines, nesting, pretty-printed and back-to-back values, invalid
 * UTF-8, lines and records around the record limit (which sends lines the
 * long, spooled way) — including the source text it hands over with each record.
 *
 * Bounded in time (FUZZ_MS, default 4000); the seed is printed. Reproduce with FUZZ_SEED=<seed>.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { ObjectReader, type ReaderSink } from '../../src/extract/object-reader.ts';
import { arrayElementText } from '../../src/extract/json-scanner.ts';
import { rawText, type RawText } from '../../src/extract/raw-text.ts';
import { parseJsonPlain } from '../../src/extract/parse-json.ts';

interface Out {
  format: string | undefined;
  values: { value: unknown; line: number; text: string }[];
  rejects: { line: number; kind: string; raw: RawText }[];
  failed?: RawText;
}

const kind = (reason: string) => (reason.startsWith('line is not valid UTF-8') ? 'utf8' : reason.startsWith('malformed JSON') ? 'malformed' : reason.startsWith('record is') ? 'too-long' : reason);
const trimJson = (s: string) => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');

function readWith(bytes: Buffer, cuts: number[], maxRecordBytes: number): Out {
  const out: Out = { format: undefined, values: [], rejects: [] };
  const sink: ReaderSink = {
    value: (value, line, raw, element) => out.values.push({ value, line, text: trimJson(element === undefined ? raw! : arrayElementText(raw!, element)) }),
    reject: (line, reason, raw) => out.rejects.push({ line, kind: kind(reason), raw }),
    documentFailed: (_reason, raw) => {
      // What the encoder does: a malformed document keeps nothing but its one reject.
      out.values = [];
      out.rejects = [];
      out.failed = raw;
    },
  };
  const reader = new ObjectReader(sink, { maxRecordBytes });
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    reader.push(bytes.subarray(at, Math.max(at, cut)));
    while (reader.pump());
    at = Math.max(at, cut);
  }
  reader.end();
  while (reader.pump());
  out.format = reader.format;
  return out;
}

// --- the reference ----------------------------------------------------------------------

const isBlank = (b: Buffer) => b.every((c) => c === 0x20 || c === 0x09 || c === 0x0d);
const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Source texts of the records of valid JSON `text`: the elements of a top-level array, or the value. */
function recordTexts(text: string): string[] {
  const ws = (i: number) => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
    return i;
  };
  const valueEnd = (i: number): number => {
    const c = text[i];
    if (c === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      return i + 1;
    }
    if (c === '{' || c === '[') {
      let depth = 0;
      let inString = false;
      for (; i < text.length; i++) {
        const ch = text[i];
        if (inString) {
          if (ch === '\\') i++;
          else if (ch === '"') inString = false;
        } else if (ch === '"') inString = true;
        else if (ch === '{' || ch === '[') depth++;
        else if ((ch === '}' || ch === ']') && --depth === 0) return i + 1;
      }
    }
    while (i < text.length && !' \t\r\n,]}'.includes(text[i])) i++;
    return i;
  };
  let i = ws(0);
  if (text[i] !== '[') return [text.slice(i, valueEnd(i))];
  const out: string[] = [];
  i = ws(i + 1);
  while (text[i] !== ']') {
    const end = valueEnd(i);
    out.push(text.slice(i, end));
    i = ws(end);
    if (text[i] === ',') i = ws(i + 1);
  }
  return out;
}

function referenceRead(input: Buffer, max: number): Out {
  const out: Out = { format: undefined, values: [], rejects: [] };
  const body = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? input.subarray(3) : input;
  const lines: { start: number; content: Buffer }[] = [];
  for (let start = 0; start <= body.length; ) {
    let nl = body.indexOf(0x0a, start);
    if (nl === -1) nl = body.length;
    const end = nl > start && body[nl - 1] === 0x0d ? nl - 1 : nl;
    lines.push({ start, content: body.subarray(start, end) });
    start = nl + 1;
  }
  const first = lines.findIndex((l) => !isBlank(l.content));
  if (first === -1) {
    out.format = 'ndjson';
    return out;
  }
  const add = (texts: string[], line: (k: number) => number, checkSize: boolean) => {
    texts.forEach((t, k) => {
      if (checkSize && Buffer.byteLength(t) > max) out.rejects.push({ line: line(k), kind: 'too-long', raw: rawText(t) });
      else out.values.push({ value: parseJsonPlain(t), line: line(k), text: t });
    });
  };
  if (parses(lines[first].content.toString('utf8'))) {
    out.format = 'ndjson';
    for (let i = first; i < lines.length; i++) {
      const c = lines[i].content;
      if (isBlank(c)) continue;
      if (!isUtf8(c)) {
        out.rejects.push({ line: i + 1, kind: 'utf8', raw: rawText(c) });
        continue;
      }
      const text = c.toString('utf8');
      if (!parses(text)) {
        out.rejects.push({ line: i + 1, kind: 'malformed', raw: rawText(text) });
        continue;
      }
      add(recordTexts(text), () => i + 1, c.length > max);
    }
    return out;
  }
  out.format = 'document';
  const doc = body.subarray(lines[first].start);
  if (!isUtf8(doc) || !parses(doc.toString('utf8'))) {
    out.failed = rawText(doc);
    return out;
  }
  add(recordTexts(doc.toString('utf8')), (k) => k + 1, true);
  return out;
}

// --- inputs ----------------------------------------------------------------------------

/** Whitespace between tokens: mostly none, sometimes a line break (a value then spans lines). */
const gap = fc.constantFrom('', '', '', ' ', '  ', '\t', '\r', '\n', '\r\n', '\n  ');
/** Almost always a clean join; now and then a fault a checker must see. */
const fault = fc.constantFrom(...Array<string>(24).fill('none'), 'trailing-comma', 'missing-comma', 'double-comma', 'leading-comma', 'wrong-close', 'no-close', 'missing-colon', 'extra-value');
const scalar = fc.oneof(
  fc.constantFrom('0', '-0', '7', '1.5', '1e5', '1E+5', '-1.25e-3', '1540919166796', '9223372036854775807', '1e400', '01', '-01', '-', '1.', '.5', '+1', '1e', '-', '0x1', 'NaN', 'Infinity', '1.0e2'),
  fc.constantFrom('true', 'false', 'null', 'tru', 'nul', 'True', 'nulll'),
  fc.constantFrom('"x"', '""', '"\\u00e9"', '"\\ud83d\\ude00"', '"\\ud800"', '"\\u0000"', '"a\\"b"', '"\\\\"', '"\\/"', '"\\x"', '"\\u12"', '"tab\there"', '"nl\nhere"', '"é😀"', '"unterminated', '"\u007f"', '"\u0001"', '"a\u001fb"'),
  fc.string({ maxLength: 6 }).map((t) => JSON.stringify(t)),
);
const { value: jsonish } = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('array'), tie('object')),
  array: fc.tuple(fc.array(fc.tuple(gap, tie('value'), gap), { maxLength: 4 }), fault).map(([items, f]) => join('[', ']', items.map(([a, v, b]) => a + v + b), f)),
  object: fc.tuple(fc.array(fc.tuple(scalar, gap, tie('value')), { maxLength: 4 }), fault).map(([members, f]) =>
    join('{', '}', members.map(([k, g, v]) => (f === 'missing-colon' ? `${k}${g}${v}` : `${k.startsWith('"') ? k : JSON.stringify(k)}${g}:${v}`)), f),
  ),
}));

function join(open: string, close: string, items: string[], f: string): string {
  const other = close === ']' ? '}' : ']';
  const body = f === 'missing-comma' ? items.join(' ') : f === 'double-comma' ? items.join(',,') : items.join(',');
  const lead = f === 'leading-comma' ? ',' : '';
  const trail = f === 'trailing-comma' ? ',' : f === 'extra-value' ? ' 1' : '';
  const end = f === 'wrong-close' ? other : f === 'no-close' ? '' : close;
  return `${open}${lead}${body}${trail}${end}`;
}

const jsonText = fc.oneof(
  { weight: 4, arbitrary: jsonish },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 1 }).map((t) => JSON.stringify(JSON.parse(t), null, 2)) }, // pretty-printed: spans lines
  { weight: 1, arbitrary: fc.constantFrom('{"ts":1541030400000,"sessionId":1,"itemInSession":0,"page":"NextSong","userId":"5"}', '[[1,2],[3]]', '[]', '[ ]', '{}') },
);

/** Valid JSON with a few characters inserted, deleted or replaced: almost JSON. */
const edit = fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...',:[]{}"\\ 019eE.+-tfnlu\n\r\t\f'.split('')));
const mutated = fc.tuple(fc.json({ maxDepth: 2 }), fc.array(edit, { minLength: 1, maxLength: 2 })).map(([t, edits]) => {
  let text = t;
  for (const [at, how, ch] of edits) {
    const i = at % (text.length + 1);
    text = how === 'insert' ? text.slice(0, i) + ch + text.slice(i) : how === 'delete' ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + ch + text.slice(i + 1);
  }
  return `${text}\n`;
});
const piece = fc.oneof(
  { weight: 3, arbitrary: mutated },
  { weight: 6, arbitrary: jsonText.map((t) => `${t}\n`) },
  { weight: 2, arbitrary: fc.array(jsonText, { maxLength: 4 }).map((ts) => `[${ts.join(',')}]\n`) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(' ', '\t', '\r', ''), { maxLength: 3 }).chain((ws) => fc.integer({ min: 1, max: 40 }).map((n) => `${ws.join('')}\n`.repeat(n))) },
  { weight: 1, arbitrary: jsonText.chain((t) => fc.integer({ min: 0, max: t.length }).map((cut) => `${t.slice(0, cut)}\n`)) }, // cut short
  { weight: 1, arbitrary: fc.tuple(jsonText, fc.constantFrom('', ' ', '\r'), jsonText).map(([a, sep, b]) => `${a}${sep}${b}\n`) }, // back to back
  { weight: 1, arbitrary: fc.constantFrom('\f\n', '\r', '\r\n', '{"a":1}\r{"b":2}\r', '\u0000\n', '[\n[{"x":1}]\n]\n', '  {"x":\n 1}  \n', 'tru\n', '{"a":"x\ty"}\n') },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)) }, // random bytes
  { weight: 1, arbitrary: fc.constantFrom([0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98, 0x80], [0xc3, 0xa9]).map((b) => Buffer.from(b)) },
);
const object = fc.tuple(fc.boolean(), fc.array(piece, { minLength: 0, maxLength: 12 })).map(([bom, pieces]) =>
  Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), ...pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))]),
);
const input = object.chain((bytes) =>
  fc.record({
    bytes: fc.constant(bytes),
    cuts: fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 8 }).map((c) => c.sort((a, b) => a - b)),
    max: fc.constantFrom(8, 24, 64, 200, 1 << 20),
  }),
);

describe('object reader fuzz', () => {
  it('agrees with the reference reader on random objects, cut anywhere', () => {
    const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
    console.log(`object reader fuzz: seed ${seed} (reproduce with FUZZ_SEED=${seed})`);
    let runs = 0;
    fc.assert(
      fc.property(input, ({ bytes, cuts, max }) => {
        runs++;
        expect(readWith(bytes, cuts, max)).toEqual(referenceRead(bytes, max));
      }),
      { seed, numRuns: 1_000_000, interruptAfterTimeLimit: Number(process.env.FUZZ_MS ?? 4_000), markInterruptAsFailure: false },
    );
    console.log(`object reader fuzz: ${runs} objects`);
    expect(runs).toBeGreaterThan(200);
  });
});
