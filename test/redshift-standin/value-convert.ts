/**
 * Turns one input field (CSV/text or JSON) into the Postgres text for its
 * target column, or into a Redshift load error (code and err_reason) when
 * Redshift's COPY would reject it. Integers are range-checked, VARCHAR lengths
 * count bytes, DECIMAL is truncated unless ROUNDEC, JSON numbers go through a
 * double on their way into DECIMAL (the precision loss Redshift documents).
 * [REDSHIFT-FACTS §1–§3, §9; DG:r_Load_Error_Reference]
 */
import type { DateTimeReader } from './datetime-format.ts';
import type { JsonValue } from './json-reader.ts';
import { truncateToBytes } from './utf8.ts';

export type ColumnKind = 'int2' | 'int4' | 'int8' | 'numeric' | 'float4' | 'float8' | 'bool' | 'varchar' | 'char' | 'date' | 'timestamp' | 'timestamptz' | 'time' | 'other';

export interface TargetColumn {
  name: string;
  kind: ColumnKind;
  /** Postgres type name (pg_type.typname), for stl_load_errors.type. */
  typname: string;
  notNull: boolean;
  hasDefault: boolean;
  identity: boolean;
  /** CHAR/VARCHAR length in bytes. */
  length?: number;
  precision?: number;
  scale?: number;
}

export interface ConvertOptions {
  emptyAsNull: boolean;
  blanksAsNull: boolean;
  truncateColumns: boolean;
  roundec: boolean;
  trimBlanks: boolean;
  acceptAnyDate: boolean;
  date: DateTimeReader;
  timestamp: DateTimeReader;
  timestamptz: DateTimeReader;
}

/** Tells the loader to let the column take its DEFAULT (COPY … DEFAULT marker). */
export const USE_DEFAULT: unique symbol = Symbol('use-default');
export type Cell = string | null | typeof USE_DEFAULT;

export interface FieldError {
  code: number;
  reason: string;
}

export type Conversion = { ok: true; value: Cell } | { ok: false; error: FieldError };

const ok = (value: Cell): Conversion => ({ ok: true, value });
const fail = (code: number, reason: string): Conversion => ({ ok: false, error: { code, reason } });

const INT_RANGE: Record<string, [bigint, bigint, string]> = {
  int2: [-32768n, 32767n, 'Short'],
  int4: [-2147483648n, 2147483647n, 'Integer'],
  int8: [-9223372036854775808n, 9223372036854775807n, 'Long'],
};

export const isCharKind = (c: TargetColumn): boolean => c.kind === 'varchar' || c.kind === 'char';

/** NULL into a NOT NULL column: its DEFAULT if it has one, otherwise error 1213. */
export function settleNull(col: TargetColumn, value: Cell): Conversion {
  if (value !== null || !col.notNull) return ok(value);
  if (col.hasDefault || col.identity) return ok(USE_DEFAULT);
  return fail(1213, 'Missing data for not-null field');
}

/** A CSV/text field that is not the NULL AS string. */
export function convertDelimited(col: TargetColumn, text: string, opts: ConvertOptions): Conversion {
  if (text === '') return settleNull(col, isCharKind(col) && !opts.emptyAsNull ? '' : null);
  if (/^\s+$/.test(text) && (!isCharKind(col) || opts.blanksAsNull)) return settleNull(col, null);
  return convertText(col, text, opts);
}

/** A JSON value (undefined: the key or path found nothing). */
export function convertJson(col: TargetColumn, v: JsonValue | undefined, opts: ConvertOptions): Conversion {
  if (v === undefined || v.t === 'null') return settleNull(col, null);
  switch (v.t) {
    case 'str':
      return convertDelimited(col, v.v, opts);
    case 'num':
      return convertJsonNumber(col, v.raw, opts);
    case 'bool':
      if (col.kind === 'bool') return ok(v.v ? 't' : 'f');
      return convertText(col, v.v ? 'true' : 'false', opts);
    case 'obj':
    case 'arr':
      // A path pointing at an object or array loads its JSON text.
      return convertText(col, v.raw, opts);
  }
}

function convertJsonNumber(col: TargetColumn, raw: string, opts: ConvertOptions): Conversion {
  if (col.kind in INT_RANGE) {
    const dec = parseDecimal(raw);
    if (dec && /^0*$/.test(dec.frac)) return convertText(col, `${dec.neg ? '-' : ''}${dec.int || '0'}`, opts);
    return convertText(col, raw, opts);
  }
  if (col.kind === 'numeric') {
    // Redshift reads JSON numbers as doubles: 0.29 into DECIMAL(8,2) loads 0.28 without ROUNDEC.
    const asDouble = Number(raw);
    return convertText(col, Number.isFinite(asDouble) ? asDouble.toPrecision(17) : raw, opts);
  }
  if (col.kind === 'bool') return raw === '1' ? ok('t') : raw === '0' ? ok('f') : fail(1210, `Invalid boolean value: '${raw}'`);
  return convertText(col, raw, opts);
}

/** A non-empty text value for any column type. */
export function convertText(col: TargetColumn, text: string, opts: ConvertOptions): Conversion {
  switch (col.kind) {
    case 'int2':
    case 'int4':
    case 'int8':
      return convertInteger(col, text);
    case 'numeric':
      return convertNumeric(col, text, opts.roundec);
    case 'float4':
    case 'float8':
      return convertFloat(col, text);
    case 'bool': {
      const b = text.trim().toLowerCase();
      if (['t', 'true', 'y', 'yes', '1', 'on'].includes(b)) return ok('t');
      if (['f', 'false', 'n', 'no', '0', 'off'].includes(b)) return ok('f');
      return fail(1210, `Invalid boolean value: '${text.slice(0, 40)}'`);
    }
    case 'varchar':
      return convertVarchar(col, opts.trimBlanks ? text.replace(/\s+$/, '') : text, opts.truncateColumns);
    case 'char':
      return convertChar(col, text, opts.truncateColumns);
    case 'date': {
      const v = opts.date.parse(text);
      if (v !== undefined) return ok(v);
      if (opts.acceptAnyDate) return settleNull(col, null);
      return fail(1205, text.length < 10 ? 'Invalid Date Format - length must be 10 or more' : `Invalid date format - Invalid digit encountered [${opts.date.label}]`);
    }
    case 'timestamp':
    case 'timestamptz': {
      const reader = col.kind === 'timestamp' ? opts.timestamp : opts.timestamptz;
      const v = reader.parse(text);
      if (v !== undefined) return ok(v);
      if (opts.acceptAnyDate) return settleNull(col, null);
      return fail(1206, `Invalid timestamp format or value [${reader.label}]`);
    }
    case 'time':
      if (/^\d{1,2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{1,2}(:?\d{2})?)?$/.test(text.trim())) return ok(text.trim());
      return fail(1206, 'Invalid time format [HH24:MI:SS]');
    case 'other':
      return ok(text);
  }
}

function invalidDigit(text: string, type: string, code = 1207, allowDot = false): Conversion {
  let pos = 0;
  for (; pos < text.length; pos++) {
    const c = text[pos];
    if (c >= '0' && c <= '9') continue;
    if ((c === '-' || c === '+') && pos === 0) continue;
    if (allowDot && c === '.') continue;
    break;
  }
  const c = text[pos] ?? text[text.length - 1] ?? '';
  return fail(code, `Invalid digit, Value '${c}', Pos ${Math.min(pos, Math.max(text.length - 1, 0))}, Type: ${type}`);
}

function convertInteger(col: TargetColumn, text: string): Conversion {
  const [min, max, label] = INT_RANGE[col.kind];
  if (!/^[+-]?\d+$/.test(text)) return invalidDigit(text, label);
  const n = BigInt(text);
  if (n < min || n > max) return fail(1204, `Overflow, Value '${text.slice(0, 40)}' out of range for type ${col.typname}`);
  return ok(n.toString());
}

interface Decimal {
  neg: boolean;
  int: string;
  frac: string;
}

/** Exact decimal from text, exponent applied by moving the point. */
export function parseDecimal(text: string): Decimal | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  let digits = m[2] + (m[3] ?? '');
  let point = m[2].length + Number(m[4] ?? 0);
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits = digits.padEnd(point, '0');
  return { neg: m[1] === '-', int: digits.slice(0, point).replace(/^0+(?=\d)/, '').replace(/^0+$/, ''), frac: digits.slice(point) };
}

function convertNumeric(col: TargetColumn, text: string, roundec: boolean): Conversion {
  const p = col.precision ?? 18;
  const s = col.scale ?? 0;
  const dec = parseDecimal(text);
  if (!dec) return invalidDigit(text, 'Decimal', 1207, true);
  // COPY truncates extra decimal places; ROUNDEC rounds them [DG:copy-parameters-data-conversion].
  let digits = BigInt((dec.int || '0') + dec.frac.padEnd(s, '0').slice(0, s));
  if (roundec && Number(dec.frac[s] ?? '0') >= 5) digits += 1n;
  const str = digits.toString().padStart(s + 1, '0');
  const intPart = str.slice(0, str.length - s);
  if (intPart.replace(/^0+/, '').length > p - s) return fail(1204, `Numeric data overflow (result precision) for DECIMAL(${p},${s})`);
  const sign = dec.neg && digits !== 0n ? '-' : '';
  return ok(s > 0 ? `${sign}${intPart}.${str.slice(str.length - s)}` : `${sign}${intPart}`);
}

function convertFloat(col: TargetColumn, text: string): Conversion {
  const t = text.trim();
  if (/^[+-]?(nan|inf|infinity)$/i.test(t)) return ok(t.replace(/^([+-]?)inf$/i, '$1Infinity'));
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return invalidDigit(t, col.kind === 'float4' ? 'Real' : 'Double', 1208, true);
  const n = Number(t);
  const max = col.kind === 'float4' ? 3.4028234663852886e38 : Number.MAX_VALUE;
  if (!Number.isFinite(n) || Math.abs(n) > max) return fail(1204, `Overflow, Value '${t.slice(0, 40)}' out of range for type ${col.typname}`);
  return ok(t);
}

function convertVarchar(col: TargetColumn, text: string, truncate: boolean): Conversion {
  const limit = col.length ?? 256;
  if (Buffer.byteLength(text) <= limit) return ok(text);
  if (truncate) return ok(truncateToBytes(text, limit));
  return fail(1204, 'String length exceeds DDL length');
}

function convertChar(col: TargetColumn, text: string, truncate: boolean): Conversion {
  // CHAR holds single-byte characters only [DG:multi-byte-character-load-errors].
  const multi = [...text].find((ch) => ch.charCodeAt(0) > 0x7f);
  if (multi) return fail(1220, `Multibyte character not supported for CHAR (Hint: try using VARCHAR). Invalid char: ${Buffer.from(multi).toString('hex')}`);
  const limit = col.length ?? 1;
  if (text.length <= limit) return ok(text);
  if (truncate || text.slice(limit).trim() === '') return ok(text.slice(0, limit));
  return fail(1204, 'String length exceeds DDL length');
}

/** Redshift's short type name and length for stl_load_errors.type / col_length. */
export function describeColumn(col: TargetColumn): { type: string; length: string } {
  const type = col.kind === 'other' ? col.typname : col.kind === 'char' ? 'char' : col.kind;
  const length = col.length !== undefined ? String(col.length) : col.kind === 'numeric' ? `${col.precision},${col.scale}` : '0';
  return { type, length };
}
