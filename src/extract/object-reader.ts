/**
 * Turns the bytes of one (already gunzipped) object into JSON values, by the
 * format rule of SPEC §2:
 *
 * - a UTF-8 byte order mark at the start is ignored; lines end in `\n` or `\r\n`;
 * - the object is NDJSON when its first non-blank line is a complete JSON
 *   value: then each non-blank line is one value, and a malformed line is one
 *   reject while the rest still loads;
 * - otherwise the whole object is one JSON document (json-document.ts), and
 *   a malformed document is one reject for the whole object;
 * - a value that is an array contributes each element.
 *
 * The reader is push-based and synchronous, so the hot path costs no promise
 * per line; the caller drives it with `for await` over the body. Memory is
 * bounded by one chunk plus the longest line (at most `maxLineBytes`).
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { JsonDocumentReader } from './json-document.ts';
import { firstInvalidUtf8, rawText, type RawText, type RawTextOptions } from './raw-text.ts';

export interface ReaderSink {
  /**
   * One JSON value: `line` is its 1-based line (1 in a document); `raw` is the
   * text of its NDJSON line and `element` its index when the line held an
   * array (both undefined in a document).
   */
  value(value: unknown, line: number, raw: string | undefined, element: number | undefined): void;
  /** A line that is not JSON (malformed, invalid UTF-8, too long). */
  reject(line: number, reason: string, raw: RawText): void;
  /** The object is a malformed document: drop every value it gave and keep this one reject. */
  documentFailed(reason: string, raw: RawText): void;
  /**
   * Optional fast path: the bytes `buf[start, end)` of one NDJSON line (valid
   * UTF-8, without its line end), before any parsing. Returns true when the
   * sink took the line as a record; false sends it the usual way (`value` or
   * `reject`), as if this were never called.
   */
  line?(buf: Buffer, start: number, end: number, line: number): boolean;
}

export interface ReaderOptions {
  /** Longest NDJSON line accepted, in bytes (default 16 MiB); longer lines are rejects. */
  maxLineBytes?: number;
  raw?: RawTextOptions;
}

export type Format = 'ndjson' | 'document';

const NL = 0x0a;
const CR = 13;
const BOM = [0xef, 0xbb, 0xbf];
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

export class ObjectReader {
  private readonly sink: ReaderSink;
  private readonly maxLineBytes: number;
  private readonly rawOptions: RawTextOptions;
  private readonly rawMax: number;
  private mode: 'bom' | 'detect' | Format = 'bom';
  /** Bytes of an unfinished line (or, before the format is known, of everything so far). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Line number of the first line in `pending`. */
  private line = 1;
  /** Set while skipping the rest of a line longer than maxLineBytes. */
  private overlong: { head: Buffer; bytes: number } | undefined;
  private document: JsonDocumentReader | undefined;
  private documentHead: Buffer[] = [];
  private documentHeadBytes = 0;
  private failed = false;

  constructor(sink: ReaderSink, options: ReaderOptions = {}) {
    this.sink = sink;
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.rawOptions = options.raw ?? {};
    this.rawMax = this.rawOptions.maxBytes ?? 65536;
  }

  /** The format once known (after the first non-blank line). */
  get format(): Format | undefined {
    return this.mode === 'ndjson' || this.mode === 'document' ? this.mode : undefined;
  }

  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    switch (this.mode) {
      case 'bom':
        this.stash(chunk);
        if (this.pendingBytes >= BOM.length) this.afterBom();
        return;
      case 'detect':
        this.stash(chunk);
        this.detect(false);
        return;
      case 'ndjson':
        this.pushLines(chunk);
        return;
      case 'document':
        this.pushDocument(chunk);
        return;
    }
  }

  end(): void {
    if (this.failed) return;
    if (this.mode === 'bom') this.afterBom();
    if (this.mode === 'detect') this.detect(true);
    if (this.mode === 'ndjson') this.endLines();
    else if (this.mode === 'document') this.endDocument();
  }

  // --- BOM and format detection ------------------------------------------------

  private afterBom(): void {
    let all = this.takePending();
    if (all.length >= 3 && all[0] === BOM[0] && all[1] === BOM[1] && all[2] === BOM[2]) all = all.subarray(3);
    this.mode = 'detect';
    if (all.length) this.stash(all);
    this.detect(false);
  }

  /** Decides the format once the first non-blank line is complete (or at the end). */
  private detect(atEnd: boolean): void {
    const all = this.pendingBytes ? Buffer.concat(this.pending, this.pendingBytes) : Buffer.alloc(0);
    let start = 0;
    for (;;) {
      const nl = all.indexOf(NL, start);
      if (nl === -1 && !atEnd) {
        // A first line longer than any NDJSON line we accept: a (minified) document.
        if (all.length - start > this.maxLineBytes) return this.switchTo('document', all);
        return;
      }
      const end = nl === -1 ? all.length : nl;
      const text = all.toString('utf8', start, end);
      if (!isBlank(text)) {
        return this.switchTo(isCompleteJson(text) ? 'ndjson' : 'document', all);
      }
      if (nl === -1) return this.switchTo('ndjson', all); // only blank lines: nothing to load
      start = nl + 1;
    }
  }

  private switchTo(format: Format, all: Buffer): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.mode = format;
    if (all.length) this.push(all);
  }

  // --- NDJSON --------------------------------------------------------------------

  private pushLines(chunk: Buffer): void {
    if (this.overlong) {
      const nl = chunk.indexOf(NL);
      if (nl === -1) return this.growOverlong(chunk);
      this.growOverlong(chunk.subarray(0, nl));
      this.finishOverlong();
      chunk = chunk.subarray(nl + 1);
      if (chunk.length === 0) return;
    }
    const last = chunk.lastIndexOf(NL);
    if (last === -1) {
      this.stash(chunk);
      if (this.pendingBytes > this.maxLineBytes) this.startOverlong();
      return;
    }
    let from = 0;
    if (this.pendingBytes) {
      // Only the line that spans the chunks is copied; the rest is read where it lies.
      const first = chunk.indexOf(NL) + 1;
      const spanning = Buffer.concat([...this.pending, chunk.subarray(0, first)]);
      this.pending = [];
      this.pendingBytes = 0;
      this.lines(spanning, true);
      from = first;
    }
    if (from < last + 1) this.lines(from === 0 ? chunk.subarray(0, last + 1) : chunk.subarray(from, last + 1), true);
    if (last + 1 < chunk.length) {
      this.stash(chunk.subarray(last + 1));
      if (this.pendingBytes > this.maxLineBytes) this.startOverlong();
    }
  }

  private endLines(): void {
    if (this.overlong) return this.finishOverlong();
    if (this.pendingBytes) this.lines(this.takePending(), false);
  }

  /** Handles whole lines; `terminated` says the buffer ends with a newline. */
  private lines(buf: Buffer, terminated: boolean): void {
    // Common case: decode the whole region once, split in string space. Pure
    // ASCII (JSON with \u escapes, like Udacity's) skips the UTF-8 decoder.
    const ascii = isAscii(buf);
    if ((ascii || isUtf8(buf)) && this.sink.line) {
      // The sink reads records straight from the bytes; only lines it leaves are decoded.
      const sink = this.sink as Required<ReaderSink>;
      const encoding = ascii ? 'latin1' : 'utf8';
      let start = 0;
      while (start < buf.length) {
        let nl = buf.indexOf(NL, start);
        if (nl === -1) nl = buf.length;
        const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
        if (end > start && !sink.line(buf, start, end, this.line)) this.lineText(buf.toString(encoding, start, end));
        this.line++;
        start = nl + 1;
      }
      return;
    }
    if (ascii || isUtf8(buf)) {
      const text = buf.toString(ascii ? 'latin1' : 'utf8');
      const limit = terminated ? text.length - 1 : text.length;
      let start = 0;
      while (start <= limit) {
        let nl = text.indexOf('\n', start);
        if (nl === -1) nl = text.length;
        if (nl === start && nl === text.length) break;
        const end = nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
        if (end > start) this.lineText(text.slice(start, end));
        this.line++;
        start = nl + 1;
      }
      return;
    }
    // Some line is not valid UTF-8: go line by line on bytes.
    let start = 0;
    while (start < buf.length) {
      let nl = buf.indexOf(NL, start);
      if (nl === -1) nl = buf.length;
      const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
      const bytes = buf.subarray(start, end);
      if (isUtf8(bytes)) {
        if (end > start) this.lineText(bytes.toString('utf8'));
      } else {
        this.sink.reject(this.line, `line is not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(bytes)})`, rawText(bytes, this.rawOptions));
      }
      this.line++;
      start = nl + 1;
    }
  }

  private lineText(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      if (isBlank(text)) return;
      this.sink.reject(this.line, `malformed JSON: ${(err as Error).message}`, rawText(text, this.rawOptions));
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) this.sink.value(value[i], this.line, text, i);
    } else {
      this.sink.value(value, this.line, text, undefined);
    }
  }

  private startOverlong(): void {
    const all = this.takePending();
    this.overlong = { head: all.subarray(0, this.rawMax), bytes: all.length };
  }

  private growOverlong(part: Buffer): void {
    const o = this.overlong!;
    if (o.head.length < this.rawMax) o.head = Buffer.concat([o.head, part.subarray(0, this.rawMax - o.head.length)]);
    o.bytes += part.length;
  }

  private finishOverlong(): void {
    const o = this.overlong!;
    this.overlong = undefined;
    this.sink.reject(this.line, `line is ${o.bytes} bytes, longer than the ${this.maxLineBytes}-byte limit`, rawText(o.head, this.rawOptions));
    this.line++;
  }

  // --- document ----------------------------------------------------------------------

  private pushDocument(chunk: Buffer): void {
    if (this.documentHeadBytes < this.rawMax) {
      const part = chunk.subarray(0, this.rawMax - this.documentHeadBytes);
      this.documentHead.push(part);
      this.documentHeadBytes += part.length;
    }
    this.document ??= new JsonDocumentReader((v) => this.documentValue(v));
    try {
      this.document.push(chunk);
    } catch (err) {
      this.failDocument(err);
    }
  }

  private documentValue(value: unknown): void {
    if (Array.isArray(value)) for (const element of value) this.sink.value(element, 1, undefined, undefined);
    else this.sink.value(value, 1, undefined, undefined);
  }

  private endDocument(): void {
    try {
      this.document?.end();
    } catch (err) {
      this.failDocument(err);
    }
  }

  private failDocument(err: unknown): void {
    this.failed = true;
    const reason = err instanceof TypeError ? 'document is not valid UTF-8' : `malformed JSON document: ${(err as Error).message}`;
    this.sink.documentFailed(reason, rawText(Buffer.concat(this.documentHead), this.rawOptions));
  }

  // --- helpers -------------------------------------------------------------------------

  private stash(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }

  private takePending(): Buffer {
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return all;
  }
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) return false;
  }
  return true;
}

/** True when the first line parses as a JSON value on its own (invalid bytes replaced). */
function isCompleteJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    // Not a complete value on its own: the object is a document.
    return false;
  }
}
