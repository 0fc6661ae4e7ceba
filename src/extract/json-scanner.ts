/**
 * An incremental, byte-level JSON syntax checker (RFC 8259, exactly what
 * `JSON.parse` accepts) that also checks UTF-8. It is fed bytes in pieces of
 * any size and keeps no bytes itself, so memory stays flat however long the
 * text. It reports where each *record* starts and ends — the top-level
 * value, or each element when the top level is an array — so callers can cut
 * records out of the source bytes (json-document.ts), and it stops at the
 * first byte that makes the text invalid, wherever the pieces were cut.
 *
 * Why not a streaming parser library: the loader needs the byte span of every
 * record (a reject keeps its source bytes, SPEC §3) and the exact point where
 * a first line stops being one complete value (the format rule, SPEC §2);
 * parsers hand out values, not spans.
 */

export interface ScanEvents {
  /** A record's first byte is at `offset` (bytes since the scanner started). */
  recordStart(offset: number): void;
  /** A record's last byte is just before `offset`. */
  recordEnd(offset: number): void;
}

export interface ScanError {
  kind: 'syntax' | 'utf8';
  /** Byte offset of the problem, from where the scanner started. */
  offset: number;
  /** 1-based line and byte column of the problem, counted from where the scanner started. */
  line: number;
  column: number;
  message: string;
}

/** What the text scanned so far is. */
export type ScanState = 'blank' | 'open' | 'complete' | 'failed';

/** Deeper nesting fails the text: a record that deep would be over 32 MiB, past any record limit. */
export const MAX_DEPTH = 1 << 24;

// States of the syntax machine (numbers, not an enum: the sources run with type stripping).
const VALUE = 0; // a value is expected (top level, after ':' or ',' in an array)
const ARRAY_FIRST = 1; // after '[': a value or ']'
const OBJECT_FIRST = 2; // after '{': a key or '}'
const KEY = 3; // after ',' in an object: a key
const COLON = 4; // after a key
const AFTER = 5; // after a value inside a container: ',' or the closing bracket
const DONE = 6; // the top-level value is complete: whitespace only
const STRING = 7;
const ESCAPE = 8;
const UNICODE = 9; // inside \uXXXX
const N_MINUS = 10;
const N_ZERO = 11;
const N_INT = 12;
const N_DOT = 13;
const N_FRAC = 14;
const N_EXP = 15;
const N_EXP_SIGN = 16;
const N_EXP_DIGITS = 17;
const LITERAL = 18;
const FAILED = 19;

const LITERALS: Record<number, string> = { 0x74: 'true', 0x66: 'false', 0x6e: 'null' };

export class JsonScanner {
  /** Bytes scanned so far. */
  offset = 0;
  private state = VALUE;
  private depth = 0;
  /** One bit per open container: 1 for an object. */
  private stack = new Uint32Array(4);
  private topIsArray = false;
  private inRecord = false;
  private stringIsKey = false;
  private hexLeft = 0;
  private literal = '';
  private literalAt = 0;
  private started = false;
  // UTF-8: continuation bytes still expected, the range of the next one, and where the sequence began.
  private need = 0;
  private lo = 0x80;
  private hi = 0xbf;
  private leadAt = 0;
  private line = 1;
  private lineStart = 0;
  private syntax: ScanError | undefined;
  private utf8: ScanError | undefined;
  private first: ScanError | undefined;
  private readonly events: ScanEvents | undefined;

  constructor(events?: ScanEvents) {
    this.events = events;
  }

  /** The first problem found, syntax or UTF-8, in byte order. */
  get error(): ScanError | undefined {
    return this.first;
  }

  get syntaxError(): ScanError | undefined {
    return this.syntax;
  }

  get utf8Error(): ScanError | undefined {
    return this.utf8;
  }

  /** Blank (nothing but whitespace yet), open, complete (one whole value), or failed (a syntax error). */
  get status(): ScanState {
    if (this.syntax) return 'failed';
    if (!this.started) return 'blank';
    return this.state === DONE ? 'complete' : 'open';
  }

  /**
   * Scans `buf[start, end)`. After a syntax error only UTF-8 is checked; after
   * a UTF-8 error only the syntax. Record events stop at the first error of either kind.
   */
  push(buf: Uint8Array, start = 0, end = buf.length): void {
    const base = this.offset - start;
    let state = this.state;
    for (let i = start; i < end; i++) {
      const b = buf[i];
      if (this.need > 0) {
        if (b >= this.lo && b <= this.hi) {
          this.lo = 0x80;
          this.hi = 0xbf;
          this.need--;
          continue;
        }
        // A broken sequence: reported once; the byte is then read on its own, as a decoder would.
        this.need = 0;
        this.lo = 0x80;
        this.hi = 0xbf;
        this.fail('utf8', this.leadAt, `invalid UTF-8 sequence (byte 0x${hex(b)} cannot follow the byte before it)`);
      }
      if (b >= 0x80) {
        // Outside a string, no non-ASCII byte is JSON, valid UTF-8 or not.
        if (state !== STRING && state !== FAILED) {
          this.fail('syntax', base + i, `unexpected byte 0x${hex(b)}`);
          state = FAILED;
        }
        // After the first UTF-8 error only the syntax is followed (bytes above 0x7F never shape it).
        if (!this.utf8) this.lead(b, base + i);
        continue;
      }
      switch (state) {
        case STRING:
          if (b === 0x22) {
            if (this.stringIsKey) state = COLON;
            else state = this.valueEnd(base + i + 1);
          } else if (b === 0x5c) state = ESCAPE;
          else if (b < 0x20) state = this.syntaxAt(base + i, b, 'a control character in a string (it must be escaped)');
          continue;
        case FAILED:
          continue;
        case VALUE:
        case ARRAY_FIRST:
        case OBJECT_FIRST:
        case KEY:
        case COLON:
        case AFTER:
        case DONE:
          if (b === 0x20 || b === 0x09 || b === 0x0d) continue;
          if (b === 0x0a) {
            this.line++;
            this.lineStart = base + i + 1;
            continue;
          }
          state = this.structural(state, b, base + i);
          continue;
        case ESCAPE:
          if (b === 0x75) {
            state = UNICODE;
            this.hexLeft = 4;
          } else if (b === 0x22 || b === 0x5c || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74) state = STRING;
          else state = this.syntaxAt(base + i, b, 'an invalid escape in a string');
          continue;
        case UNICODE:
          if (!isHex(b)) state = this.syntaxAt(base + i, b, 'an invalid \\u escape (4 hex digits expected)');
          else if (--this.hexLeft === 0) state = STRING;
          continue;
        case LITERAL: {
          const at = base + i - this.literalAt;
          if (b !== this.literal.charCodeAt(at)) state = this.syntaxAt(base + i, b, `an invalid literal (expected "${this.literal}")`);
          else if (at === this.literal.length - 1) state = this.valueEnd(base + i + 1);
          continue;
        }
        default: {
          // Numbers.
          const next = numberStep(state, b);
          if (next >= 0) {
            state = next;
            continue;
          }
          if (next === -2) {
            state = this.syntaxAt(base + i, b, 'an invalid number');
            continue;
          }
          // The number ended just before this byte: close it, then read the byte again.
          state = this.valueEnd(base + i);
          i--;
          continue;
        }
      }
    }
    this.state = state;
    this.offset = base + end;
  }

  /**
   * Ends the text: a number or literal still open at the end is closed there.
   * Returns the final status; an unfinished UTF-8 sequence is a UTF-8 error.
   */
  finish(): ScanState {
    if (this.need > 0 && !this.utf8) this.fail('utf8', this.leadAt, 'the text ends in the middle of a UTF-8 sequence');
    if (!this.syntax) {
      const s = this.state;
      if (s === N_ZERO || s === N_INT || s === N_FRAC || s === N_EXP_DIGITS) this.state = this.valueEnd(this.offset);
    }
    return this.status;
  }

  // --- helpers ------------------------------------------------------------------------

  /** A UTF-8 lead byte: sets up its continuation bytes, or fails. */
  private lead(b: number, at: number): void {
    this.leadAt = at;
    if (b >= 0xc2 && b <= 0xdf) this.need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      this.need = 2;
      if (b === 0xe0) this.lo = 0xa0; // overlong
      else if (b === 0xed) this.hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      this.need = 3;
      if (b === 0xf0) this.lo = 0x90; // overlong
      else if (b === 0xf4) this.hi = 0x8f; // beyond U+10FFFF
    } else {
      this.fail('utf8', at, `byte 0x${hex(b)} cannot start a UTF-8 sequence`);
    }
  }

  /** A non-space ASCII byte where structure is expected. */
  private structural(state: number, b: number, at: number): number {
    switch (state) {
      case VALUE:
      case ARRAY_FIRST:
        if (state === ARRAY_FIRST && b === 0x5d) return this.close(at);
        return this.valueStart(b, at);
      case OBJECT_FIRST:
      case KEY:
        if (state === OBJECT_FIRST && b === 0x7d) return this.close(at);
        if (b !== 0x22) return this.syntaxAt(at, b, 'a key (a string) expected');
        this.stringIsKey = true;
        return STRING;
      case COLON:
        if (b !== 0x3a) return this.syntaxAt(at, b, '":" expected after a key');
        return VALUE;
      case AFTER: {
        const inObject = this.top();
        if (b === 0x2c) return inObject ? KEY : VALUE;
        if (b === (inObject ? 0x7d : 0x5d)) return this.close(at);
        return this.syntaxAt(at, b, inObject ? '"," or "}" expected' : '"," or "]" expected');
      }
      default:
        // DONE: another value after a complete one.
        return this.syntaxAt(at, b, 'a second JSON value after the first one (several values back to back are neither NDJSON lines nor one document)');
    }
  }

  private valueStart(b: number, at: number): number {
    if (this.depth === 0) {
      this.started = true;
      if (b === 0x5b) this.topIsArray = true;
      else this.recordStart(at);
    } else if (this.depth === 1 && this.topIsArray) this.recordStart(at);
    switch (b) {
      case 0x7b:
        return this.open(at, true);
      case 0x5b:
        return this.open(at, false);
      case 0x22:
        this.stringIsKey = false;
        return STRING;
      case 0x2d:
        return N_MINUS;
      case 0x30:
        return N_ZERO;
      case 0x74:
      case 0x66:
      case 0x6e:
        this.literal = LITERALS[b];
        this.literalAt = at;
        return LITERAL;
      default:
        if (b >= 0x31 && b <= 0x39) return N_INT;
        return this.syntaxAt(at, b, 'a value expected');
    }
  }

  private open(at: number, object: boolean): number {
    if (this.depth >= MAX_DEPTH) return this.syntaxAt(at, object ? 0x7b : 0x5b, `nesting deeper than ${MAX_DEPTH} levels`);
    const word = this.depth >>> 5;
    if (word >= this.stack.length) {
      const grown = new Uint32Array(this.stack.length * 2);
      grown.set(this.stack);
      this.stack = grown;
    }
    const bit = 1 << (this.depth & 31);
    if (object) this.stack[word] |= bit;
    else this.stack[word] &= ~bit;
    this.depth++;
    return object ? OBJECT_FIRST : ARRAY_FIRST;
  }

  /** Whether the innermost open container is an object. */
  private top(): boolean {
    const d = this.depth - 1;
    return (this.stack[d >>> 5] & (1 << (d & 31))) !== 0;
  }

  private close(at: number): number {
    this.depth--;
    return this.valueEnd(at + 1);
  }

  /** A value ended just before `end`: the state that follows it. */
  private valueEnd(end: number): number {
    if (this.inRecord && this.depth === (this.topIsArray ? 1 : 0)) {
      this.inRecord = false;
      if (!this.first) this.events?.recordEnd(end);
    }
    return this.depth === 0 ? DONE : AFTER;
  }

  private recordStart(at: number): void {
    this.inRecord = true;
    if (!this.first) this.events?.recordStart(at);
  }

  private syntaxAt(at: number, b: number, what: string): number {
    this.fail('syntax', at, `unexpected ${describeByte(b)}: ${what}`);
    return FAILED;
  }

  private fail(kind: 'syntax' | 'utf8', at: number, message: string): void {
    // A failure is always on the current line (a line break inside a string is itself a failure).
    const error: ScanError = { kind, offset: at, line: this.line, column: at - this.lineStart + 1, message };
    if (kind === 'syntax') this.syntax ??= error;
    else this.utf8 ??= error;
    this.first ??= error;
  }
}

/** The next number state for byte `b`; -1 when the number ended before `b`, -2 when `b` makes it invalid. */
function numberStep(state: number, b: number): number {
  const digit = b >= 0x30 && b <= 0x39;
  switch (state) {
    case N_MINUS:
      if (b === 0x30) return N_ZERO;
      return digit ? N_INT : -2;
    case N_ZERO:
      if (b === 0x2e) return N_DOT;
      if (b === 0x65 || b === 0x45) return N_EXP;
      return -1;
    case N_INT:
      if (digit) return N_INT;
      if (b === 0x2e) return N_DOT;
      if (b === 0x65 || b === 0x45) return N_EXP;
      return -1;
    case N_DOT:
      return digit ? N_FRAC : -2;
    case N_FRAC:
      if (digit) return N_FRAC;
      if (b === 0x65 || b === 0x45) return N_EXP;
      return -1;
    case N_EXP:
      if (b === 0x2b || b === 0x2d) return N_EXP_SIGN;
      return digit ? N_EXP_DIGITS : -2;
    case N_EXP_SIGN:
      return digit ? N_EXP_DIGITS : -2;
    default:
      // N_EXP_DIGITS
      return digit ? N_EXP_DIGITS : -1;
  }
}

function isHex(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

function hex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

function describeByte(b: number): string {
  if (b === 0x0a) return 'end of line';
  if (b < 0x20 || b === 0x7f) return `control character 0x${hex(b)}`;
  return JSON.stringify(String.fromCharCode(b));
}

/**
 * The source text of element `index` (0-based) of the JSON array `text`
 * (one NDJSON line): a reject keeps its element's own bytes, not a re-serialisation.
 */
export function arrayElementText(text: string, index: number): string {
  const bytes = Buffer.from(text, 'utf8');
  let n = -1;
  let from = 0;
  let to = -1;
  const scanner = new JsonScanner({
    recordStart(offset) {
      if (++n === index) from = offset;
    },
    recordEnd(offset) {
      if (n === index) to = offset;
    },
  });
  scanner.push(bytes);
  scanner.finish();
  return to < 0 ? text : bytes.toString('utf8', from, to);
}
