/**
 * Turns the bytes of one (already gunzipped) object into JSON values, by the
 * format rule of SPEC §2:
 *
 * - a UTF-8 byte order mark at the start is ignored; lines end in `\n` or
 *   `\r\n`; a blank line holds only spaces, tabs and CRs (JSON's whitespace);
 * - the object is NDJSON when its first non-blank line is a complete JSON
 *   value: then each non-blank line is one value, and a malformed line is one
 *   reject while the rest still loads;
 * - otherwise the whole object is one JSON document (json-document.ts): one
 *   value, whose failure — a syntax error, several values back to back,
 *   invalid UTF-8 — is one reject for the whole object;
 * - a value that is an array contributes each element (an element that is an
 *   array is a record like any other, and fails validation).
 *
 * Lines have no length limit; records do: a record — the value of a line, an
 * element of an array, a document's single value — of more than
 * `maxRecordBytes` of JSON text is a reject, and nothing else changes. A line
 * longer than that is not held in memory: it is spooled to disk while a
 * scanner checks it (long-line.ts), so even a first line of gigabytes decides
 * the format exactly, and then read back one record at a time.
 *
 * The reader is push-based and synchronous, so the hot path costs no promise
 * per line. Reading back a spooled line is done in slices by `pump()`, so the
 * caller can take the rows in between: after each `push()` and after `end()`,
 * call `pump()` until it returns false. Memory is bounded by one chunk, one
 * line of at most `maxRecordBytes`, and one read-back slice.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { tmpdir } from 'node:os';
import { JsonDocument, RecordSplitter } from './json-document.ts';
import { LongLine } from './long-line.ts';
import { parseJson } from './parse-json.ts';
import { firstInvalidUtf8, rawPrefix, rawText, type RawText, type RawTextOptions } from './raw-text.ts';

export interface ReaderSink {
  /**
   * One record: `line` is its 1-based line (NDJSON) or its position in the
   * document's array (1 for a document's single value). `raw` is its source
   * text — the NDJSON line, or the record's own text — and `element` its
   * index when `raw` is a line holding an array of records.
   */
  value(value: unknown, line: number, raw: string | undefined, element: number | undefined): void;
  /** A line or record that is not loaded (malformed, invalid UTF-8, too long). */
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
  /**
   * Optional, to read lines elsewhere (a worker thread): `buf` holds whole
   * NDJSON lines, the first of which is line `line`, each at most the record
   * limit and valid or not; only at the end of the object may the last one
   * lack its line end. Returns true when the sink takes them all — it must
   * then give for them exactly what a reader continuing at that line
   * (`ReaderOptions.continueAt`) gives; false reads them here.
   */
  region?(buf: Buffer, line: number): boolean;
}

export interface ReaderOptions {
  /** Longest record accepted, in bytes of its JSON text (default 16 MiB); a longer one is a reject. */
  maxRecordBytes?: number;
  raw?: RawTextOptions;
  /** Where lines longer than `maxRecordBytes` are spooled while they are read (default: the OS temp folder). */
  spoolDir?: string;
  /**
   * Reads a piece of an NDJSON object whose first line is this line: no byte
   * order mark, no format rule (the whole object's reader applied them).
   */
  continueAt?: number;
}

export type Format = 'ndjson' | 'document';

const NL = 0x0a;
const CR = 13;
const BOM = [0xef, 0xbb, 0xbf];
const EMPTY = Buffer.alloc(0);
/** 16 MiB: the longest record (SPEC §2 leaves it open; documented in the README). */
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;

export class ObjectReader {
  private readonly sink: ReaderSink;
  private readonly maxRecord: number;
  private readonly rawOptions: RawTextOptions;
  private readonly spoolDir: string | undefined;
  private mode: 'bom' | 'detect' | Format = 'bom';
  /** Bytes of the unfinished line (in detect mode: of the current line, from its start). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Line number of the line in `pending` (or in `long`). */
  private line = 1;
  /** Detect mode: the current line holds only whitespace so far. */
  private lineBlank = true;
  /** The current line, when it is too long to hold. */
  private long: LongLine | undefined;
  private document: JsonDocument | undefined;
  /** Work that reads back a spooled line, one slice per step (true when done). */
  private job: (() => boolean) | undefined;
  private jobLine: LongLine | undefined;
  /** Input that arrived while a job was pending, in order. */
  private queue: Buffer[] = [];
  private ended = false;
  private finished = false;

  constructor(sink: ReaderSink, options: ReaderOptions = {}) {
    this.sink = sink;
    this.maxRecord = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.rawOptions = options.raw ?? {};
    // os.tmpdir() (a few µs: it reads the environment) only when a line is spooled: a worker builds a reader per piece.
    this.spoolDir = options.spoolDir;
    if (options.continueAt !== undefined) {
      this.mode = 'ndjson';
      this.line = options.continueAt;
    }
  }

  /** The format once known (after the first non-blank line). */
  get format(): Format | undefined {
    return this.mode === 'ndjson' || this.mode === 'document' ? this.mode : undefined;
  }

  /** True once the object is known to be a malformed document (its rows will be dropped). */
  get failed(): boolean {
    return this.document?.failed ?? false;
  }

  push(chunk: Buffer): void {
    if (this.finished || this.ended || chunk.length === 0) return;
    if (this.job || this.queue.length) this.queue.push(chunk);
    else this.process(chunk);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.job && !this.queue.length) this.finish();
  }

  /** Does one step of pending work; false when there is none. */
  pump(): boolean {
    if (this.job) {
      if (this.job()) {
        this.job = undefined;
        this.jobLine = undefined;
      }
      return true;
    }
    if (this.queue.length) {
      this.process(this.queue.shift()!);
      return true;
    }
    if (this.ended && !this.finished) {
      this.finish();
      return true;
    }
    return false;
  }

  /** Releases a spool file (a reader abandoned mid-object). */
  dispose(): void {
    this.long?.dispose();
    this.jobLine?.dispose();
    this.long = undefined;
    this.jobLine = undefined;
    this.job = undefined;
    this.queue = [];
  }

  private process(chunk: Buffer): void {
    switch (this.mode) {
      case 'bom':
        this.stash(chunk);
        if (this.pendingBytes >= BOM.length) this.afterBom();
        return;
      case 'detect':
        return this.detect(chunk);
      case 'ndjson':
        return this.pushLines(chunk);
      case 'document':
        return this.document!.push(chunk);
    }
  }

  /** Goes on with `rest` now, or after the job that was just set up. */
  private then(rest: Buffer): void {
    if (rest.length === 0) return;
    if (this.job) this.queue.unshift(rest);
    else this.process(rest);
  }

  private finish(): void {
    while (!this.job && !this.finished) {
      switch (this.mode) {
        case 'bom':
          this.afterBom();
          break;
        case 'detect':
          if (this.long) this.endLongFirstLine(EMPTY);
          else if (this.pendingBytes && !this.lineBlank) this.decide(this.takePending(), EMPTY);
          else {
            this.dropPending();
            this.mode = 'ndjson'; // only blank lines: nothing to load
          }
          break;
        case 'ndjson':
          if (this.long) this.endLongLine();
          else if (this.pendingBytes) {
            const buf = this.takePending();
            const stop = this.lines(buf, false);
            if (stop < buf.length) this.queue.unshift(buf.subarray(stop));
          } else this.finished = true;
          break;
        case 'document': {
          const failure = this.document!.end();
          if (failure) this.sink.documentFailed(failure.reason, failure.raw);
          this.finished = true;
          break;
        }
      }
    }
  }

  // --- BOM and format detection ------------------------------------------------

  private afterBom(): void {
    let all = this.takePending();
    if (all.length >= 3 && all[0] === BOM[0] && all[1] === BOM[1] && all[2] === BOM[2]) all = all.subarray(3);
    this.mode = 'detect';
    if (all.length) this.detect(all);
  }

  /**
   * Skips blank lines and finds the first non-blank one. Each byte is looked
   * at once, so a million blank lines cost a million steps, not their square.
   */
  private detect(chunk: Buffer): void {
    if (this.long) {
      const nl = chunk.indexOf(NL);
      if (nl === -1) return this.long.append(chunk);
      this.long.append(chunk.subarray(0, nl));
      return this.endLongFirstLine(chunk.subarray(nl));
    }
    // Start of the current line in `chunk` (its earlier bytes, if any, are pending).
    let start = 0;
    if (this.lineBlank) {
      let i = 0;
      for (; i < chunk.length; i++) {
        const c = chunk[i];
        if (c === NL) {
          if (this.pendingBytes) this.dropPending();
          this.line++;
          start = i + 1;
        } else if (c !== 32 && c !== 9 && c !== CR) break;
      }
      if (i < chunk.length) this.lineBlank = false;
    }
    const nl = this.lineBlank ? -1 : chunk.indexOf(NL, start);
    if (nl === -1) {
      if (start < chunk.length) this.stash(start === 0 ? chunk : chunk.subarray(start));
      // A line too long to hold, blank so far or not: spool it and decide at its end.
      if (this.pendingBytes > this.maxRecord + 1) {
        this.long = LongLine.spooled(this.line, this.spoolDir ?? tmpdir());
        this.long.append(this.takePending());
      }
      return;
    }
    const line = this.pendingBytes ? Buffer.concat([...this.takePendingParts(), chunk.subarray(start, nl)]) : chunk.subarray(start, nl);
    this.decide(line, chunk.subarray(nl));
  }

  /** The first non-blank line is whole (`rest` starts at its line feed): pick the format. */
  private decide(line: Buffer, rest: Buffer): void {
    const content = line.length && line[line.length - 1] === CR ? line.length - 1 : line.length;
    if (content > this.maxRecord) {
      this.long = LongLine.inMemory(this.line, line);
      return this.endLongFirstLine(rest);
    }
    if (isCompleteJson(line.toString('utf8'))) {
      this.mode = 'ndjson';
      this.stash(line);
    } else {
      this.startDocument(this.line);
      this.document!.push(line);
    }
    this.then(rest);
  }

  /** A first line that was too long to hold has ended (`rest` starts at its line feed, if any). */
  private endLongFirstLine(rest: Buffer): void {
    const long = this.long!;
    const state = long.finish();
    if (state === 'blank' && !long.scanner.utf8Error) {
      long.dispose();
      this.long = undefined;
      this.line++;
      this.lineBlank = true;
      return this.then(rest.subarray(1));
    }
    if (state === 'complete') {
      this.mode = 'ndjson';
      this.endLongLine();
      return this.then(rest.subarray(1));
    }
    // Not one complete value: the object is a document, which starts with this line.
    this.long = undefined;
    this.startDocument(long.line);
    const next = long.readBack();
    this.jobLine = long;
    this.job = () => {
      const slice = next();
      if (slice) {
        this.document!.push(slice);
        return false;
      }
      long.dispose();
      return true;
    };
    this.then(rest);
  }

  private startDocument(firstLine: number): void {
    this.mode = 'document';
    this.document = new JsonDocument(
      {
        value: (value, position, text) => this.sink.value(value, position, text, undefined),
        reject: (position, reason, raw) => this.sink.reject(position, reason, raw),
      },
      { maxRecordBytes: this.maxRecord, firstLine, raw: this.rawOptions },
    );
  }

  // --- NDJSON --------------------------------------------------------------------

  private pushLines(chunk: Buffer): void {
    if (this.long) {
      const nl = chunk.indexOf(NL);
      if (nl === -1) return this.long.append(chunk);
      this.long.append(chunk.subarray(0, nl));
      this.endLongLine();
      return this.then(chunk.subarray(nl + 1));
    }
    const last = chunk.lastIndexOf(NL);
    if (last === -1) {
      this.stash(chunk);
      if (this.pendingBytes > this.maxRecord + 1) this.startLongLine();
      return;
    }
    let from = 0;
    if (this.pendingBytes) {
      // Only the line that spans the chunks is copied; the rest is read where it lies.
      const first = chunk.indexOf(NL) + 1;
      const spanning = Buffer.concat([...this.pending, chunk.subarray(0, first)]);
      this.pending = [];
      this.pendingBytes = 0;
      const stop = this.lines(spanning, true);
      if (this.job) {
        // A long line is read back first; the lines after it wait.
        this.queue.unshift(...[spanning.subarray(stop), chunk.subarray(first)].filter((b) => b.length > 0));
        return;
      }
      from = first;
    }
    const complete = chunk.subarray(from, last + 1);
    const stop = complete.length ? this.lines(complete, true) : 0;
    const rest = chunk.subarray(last + 1);
    if (this.job) {
      // A long line in the middle is read back first; the lines after it wait.
      const after = [complete.subarray(stop), rest].filter((b) => b.length > 0);
      this.queue.unshift(...after);
      return;
    }
    if (rest.length) {
      this.stash(rest);
      if (this.pendingBytes > this.maxRecord + 1) this.startLongLine();
    }
  }

  private startLongLine(): void {
    this.long = LongLine.spooled(this.line, this.spoolDir ?? tmpdir());
    this.long.append(this.takePending());
  }

  /**
   * Handles whole lines; `terminated` says the buffer ends with a newline.
   * Returns where it stopped: the end, or just after a long line whose
   * records are read back first.
   */
  private lines(buf: Buffer, terminated: boolean): number {
    // A region this long may hold a line over the record limit: measure each line.
    if (buf.length > this.maxRecord) return this.measuredLines(buf);
    if (this.sink.region?.(buf, this.line)) {
      this.line += linesIn(buf);
      return buf.length;
    }
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
      return buf.length;
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
      return buf.length;
    }
    // Some line is not valid UTF-8: go line by line on bytes.
    let start = 0;
    while (start < buf.length) {
      let nl = buf.indexOf(NL, start);
      if (nl === -1) nl = buf.length;
      const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
      this.lineBytes(buf.subarray(start, end));
      this.line++;
      start = nl + 1;
    }
    return buf.length;
  }

  /** Lines of a region longer than the record limit: each is measured, long ones go the long way. */
  private measuredLines(buf: Buffer): number {
    let start = 0;
    while (start < buf.length) {
      let nl = buf.indexOf(NL, start);
      if (nl === -1) nl = buf.length;
      const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
      if (end - start > this.maxRecord) {
        this.long = LongLine.inMemory(this.line, buf.subarray(start, nl));
        this.endLongLine();
        if (this.job) return Math.min(nl + 1, buf.length);
      } else {
        this.lineBytes(buf.subarray(start, end));
        this.line++;
      }
      start = nl + 1;
    }
    return buf.length;
  }

  private lineBytes(bytes: Buffer): void {
    if (isUtf8(bytes)) {
      if (bytes.length) this.lineText(bytes.toString('utf8'));
    } else {
      this.sink.reject(this.line, `line is not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(bytes)})`, rawText(bytes, this.rawOptions));
    }
  }

  private lineText(text: string): void {
    let value: unknown;
    try {
      value = parseJson(text);
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

  /** The long line in `long` has ended: a reject, nothing (blank), or its records read back by a job. */
  private endLongLine(): void {
    const long = this.long!;
    this.long = undefined;
    this.line = long.line + 1;
    const state = long.finish();
    const utf8 = long.scanner.utf8Error;
    if (utf8 || state !== 'complete') {
      if (utf8) this.sink.reject(long.line, `line is not valid UTF-8 (first bad byte at offset ${utf8.offset})`, long.raw(this.rawOptions));
      else if (state !== 'blank') {
        const why = long.scanner.syntaxError?.message ?? 'the line ends in the middle of a value';
        this.sink.reject(long.line, `malformed JSON: ${why}`, long.raw(this.rawOptions));
      }
      long.dispose();
      return;
    }
    const line = long.line;
    const max = this.maxRecord;
    const splitter = new RecordSplitter(
      {
        record: (text) => {
          let value: unknown;
          try {
            value = parseJson(text);
          } catch (err) {
            // The scanner accepted it: only an engine limit lands here.
            this.sink.reject(line, `record cannot be parsed: ${(err as Error).message}`, rawText(text, this.rawOptions));
            return;
          }
          this.sink.value(value, line, text, undefined);
        },
        oversized: (_position, bytes, head) => this.sink.reject(line, `record is ${bytes} bytes of JSON, longer than the ${max}-byte limit for one record`, rawPrefix(head, bytes, this.rawOptions)),
      },
      max,
    );
    const next = long.readBack();
    this.jobLine = long;
    this.job = () => {
      const slice = next();
      if (slice) {
        splitter.push(slice);
        return false;
      }
      splitter.end();
      long.dispose();
      return true;
    };
  }

  // --- helpers -------------------------------------------------------------------------

  private stash(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }

  private takePendingParts(): Buffer[] {
    const all = this.pending;
    this.dropPending();
    return all;
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  private takePending(): Buffer {
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return all;
  }
}

/** How many lines `buf` holds: one per line feed, and one more for a last line without its own. */
function linesIn(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(NL); i !== -1; i = buf.indexOf(NL, i + 1)) n++;
  return buf.length > 0 && buf[buf.length - 1] !== NL ? n + 1 : n;
}

/** Whether `text` holds only JSON whitespace (space, tab, CR, LF); a form feed is not. */
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
