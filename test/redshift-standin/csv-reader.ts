/**
 * Incremental, byte-level reader for COPY's CSV and delimited-text formats,
 * with Redshift's rules rather than Postgres': only LF ends a record (a CR is
 * data), quoted CSV fields may hold delimiters, LF and CR, a doubled quote is
 * one quote, whitespace between a delimiter and an opening quote is ignored,
 * and IGNOREHEADER skips physical lines. Feed chunks with `push`, then `end`.
 * Memory: one record at a time. [REDSHIFT-FACTS §1 "CSV options"]
 */

export interface DelimitedOptions {
  csv: boolean;
  /** Field delimiter byte. */
  delimiter: number;
  /** CSV quote byte. */
  quote: number;
  /** Text format: backslash escapes the next byte (ESCAPE). */
  escape: boolean;
  /** Text format: surrounding double quotes are removed (REMOVEQUOTES). */
  removeQuotes: boolean;
  ignoreHeader: number;
  ignoreBlankLines: boolean;
}

export interface RawField {
  /** The field's value bytes (quotes and escapes resolved). */
  bytes: Buffer;
  /** The field as it appeared in the record. */
  raw: Buffer;
  quoted: boolean;
  /** Byte offset of the field in the record. */
  offset: number;
}

export interface RawRecord {
  fields: RawField[];
  /** 1-based line number of the record's first line. */
  line: number;
  /** The record's bytes, without the terminating LF. */
  raw: Buffer;
  /** A structural problem that makes the whole record a load error. */
  problem?: { code: number; reason: string };
}

const LF = 0x0a;
const BACKSLASH = 0x5c;
const DQUOTE = 0x22;
const isBlank = (b: number): boolean => b === 0x20 || b === 0x09;

/** A growable byte buffer. */
class ByteSink {
  private buf = Buffer.alloc(256);
  length = 0;

  push(b: number): void {
    if (this.length === this.buf.length) {
      const bigger = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(bigger);
      this.buf = bigger;
    }
    this.buf[this.length++] = b;
  }

  slice(from: number, to = this.length): Buffer {
    return Buffer.from(this.buf.subarray(from, to));
  }

  truncate(n: number): void {
    this.length = n;
  }
}

// Parser states.
const FIELD_START = 0;
const LEADING_BLANKS = 1;
const UNQUOTED = 2;
const QUOTED = 3;
const QUOTE_IN_QUOTED = 4;
const AFTER_QUOTED = 5;
const ESCAPED = 6;
const TEXT_QUOTED = 7;

export class DelimitedReader {
  private readonly opts: DelimitedOptions;
  private state = FIELD_START;
  private returnState = UNQUOTED;
  private line = 1;
  private recordLine = 1;
  private headerLeft: number;
  private readonly raw = new ByteSink();
  private readonly field = new ByteSink();
  private fieldStart = 0;
  private quoted = false;
  private fields: RawField[] = [];
  private problem: RawRecord['problem'];

  constructor(opts: DelimitedOptions) {
    this.opts = opts;
    this.headerLeft = opts.ignoreHeader;
  }

  push(chunk: Buffer): RawRecord[] {
    const out: RawRecord[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.headerLeft > 0) {
        if (b === LF) {
          this.headerLeft--;
          this.line++;
          this.recordLine = this.line;
        }
        continue;
      }
      this.step(b, out);
    }
    return out;
  }

  end(): RawRecord[] {
    const out: RawRecord[] = [];
    if (this.state === QUOTED || this.state === TEXT_QUOTED) {
      this.problem ??= { code: 1214, reason: 'Delimited value missing end quote' };
    }
    if (this.state === ESCAPED) this.problem ??= { code: 1216, reason: 'Escape character at end of input' };
    if (this.raw.length > 0 || this.fields.length > 0) this.endRecord(out);
    return out;
  }

  /** `atDelimiter`: the delimiter byte was already appended to the record and is not part of the field. */
  private endField(atDelimiter = false): void {
    const rawEnd = this.raw.length - (atDelimiter ? 1 : 0);
    this.fields.push({ bytes: this.field.slice(0), raw: this.raw.slice(this.fieldStart, rawEnd), quoted: this.quoted, offset: this.fieldStart });
    this.field.truncate(0);
    this.quoted = false;
    this.state = FIELD_START;
  }

  private endRecord(out: RawRecord[]): void {
    const blank = this.raw.length === 0 && this.fields.length === 0;
    this.endField(); // a blank line is one empty field, unless IGNOREBLANKLINES
    if (!(blank && this.opts.ignoreBlankLines)) {
      out.push({ fields: this.fields, line: this.recordLine, raw: this.raw.slice(0), problem: this.problem });
    }
    this.fields = [];
    this.raw.truncate(0);
    this.fieldStart = 0;
    this.problem = undefined;
    this.state = FIELD_START;
  }

  private step(b: number, out: RawRecord[]): void {
    const { delimiter, quote, csv } = this.opts;
    const atStart = this.state === FIELD_START || this.state === LEADING_BLANKS;
    // Record ends (LF outside quotes, not escaped).
    if (b === LF && this.state !== QUOTED && this.state !== ESCAPED && this.state !== TEXT_QUOTED) {
      if (this.state === QUOTE_IN_QUOTED) this.state = AFTER_QUOTED;
      this.line++;
      this.endRecord(out);
      this.recordLine = this.line;
      return;
    }
    if (b === LF) this.line++;
    if (atStart && this.state === FIELD_START) this.fieldStart = this.raw.length;
    this.raw.push(b);
    switch (this.state) {
      case FIELD_START:
      case LEADING_BLANKS:
        if (b === delimiter) {
          this.endField(true);
        } else if (csv && b === quote) {
          // Blanks between the delimiter and the opening quote are ignored.
          this.field.truncate(0);
          this.quoted = true;
          this.state = QUOTED;
        } else if (csv && isBlank(b)) {
          this.field.push(b);
          this.state = LEADING_BLANKS;
        } else if (!csv && this.opts.removeQuotes && b === DQUOTE && this.state === FIELD_START) {
          this.quoted = true;
          this.state = TEXT_QUOTED;
        } else if (!csv && this.opts.escape && b === BACKSLASH) {
          this.returnState = UNQUOTED;
          this.state = ESCAPED;
        } else {
          this.field.push(b);
          this.state = UNQUOTED;
        }
        return;
      case UNQUOTED:
        if (b === delimiter) this.endField(true);
        else if (!csv && this.opts.escape && b === BACKSLASH) {
          this.returnState = UNQUOTED;
          this.state = ESCAPED;
        } else this.field.push(b);
        return;
      case ESCAPED:
        this.field.push(b);
        this.state = this.returnState;
        return;
      case TEXT_QUOTED:
        if (b === DQUOTE) this.state = UNQUOTED;
        else if (this.opts.escape && b === BACKSLASH) {
          this.returnState = TEXT_QUOTED;
          this.state = ESCAPED;
        } else this.field.push(b);
        return;
      case QUOTED:
        if (b === quote) this.state = QUOTE_IN_QUOTED;
        else this.field.push(b);
        return;
      case QUOTE_IN_QUOTED:
        if (b === quote) {
          this.field.push(b);
          this.state = QUOTED;
        } else if (b === delimiter) this.endField(true);
        else if (isBlank(b)) this.state = AFTER_QUOTED;
        else {
          this.problem ??= { code: 1214, reason: `Delimiter not found after quoted field (unexpected character 0x${b.toString(16).padStart(2, '0')})` };
          this.field.push(b);
          this.state = AFTER_QUOTED;
        }
        return;
      case AFTER_QUOTED:
        if (b === delimiter) this.endField(true);
        else if (!isBlank(b)) {
          this.problem ??= { code: 1214, reason: `Delimiter not found after quoted field (unexpected character 0x${b.toString(16).padStart(2, '0')})` };
          this.field.push(b);
        }
        return;
    }
  }
}
