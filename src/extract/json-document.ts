/**
 * Records cut out of streamed JSON text: the top-level value, or each element
 * of a top-level array (SPEC §2). json-scanner.ts finds where each record
 * starts and ends; its bytes are kept while it streams by — at most
 * `maxRecordBytes`, beyond which only its head is kept for the reject — and
 * parsed with `JSON.parse` (guarded: parse-json.ts) once complete. Memory is bounded by one record.
 *
 * Used for a whole object in document mode (`JsonDocument`) and for an NDJSON
 * line too long to hold (object-reader.ts).
 */
import { JsonScanner, type ScanError, type ScanState } from './json-scanner.ts';
import { parseJson } from './parse-json.ts';
import { rawPrefix, type RawText, type RawTextOptions } from './raw-text.ts';

export interface RecordHandler {
  /** A complete record of at most `maxRecordBytes`: its source text and 1-based position. */
  record(text: string, position: number): void;
  /** A record longer than the limit: its size in bytes and its first bytes. */
  oversized(position: number, bytes: number, head: Buffer): void;
}

/** Bytes of a record's head kept for the raw text of its reject (64 KiB and a split character). */
export const HEAD_BYTES = 65536 + 4;

export class RecordSplitter {
  readonly scanner: JsonScanner;
  private readonly handler: RecordHandler;
  private readonly maxRecordBytes: number;
  private position = 0;
  /** Start offset of the record being read, or -1. */
  private start = -1;
  private parts: Buffer[] = [];
  /** Bytes of the open record so far, and how many of them `parts` holds. */
  private kept = 0;
  private held = 0;
  private chunk: Buffer | undefined;
  private chunkBase = 0;
  /** Where in `chunk` the open record's bytes continue. */
  private from = 0;

  constructor(handler: RecordHandler, maxRecordBytes: number) {
    this.handler = handler;
    this.maxRecordBytes = maxRecordBytes;
    this.scanner = new JsonScanner({
      recordStart: (offset) => {
        this.start = offset;
        this.from = offset - this.chunkBase;
        this.parts = [];
        this.kept = 0;
        this.held = 0;
      },
      recordEnd: (offset) => {
        if (this.chunk) this.keep(this.chunk.subarray(this.from, offset - this.chunkBase));
        this.emit(offset - this.start);
        this.start = -1;
      },
    });
  }

  /** Scans `chunk`; a record may keep a view of it, so the caller must not reuse its memory. */
  push(chunk: Buffer): void {
    this.chunk = chunk;
    this.chunkBase = this.scanner.offset;
    this.from = 0;
    this.scanner.push(chunk);
    if (this.start >= 0 && !this.scanner.error) this.keep(chunk.subarray(this.from));
    this.chunk = undefined;
  }

  /** Ends the text (a number at the very end completes here); returns the scanner's final state. */
  end(): ScanState {
    return this.scanner.finish();
  }

  private keep(part: Buffer): void {
    if (part.length === 0) return;
    this.kept += part.length;
    if (this.kept <= this.maxRecordBytes) {
      this.parts.push(part);
      this.held += part.length;
      return;
    }
    // Too long to load: from now on only its head is needed.
    if (this.held > HEAD_BYTES) {
      this.parts = [Buffer.concat(this.parts).subarray(0, HEAD_BYTES)];
      this.held = HEAD_BYTES;
    }
    if (this.held < HEAD_BYTES) {
      const slice = part.subarray(0, HEAD_BYTES - this.held);
      this.parts.push(slice);
      this.held += slice.length;
    }
  }

  private emit(size: number): void {
    const position = ++this.position;
    const bytes = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    this.parts = [];
    if (size > this.maxRecordBytes) this.handler.oversized(position, size, Buffer.from(bytes.subarray(0, HEAD_BYTES)));
    else this.handler.record(bytes.toString('utf8'), position);
  }
}

/** Receives what a document gives. */
export interface DocumentSink {
  /** A record: its value, its position (element of the top-level array, or 1), and its source text. */
  value(value: unknown, position: number, text: string): void;
  /** A record that is not loaded (longer than the limit), with its raw text. */
  reject(position: number, reason: string, raw: RawText): void;
}

/**
 * Document mode of the format rule: the whole object is one JSON value. Any
 * syntax error, a second value after the first, or invalid UTF-8 fails it;
 * the failure is known at once (`failed`) but reported by `end()`, when the
 * raw text can say exactly whether it holds the whole document.
 */
export class JsonDocument {
  private readonly splitter: RecordSplitter;
  private readonly firstLine: number;
  private readonly raw: RawTextOptions;
  private head: Buffer[] = [];
  private headBytes = 0;
  private total = 0;
  private failure: string | undefined;

  /** `firstLine`: the object's line where the document starts (blank lines before it are skipped). */
  constructor(sink: DocumentSink, options: { maxRecordBytes: number; firstLine: number; raw: RawTextOptions }) {
    this.firstLine = options.firstLine;
    this.raw = options.raw;
    const max = options.maxRecordBytes;
    this.splitter = new RecordSplitter(
      {
        record(text, position) {
          let value: unknown;
          try {
            value = parseJson(text);
          } catch (err) {
            // The scanner accepted it, so only an engine limit can land here.
            sink.reject(position, `element ${position} cannot be parsed: ${(err as Error).message}`, rawPrefix(Buffer.from(text, 'utf8'), Buffer.byteLength(text, 'utf8'), options.raw));
            return;
          }
          sink.value(value, position, text);
        },
        oversized(position, bytes, head) {
          sink.reject(position, `record is ${bytes} bytes of JSON, longer than the ${max}-byte limit for one record`, rawPrefix(head, bytes, options.raw));
        },
      },
      max,
    );
  }

  /** True once the document is known to be malformed (the rest is only counted, for the raw text). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headBytes < HEAD_BYTES) {
      const part = Buffer.from(chunk.subarray(0, HEAD_BYTES - this.headBytes));
      this.head.push(part);
      this.headBytes += part.length;
    }
    if (this.failure) return;
    this.splitter.push(chunk);
    const err = this.splitter.scanner.error;
    if (err) this.failure = this.describe(err);
  }

  /** Ends the document: its failure (reason and raw text), if it failed. */
  end(): { reason: string; raw: RawText } | undefined {
    if (!this.failure) {
      const state = this.splitter.end();
      const err = this.splitter.scanner.error;
      if (err) this.failure = this.describe(err);
      else if (state === 'open') this.failure = 'malformed JSON document: it ends in the middle of a value';
    }
    if (!this.failure) return undefined;
    return { reason: this.failure, raw: rawPrefix(Buffer.concat(this.head), this.total, this.raw) };
  }

  private describe(err: ScanError): string {
    const where = `line ${this.firstLine + err.line - 1}, column ${err.column}`;
    return err.kind === 'utf8' ? `document is not valid UTF-8 (${where}: ${err.message})` : `malformed JSON document: ${err.message} (${where})`;
  }
}
