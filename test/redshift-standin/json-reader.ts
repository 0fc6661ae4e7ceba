/**
 * COPY's JSON input: root values separated by whitespace or nothing at all
 * (NDJSON, `}{`, pretty-printed objects all work); anything else between
 * them is one error per occurrence; an object over 4 MB is an error.
 * Values are parsed keeping each number's source text, so a number loaded
 * into a VARCHAR keeps its spelling. [REDSHIFT-FACTS §2 "Framing"]
 */

/** Redshift's limit on one JSON object or array, braces included. */
export const MAX_JSON_OBJECT_BYTES = 4 * 1024 * 1024;

export type JsonPiece =
  | { kind: 'value'; bytes: Buffer; line: number }
  | { kind: 'garbage'; bytes: Buffer; line: number }
  | { kind: 'oversize'; head: Buffer; line: number }
  | { kind: 'unterminated'; bytes: Buffer; line: number };

const OUTSIDE = 0;
const VALUE = 1;
const GARBAGE = 2;

const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/**
 * Cuts a byte stream into root JSON values by brace matching (strings and
 * escapes respected). `line` of a piece is the line it ends on, which is what
 * STL_LOAD_ERRORS.line_number shows for JSON. Memory: one value (≤ 4 MB) at a time.
 */
export class JsonRootSplitter {
  private state = OUTSIDE;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private line = 1;
  private lastLine = 1;
  private headerLeft: number;
  private parts: Buffer[] = [];
  private size = 0;
  private pendingStart = -1;

  constructor(ignoreHeaderLines = 0) {
    this.headerLeft = ignoreHeaderLines;
  }

  push(chunk: Buffer): JsonPiece[] {
    const out: JsonPiece[] = [];
    this.pendingStart = -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.headerLeft > 0) {
        if (b === 0x0a) {
          this.headerLeft--;
          this.line++;
        }
        continue;
      }
      if (this.state === OUTSIDE) {
        if (isSpace(b)) {
          if (b === 0x0a) this.line++;
          continue;
        }
        this.begin(i, b === 0x7b || b === 0x5b ? VALUE : GARBAGE);
      }
      if (this.state === GARBAGE) {
        if (b === 0x7b || b === 0x5b || b === 0x0a) {
          this.finish(chunk, i, out, 'garbage');
          if (b === 0x0a) {
            this.line++;
            continue;
          }
          this.begin(i, VALUE);
        } else {
          if (!isSpace(b)) this.lastLine = this.line;
          continue;
        }
      }
      // VALUE
      if (b === 0x0a) this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === 0x5c) this.escaped = true;
        else if (b === 0x22) this.inString = false;
        continue;
      }
      if (b === 0x22) this.inString = true;
      else if (b === 0x7b || b === 0x5b) this.depth++;
      else if (b === 0x7d || b === 0x5d) {
        this.depth--;
        if (this.depth === 0) {
          this.lastLine = this.line;
          this.finish(chunk, i + 1, out, 'value');
        }
      }
    }
    if (this.state !== OUTSIDE) this.keep(chunk.subarray(this.pendingStart < 0 ? 0 : this.pendingStart));
    return out;
  }

  end(): JsonPiece[] {
    const out: JsonPiece[] = [];
    if (this.state === GARBAGE) out.push({ kind: 'garbage', bytes: Buffer.concat(this.parts), line: this.lastLine });
    else if (this.state === VALUE) out.push({ kind: 'unterminated', bytes: Buffer.concat(this.parts), line: this.line });
    this.state = OUTSIDE;
    this.parts = [];
    return out;
  }

  private begin(i: number, state: number): void {
    this.state = state;
    this.pendingStart = i;
    this.parts = [];
    this.size = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.lastLine = this.line;
  }

  /** Keeps bytes of the current piece, up to the 4 MB limit (beyond it only the size is counted). */
  private keep(bytes: Buffer): void {
    if (this.size <= MAX_JSON_OBJECT_BYTES) this.parts.push(Buffer.from(bytes.subarray(0, MAX_JSON_OBJECT_BYTES + 1 - this.size)));
    this.size += bytes.length;
  }

  private finish(chunk: Buffer, end: number, out: JsonPiece[], kind: 'value' | 'garbage'): void {
    this.keep(chunk.subarray(this.pendingStart < 0 ? 0 : this.pendingStart, end));
    const bytes = Buffer.concat(this.parts);
    if (kind === 'value' && this.size > MAX_JSON_OBJECT_BYTES) out.push({ kind: 'oversize', head: bytes.subarray(0, 1024), line: this.lastLine });
    else out.push({ kind, bytes, line: this.lastLine });
    this.state = OUTSIDE;
    this.parts = [];
    this.size = 0;
    this.pendingStart = -1;
  }
}

export type JsonValue =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; raw: string }
  | { t: 'str'; v: string }
  | { t: 'obj'; v: Map<string, JsonValue>; raw: string }
  | { t: 'arr'; v: JsonValue[]; raw: string };

export class JsonSyntaxError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = 'JsonSyntaxError';
    this.offset = offset;
  }
}

/** Parses one JSON text strictly (RFC 8259), keeping numbers' source text. */
export function parseJson(text: string): JsonValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at offset ${i}`, i);
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c < ' ') fail('control character in string');
      if (c !== '\\') {
        out += c;
        i++;
        continue;
      }
      const e = text[i + 1];
      i += 2;
      if (e === 'u') {
        const hex = text.slice(i, i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
      } else {
        const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (!(e in map)) fail('bad escape');
        out += map[e];
      }
    }
  };
  const value = (): JsonValue => {
    ws();
    const c = text[i];
    const start = i;
    if (c === '{') {
      i++;
      const v = new Map<string, JsonValue>();
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'obj', v, raw: text.slice(start, i) };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a member name');
        const key = str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        v.set(key, value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { t: 'obj', v, raw: text.slice(start, i) };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const v: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'arr', v, raw: text.slice(start, i) };
      }
      for (;;) {
        v.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { t: 'arr', v, raw: text.slice(start, i) };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m && m[0].length > 0) {
      i += m[0].length;
      return { t: 'num', raw: m[0] };
    }
    for (const [word, v] of [['true', { t: 'bool', v: true }], ['false', { t: 'bool', v: false }], ['null', { t: 'null' }]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v as JsonValue;
      }
    }
    return fail('unexpected character');
  };
  const v = value();
  ws();
  if (i < text.length) fail('unexpected text after the value');
  return v;
}
