/**
 * Receives the JSON values of one object (it is the reader's sink), validates
 * each as a record of its data set and encodes the good ones as rows of the
 * staging table — binary COPY rows for Postgres, CSV for Redshift's S3 parts;
 * the bad ones go to the reject spool with their line, field and raw text.
 * Rows accumulate until `take()` hands them on.
 */
import { FIELDS, type Dataset, type Field } from '../common/datasets.ts';
import { ExactNumber } from '../extract/exact-number.ts';
import { arrayElementText } from '../extract/json-scanner.ts';
import type { ReaderSink } from '../extract/object-reader.ts';
import { parseJson } from '../extract/parse-json.ts';
import { rawText, type RawText, type RawTextOptions } from '../extract/raw-text.ts';
import { validateRecord, type ValidationLimits } from '../extract/validate.ts';
import { compileValidator, type Validator } from '../extract/validate-fast.ts';
import { BinaryRowWriter } from './binary-copy.ts';
import { compileBinaryEncoder, type FastEncoder } from './encode-fast.ts';
import { compileLineScanner, type LineScanner } from './line-scanner.ts';
import { csvQuote, csvRow } from './csv-encode.ts';
import type { RejectSink, RejectSpool } from './reject-spool.ts';

export type RowFormat = 'binary' | 'csv';

export interface EncoderOptions {
  limits: ValidationLimits;
  /** Expected size of the object in bytes, to size buffers (default: large). */
  sizeHint?: number;
  /** Bytes the binary row buffer starts with (default: sized to the object, at most 256 KiB). */
  rowBufferBytes?: number;
  /** How staged rows are written (default csv). */
  format?: RowFormat;
  /** NULL in CSV rows (and in the rejects' CSV). */
  nullToken: string;
  raw: RawTextOptions;
}

export class ObjectEncoder<R extends RejectSink = RejectSpool> implements ReaderSink {
  rows = 0;
  /** Set when the object turned out to be a malformed document (one reject for the whole object). */
  documentError: { reason: string; raw: RawText } | undefined;
  /** This object's rejects. */
  readonly rejects: R;
  private readonly fields: readonly Field[];
  /** Validates a record that `encodeFast` (when there is one) did not write. */
  private readonly validate: Validator;
  /** Binary rows: validates and writes a plainly valid record in one pass (else the way below). */
  private readonly encodeFast: FastEncoder | undefined;
  /** Binary rows without width limits (Postgres): reads a line's bytes straight into a row. */
  private readonly scan: LineScanner | undefined;
  private readonly dataset: Dataset;
  private readonly key: string;
  private readonly options: EncoderOptions;
  private readonly binary: BinaryRowWriter | undefined;
  private readonly keyBytes: Buffer;
  private readonly keyField: string;
  private csv = '';

  constructor(dataset: Dataset, key: string, rejects: R, options: EncoderOptions) {
    this.dataset = dataset;
    this.key = key;
    this.fields = FIELDS[dataset];
    this.rejects = rejects;
    this.options = options;
    // Binary rows take about as many bytes as their JSON: buffers sized to the object, within bounds.
    const chunk = options.rowBufferBytes ?? Math.min(256 * 1024, Math.max(1024, Math.ceil((options.sizeHint ?? Infinity) * 1.25)));
    this.binary = options.format === 'binary' ? new BinaryRowWriter(chunk) : undefined;
    this.encodeFast = this.binary ? compiled(encoders, dataset, options.limits, compileBinaryEncoder) : undefined;
    // Widths and a NULL marker are Redshift's (CSV rows): the scanner knows neither.
    this.scan = this.binary && !options.limits.enforceWidths && options.limits.nullMarker === undefined ? compiled(scanners, dataset, options.limits, compileLineScanner) : undefined;
    // A record the compiled encoder turned down would fail the compiled validator's same checks too:
    // binary rows go straight to the reference, which also names the problem.
    this.validate = this.binary ? (r) => validateRecord(r, this.fields, options.limits) : compiled(validators, dataset, options.limits, compileValidator);
    this.keyBytes = Buffer.from(key, 'utf8');
    this.keyField = csvQuote(key);
  }

  /** Binary rows: a plainly valid flat record goes from its line's bytes straight to a row (line-scanner.ts). */
  line(buf: Buffer, start: number, end: number, line: number): boolean {
    if (this.scan === undefined || !this.scan(buf, start, end, this.binary!, this.keyBytes, line)) return false;
    this.rows++;
    return true;
  }

  value(value: unknown, line: number, raw: string | undefined, element: number | undefined): void {
    if (this.binary && this.encodeFast!(value, this.binary, this.keyBytes, line)) {
      this.rows++;
      return;
    }
    let v = this.validate(value);
    // The record's own source text (an element of an array on an NDJSON line is cut out of it only when needed).
    const source = () => (raw === undefined ? undefined : element === undefined ? raw : arrayElementText(raw, element));
    if (!v.ok && 'inexact' in v && raw !== undefined) {
      // A 64-bit integer beyond 2^53: read the record again keeping number source text.
      v = validateRecord(parseJson(source()!, true), this.fields, this.options.limits);
    }
    if (v.ok) {
      if (this.binary) this.binary.row(this.fields, v.row, this.keyBytes, line);
      else this.csv += `${csvRow(v.row, this.options.nullToken)},${this.keyField},${line}\n`;
      this.rows++;
      return;
    }
    const reason = 'inexact' in v ? `field "${v.field}" is an integer beyond 2^53 that this document cannot carry exactly` : v.reason;
    const rawSource = source() ?? stringify(value);
    this.rejects.add({ dataset: this.dataset, key: this.key, line, field: v.field, reason, raw: rawText(rawSource, this.options.raw) });
  }

  reject(line: number, reason: string, raw: RawText): void {
    this.rejects.add({ dataset: this.dataset, key: this.key, line, field: undefined, reason, raw });
  }

  /** The whole object becomes one reject: rows and earlier rejects of it are dropped. */
  documentFailed(reason: string, raw: RawText): void {
    this.documentError = { reason, raw };
    this.binary?.clear();
    this.csv = '';
    this.rows = 0;
    this.rejects.clear();
    this.rejects.add({ dataset: this.dataset, key: this.key, line: 1, field: undefined, reason, raw });
  }

  /** Bytes of rows encoded and not yet taken. */
  get pendingBytes(): number {
    return this.binary ? this.binary.length : this.csv.length;
  }

  /** The rows encoded since the last call, if any. */
  take(): Buffer | string | undefined {
    if (this.binary) return this.binary.take();
    if (this.csv === '') return undefined;
    const out = this.csv;
    this.csv = '';
    return out;
  }
}

/** One compiled validator and binary encoder per data set and limits, shared by every object of a run. */
const validators = new Map<string, Validator>();
const encoders = new Map<string, FastEncoder>();
const scanners = new Map<string, LineScanner>();
function compiled<T>(cache: Map<string, T>, dataset: Dataset, limits: ValidationLimits, compile: (fields: readonly Field[], limits: ValidationLimits) => T): T {
  const key = `${dataset}|${limits.enforceWidths ?? false}|${limits.nullMarker ?? ''}`;
  let fn = cache.get(key);
  if (fn === undefined) cache.set(key, (fn = compile(FIELDS[dataset], limits)));
  return fn;
}

function stringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (v instanceof ExactNumber ? Number(v.source) : v)) ?? String(value);
  } catch {
    return String(value); // cannot happen for parsed JSON, but a reject must never throw
  }
}
