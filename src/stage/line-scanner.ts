/**
 * The fastest way from an NDJSON line to a Postgres staging row: the line's
 * bytes are read once and a plainly valid flat record is written as a binary
 * COPY row straight from them. No JSON.parse, no strings and no objects for
 * the garbage collector; a string field's bytes are copied as they are (the
 * reader has checked the line is valid UTF-8).
 *
 * Like the compiled encoder (encode-fast.ts) it only ever *accepts*: an
 * escape in a key, a nested value, a number it would have to round, a
 * duplicate key, a type or range the field refuses, anything at all it is
 * unsure of leaves nothing written and returns false, and the caller parses
 * the line the reference way, which gives the same row or names the reject.
 * A property test checks that both ways write the same bytes. It reads
 * bytes, so it cannot be generated from the rule's plain cases as the
 * compiled paths are (extract/field-rules.ts); it takes the rule's bounds
 * from there, and is stricter than the rule wherever it is unsure.
 */
import type { Field } from '../common/datasets.ts';
import { INT32_MAX, INT32_MIN, USER_ID_PLAIN_DIGITS } from '../extract/field-rules.ts';
import type { BinaryRowWriter } from './binary-copy.ts';

/**
 * Writes the record on `buf[start, end)` as a row, or returns false having
 * written nothing. `buf[end]` is the line's end (`\n` or `\r`) or past the
 * buffer: the scanner's loops stop there without testing `end` on every byte.
 */
export type LineScanner = (buf: Buffer, start: number, end: number, writer: BinaryRowWriter, key: Buffer, line: number) => boolean;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

// What a field's value turned out to be.
const ABSENT = 0;
const NULL = 1;
const STRING = 2; // bytes between the quotes, no escapes
const ESCAPED = 3; // bytes between the quotes, with escapes (decoded as they are written)
const INTEGER = 4; // -?digits, as JSON writes an integer
const DECIMAL = 5; // any other JSON number
const INTEGRAL = 6; // -?digits.0…0, as eventsim writes some integers (1540919166796.0): its digits end at the point

/** Bytes that end the plain run of a string: the quote, a backslash, and the control characters JSON forbids in strings. */
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_STOP[c] = 1;
STRING_STOP[QUOTE] = 1;
STRING_STOP[BACKSLASH] = 1;

/** A scanner for the fields of one data set (build it once; it keeps scratch state between lines). */
export function compileLineScanner(fields: readonly Field[]): LineScanner {
  const n = fields.length;
  // Keys by length and first byte, as bytes: a lookup compares a few bytes, never makes a string.
  const encoded = fields.map((f, index) => ({ bytes: Buffer.from(f.json, 'utf8'), index }));
  const longest = Math.max(...encoded.map((k) => k.bytes.length));
  // Dense (no holes): a sparse array of this size would be a dictionary, and every lookup a hash.
  const keys: ({ bytes: Buffer; index: number }[] | null)[] = new Array<null>((longest + 1) * 256).fill(null);
  for (const k of encoded) (keys[k.bytes.length * 256 + k.bytes[0]] ??= []).push(k);
  const kinds = fields.map((f) => f.kind);
  const required = fields.map((f) => f.required);
  const ranges = fields.map((f) => f.range);
  const type = new Uint8Array(n);
  const from = new Int32Array(n);
  const to = new Int32Array(n);
  // Which line set each field: a field not set by this one is absent (no clearing per line).
  const seen = new Uint32Array(n);
  let generation = 0;
  /** The field of each key position in the last line read (-1: an unknown key). */
  const order = new Int16Array(64).fill(-1);

  const keyIndex = (buf: Buffer, s: number, e: number): number => {
    if (e - s > longest) return -1;
    const candidates = keys[(e - s) * 256 + buf[s]];
    if (candidates === null) return -1;
    for (let k = 0; k < candidates.length; k++) {
      const bytes = candidates[k].bytes;
      let j = 1;
      while (j < bytes.length && bytes[j] === buf[s + j]) j++;
      if (j === bytes.length) return candidates[k].index;
    }
    return -1;
  };

  return function scanLine(buf, start, end, w, key, line) {
    generation = (generation + 1) >>> 0;
    if (generation === 0) {
      seen.fill(0);
      generation = 1;
    }
    let position = 0;
    let i = skipWs(buf, start, end);
    if (buf[i] !== OPEN) return false;
    i = skipWs(buf, i + 1, end);
    if (buf[i] === CLOSE) return false; // {}: a required field is missing; the reference names it
    for (;;) {
      // "key"
      if (buf[i] !== QUOTE) return false;
      const ks = i + 1;
      let ke: number;
      let field: number;
      // Lines of one object mostly spell their keys in the same order: try the key the last line had here.
      const guess = order[position];
      const bytes = guess >= 0 ? encoded[guess].bytes : undefined;
      if (bytes !== undefined && ks + bytes.length < end && buf[ks + bytes.length] === QUOTE && sameBytes(buf, ks, bytes)) {
        ke = ks + bytes.length;
        field = guess;
      } else {
        // Stops at the quote, or at a byte no key may hold here (a line always ends before a stop byte or the buffer's end).
        ke = ks;
        while (STRING_STOP[buf[ke]] === 0) ke++;
        if (ke >= end || buf[ke] !== QUOTE || ke === ks) return false; // an escape or a control character in a key, or ""
        field = keyIndex(buf, ks, ke);
        if (position < order.length) order[position] = field;
      }
      position++;
      if (field >= 0) {
        if (seen[field] === generation) return false; // a duplicate key: JSON.parse keeps the last
        seen[field] = generation;
      }
      i = skipWs(buf, ke + 1, end);
      if (buf[i] !== COLON) return false;
      i = skipWs(buf, i + 1, end);
      // value
      const c = buf[i];
      let vs = i;
      let ve: number;
      let t: number;
      if (c === QUOTE) {
        vs = i + 1;
        ve = vs;
        t = STRING;
        for (;;) {
          while (STRING_STOP[buf[ve]] === 0) ve++; // as for keys: the line's end is a stop byte
          if (ve >= end) return false;
          const b = buf[ve];
          if (b === QUOTE) break;
          if (b !== BACKSLASH) return false; // a raw control character: malformed JSON
          t = ESCAPED;
          ve += 2;
        }
        i = ve + 1;
        // An escaped string nobody reads is only checked.
        if (t === ESCAPED && field < 0 && !escapesValid(buf, vs, ve)) return false;
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        // One pass: the grammar, and where an integral value's digits end.
        let j = c === MINUS ? i + 1 : i;
        const digits = j;
        if (buf[j] === ZERO) j++;
        else if (buf[j] > ZERO && buf[j] <= NINE) while (j < end && buf[j] >= ZERO && buf[j] <= NINE) j++;
        else return false;
        const point = j;
        t = INTEGER;
        if (j < end && buf[j] === 0x2e) {
          j++;
          if (!(j < end && buf[j] >= ZERO && buf[j] <= NINE)) return false;
          let zeros = true;
          while (j < end && buf[j] >= ZERO && buf[j] <= NINE) if (buf[j++] !== ZERO) zeros = false;
          t = zeros ? INTEGRAL : DECIMAL;
        }
        if (j < end && (buf[j] === 0x65 || buf[j] === 0x45)) {
          j++;
          if (j < end && (buf[j] === 0x2b || buf[j] === MINUS)) j++;
          if (!(j < end && buf[j] >= ZERO && buf[j] <= NINE)) return false;
          while (j < end && buf[j] >= ZERO && buf[j] <= NINE) j++;
          t = DECIMAL;
        }
        if (j === digits) return false;
        ve = j;
        i = j;
        // -?digits.0…0: its integer is the digits before the point (a double field reads it whole).
        if (t === INTEGRAL) {
          if (field >= 0 && kinds[field] !== 'number') ve = point;
          else t = DECIMAL;
        }
      } else if (i + 4 <= end && c === 0x6e && buf[i + 1] === 0x75 && buf[i + 2] === 0x6c && buf[i + 3] === 0x6c) {
        t = NULL;
        ve = i + 4;
        i = ve;
      } else if (field < 0 && i + 4 <= end && c === 0x74 && buf[i + 1] === 0x72 && buf[i + 2] === 0x75 && buf[i + 3] === 0x65) {
        t = NULL; // true, in a field nobody reads
        ve = i + 4;
        i = ve;
      } else if (field < 0 && i + 5 <= end && c === 0x66 && buf[i + 1] === 0x61 && buf[i + 2] === 0x6c && buf[i + 3] === 0x73 && buf[i + 4] === 0x65) {
        t = NULL; // false, in a field nobody reads
        ve = i + 5;
        i = ve;
      } else {
        return false; // an object, an array, a boolean in a field, or not JSON
      }
      if (field >= 0) {
        type[field] = t;
        from[field] = vs;
        to[field] = ve;
      }
      i = skipWs(buf, i, end);
      if (buf[i] === COMMA) {
        i = skipWs(buf, i + 1, end);
        continue;
      }
      if (buf[i] === CLOSE) break;
      return false;
    }
    if (skipWs(buf, i + 1, end) !== end) return false;

    // Every field, in column order: checked, then written.
    w.begin(n);
    for (let f = 0; f < n; f++) {
      const t = seen[f] === generation ? type[f] : ABSENT;
      if (t === ABSENT || t === NULL) {
        if (required[f]) return abort(w);
        w.nul();
        continue;
      }
      const s = from[f];
      const e = to[f];
      switch (kinds[f]) {
        case 'string':
          if (t === STRING) w.bytes(buf, s, e);
          else if (t === ESCAPED) {
            // Decoded straight into the row: never longer than its escaped form.
            const at = w.openString(e - s);
            const stop = decodeEscaped(buf, s, e, w.buffer, at);
            if (stop < 0) return abort(w);
            w.closeString(at, stop - at);
          } else return abort(w);
          break;
        case 'int32': {
          if ((t !== INTEGER && t !== INTEGRAL) || e - s > 11) return abort(w);
          const v = digitsValue(buf, s, e);
          if (v < INT32_MIN || v > INT32_MAX || outOf(ranges[f], v)) return abort(w);
          w.int32(v);
          break;
        }
        case 'int64': {
          // Up to 15 digits is always a safe integer; longer ones go the exact way.
          if ((t !== INTEGER && t !== INTEGRAL) || e - s - (buf[s] === MINUS ? 1 : 0) > 15) return abort(w);
          const v = digitsValue(buf, s, e);
          if (outOf(ranges[f], v)) return abort(w);
          w.int64(v);
          break;
        }
        case 'number': {
          if (t !== INTEGER && t !== DECIMAL) return abort(w);
          const v = decimalValue(buf, s, e);
          if (!Number.isFinite(v)) return abort(w);
          w.float64(v);
          break;
        }
        case 'user_id': {
          if (t === STRING) {
            // "" or a few digits (always within int32), as the source spells it.
            if (e - s > USER_ID_PLAIN_DIGITS) return abort(w);
            for (let j = s; j < e; j++) if (buf[j] < ZERO || buf[j] > NINE) return abort(w);
            w.bytes(buf, s, e);
          } else if (t === INTEGER) {
            // A JSON integer in int32 range, written as its digits ("-0" would be "0": the reference way).
            if (e - s > 11 || (buf[s] === MINUS && buf[s + 1] === ZERO)) return abort(w);
            const v = digitsValue(buf, s, e);
            if (v < INT32_MIN || v > INT32_MAX) return abort(w);
            w.bytes(buf, s, e);
          } else return abort(w);
          break;
        }
      }
    }
    w.end(key, line);
    return true;
  };
}

/** The code point of the \\u escape at buf[i] (pairs joined), or -1 for U+0000, a lone surrogate or bad hex; `escapeLength` tells its bytes. */
let escapeLength = 0;
function codePointAt(buf: Buffer, i: number): number {
  let cp = hex4(buf, i + 2);
  escapeLength = 6;
  if (cp <= 0) return -1; // not four hex digits, or U+0000
  if (cp >= 0xdc00 && cp <= 0xdfff) return -1; // a lone low surrogate
  if (cp >= 0xd800 && cp <= 0xdbff) {
    if (buf[i + 6] !== BACKSLASH || buf[i + 7] !== 0x75) return -1;
    const low = hex4(buf, i + 8);
    if (low < 0xdc00 || low > 0xdfff) return -1;
    cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    escapeLength = 12;
  }
  return cp;
}

/** The byte a one-character escape stands for (\\" \\\\ \\/ \\b \\f \\n \\r \\t), or -1. */
const SIMPLE_ESCAPE = new Int16Array(256).fill(-1);
for (const [c, b] of [[QUOTE, QUOTE], [BACKSLASH, BACKSLASH], [0x2f, 0x2f], [0x62, 8], [0x66, 12], [0x6e, 10], [0x72, 13], [0x74, 9]]) SIMPLE_ESCAPE[c] = b;

/** Whether the escaped JSON string on buf[s, e) decodes to a string a field could hold. */
function escapesValid(buf: Buffer, s: number, e: number): boolean {
  for (let i = buf.indexOf(BACKSLASH, s); i !== -1 && i < e; i = buf.indexOf(BACKSLASH, i)) {
    const esc = buf[i + 1];
    if (esc === 0x75) {
      if (codePointAt(buf, i) < 0) return false;
      i += escapeLength;
    } else if (SIMPLE_ESCAPE[esc] < 0) return false;
    else i += 2;
  }
  return true;
}

/**
 * Decodes the escaped JSON string on buf[s, e) as UTF-8 into out at `at`;
 * returns where it ends, or -1 to give up (U+0000, a lone surrogate, a bad
 * escape: the reference names them). The result is never longer than its
 * escaped form (an escape of 6 or 12 bytes gives at most 4).
 */
function decodeEscaped(buf: Buffer, s: number, e: number, out: Buffer, at: number): number {
  let o = at;
  let i = s;
  while (i < e) {
    const c = buf[i];
    if (c !== BACKSLASH) {
      out[o++] = c;
      i++;
      continue;
    }
    const esc = buf[i + 1];
    if (esc !== 0x75) {
      const byte = SIMPLE_ESCAPE[esc];
      if (byte < 0) return -1;
      out[o++] = byte;
      i += 2;
      continue;
    }
    const cp = codePointAt(buf, i);
    if (cp < 0) return -1;
    i += escapeLength;
    if (cp < 0x80) out[o++] = cp;
    else if (cp < 0x800) {
      out[o++] = 0xc0 | (cp >> 6);
      out[o++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      out[o++] = 0xe0 | (cp >> 12);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    } else {
      out[o++] = 0xf0 | (cp >> 18);
      out[o++] = 0x80 | ((cp >> 12) & 0x3f);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    }
  }
  return o;
}

function sameBytes(buf: Buffer, at: number, bytes: Buffer): boolean {
  for (let j = 0; j < bytes.length; j++) if (buf[at + j] !== bytes[j]) return false;
  return true;
}

function abort(w: BinaryRowWriter): false {
  w.abort();
  return false;
}

function outOf(range: Field['range'], v: number): boolean {
  return range !== undefined && (v < range.min || v > range.max);
}

/** JSON whitespace: space, tab, CR (LF never occurs inside a line). */
function skipWs(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
    i++;
  }
  return i;
}

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The double nearest the JSON number on buf[s, e), as JSON.parse gives it.
 * -?digits[.digits] with at most 15 digits in all: the digits as an integer
 * and 10^k are both exact doubles, so one division rounds correctly (Clinger's
 * fast path); anything else is parsed from its text.
 */
function decimalValue(buf: Buffer, s: number, e: number): number {
  const negative = buf[s] === MINUS;
  let m = 0;
  let digits = 0;
  let scale = -1;
  for (let j = negative ? s + 1 : s; j < e; j++) {
    const c = buf[j];
    if (c === 0x2e) scale = 0;
    else if (c >= ZERO && c <= NINE) {
      m = m * 10 + (c - ZERO);
      digits++;
      if (scale >= 0) scale++;
    } else return Number(buf.toString('latin1', s, e)); // an exponent
  }
  if (digits > 15) return Number(buf.toString('latin1', s, e));
  const v = scale > 0 ? m / POWERS_OF_TEN[scale] : m;
  return negative ? -v : v;
}

/** The value of -?digits (at most 15 digits: exact in a double). */
function digitsValue(buf: Buffer, s: number, e: number): number {
  const negative = buf[s] === MINUS;
  let v = 0;
  for (let j = negative ? s + 1 : s; j < e; j++) v = v * 10 + (buf[j] - ZERO);
  return negative ? -v : v;
}

/** Four hex digits at i as a number, or -1. */
function hex4(buf: Buffer, i: number): number {
  let v = 0;
  for (let j = i; j < i + 4; j++) {
    const c = buf[j];
    let d: number;
    if (c >= ZERO && c <= NINE) d = c - ZERO;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}
