/**
 * Record validation, SPEC §3. A record is staged only if it is a JSON object,
 * every present field has its JSON type (null allowed unless required),
 * integers fit their column (and `ts` its years, datasets.ts), and no string holds U+0000. The result is the
 * typed row in staging-column order, or the first problem found, naming the field.
 */
import type { Field } from '../common/datasets.ts';
import { ExactNumber, integerFromLiteral, mayBeInexact } from './exact-number.ts';

/** A staged value: text, a JS number, an exact 64-bit integer, or NULL. */
export type Value = string | number | bigint | null;

export type Validation =
  | { ok: true; row: Value[] }
  | { ok: false; field: string | undefined; reason: string }
  /** An int64 field holds a number JSON.parse may have rounded: re-read it exactly and validate again. */
  | { ok: false; field: string; reason: string; inexact: true };

export interface ValidationLimits {
  /** Enforce each string field's declared `maxBytes` (Redshift VARCHAR widths). */
  enforceWidths?: boolean;
  /** A string exactly equal to this would load as NULL (Redshift CSV `NULL AS`), so it is a reject. */
  nullMarker?: string;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DIGITS = /^[0-9]+$/;

/** Validates one parsed JSON value against a data set's fields. */
export function validateRecord(value: unknown, fields: readonly Field[], limits: ValidationLimits = {}): Validation {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof ExactNumber) {
    return { ok: false, field: undefined, reason: `record is ${describeType(value)}, not a JSON object` };
  }
  const record = value as Record<string, unknown>;
  const row: Value[] = new Array(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const v = record[field.json];
    if (v === undefined || v === null) {
      if (field.required) return fail(field, v === undefined ? 'is required but missing' : 'is required but null');
      row[i] = null;
      continue;
    }
    switch (field.kind) {
      case 'string': {
        if (typeof v !== 'string') return fail(field, `must be a string, got ${describe(v)}`);
        const problem = stringProblem(v, field, limits);
        if (problem) return fail(field, problem);
        row[i] = v;
        break;
      }
      case 'int32': {
        const n = v instanceof ExactNumber ? v.toNumber() : v;
        if (typeof n !== 'number') return fail(field, `must be an integer, got ${describe(v)}`);
        if (!Number.isInteger(n)) return fail(field, `must be an integer, got ${describe(v)}`);
        if (n < INT32_MIN || n > INT32_MAX) return fail(field, `${describe(v)} is out of int32 range`);
        row[i] = n;
        break;
      }
      case 'int64': {
        if (v instanceof ExactNumber) {
          const exact = integerFromLiteral(v.source);
          if (exact === undefined) return fail(field, `must be an integer, got ${describe(v)}`);
          if (exact < INT64_MIN || exact > INT64_MAX) return fail(field, `${describe(v)} is out of int64 range`);
          if (field.range && (exact < BigInt(field.range.min) || exact > BigInt(field.range.max))) return fail(field, `${describe(v)} is not ${field.range.meaning}`);
          row[i] = exact;
          break;
        }
        if (typeof v !== 'number') return fail(field, `must be an integer, got ${describe(v)}`);
        // Beyond 2^63 even a rounded double is certainly out of range; nearer, re-read the digits.
        if (!Number.isFinite(v) || Math.abs(v) > 9.3e18) return fail(field, `${describe(v)} is out of int64 range`);
        if (mayBeInexact(v)) return { ok: false, field: field.json, reason: 'needs exact re-read', inexact: true };
        if (!Number.isInteger(v)) return fail(field, `must be an integer, got ${describe(v)}`);
        if (field.range && (v < field.range.min || v > field.range.max)) return fail(field, `${describe(v)} is not ${field.range.meaning}`);
        row[i] = v;
        break;
      }
      case 'number': {
        const n = v instanceof ExactNumber ? v.toNumber() : v;
        if (typeof n !== 'number') return fail(field, `must be a number, got ${describe(v)}`);
        if (!Number.isFinite(n)) return fail(field, `${describe(v)} is not a finite double`);
        row[i] = n;
        break;
      }
      case 'user_id': {
        const problem = userIdProblem(v);
        if (problem) return fail(field, problem);
        const text = typeof v === 'string' ? v : String(v);
        const width = stringProblem(text, field, limits);
        if (width) return fail(field, width);
        row[i] = text;
        break;
      }
    }
  }
  return { ok: true, row };
}

/** userId is "" (logged out) or an int32, written as a JSON integer or a string of digits. */
function userIdProblem(v: unknown): string | undefined {
  if (typeof v === 'string') {
    if (v === '') return undefined;
    if (!DIGITS.test(v)) return `must be "" or a string of digits, got ${describe(v)}`;
    const significant = v.replace(/^0+(?=\d)/, '');
    if (significant.length > 10 || Number(significant) > INT32_MAX) return `${describe(v)} is out of int32 range`;
    return undefined;
  }
  const n = v instanceof ExactNumber ? v.toNumber() : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) return `must be "" or an integer, got ${describe(v)}`;
  if (n < INT32_MIN || n > INT32_MAX) return `${describe(v)} is out of int32 range`;
  return undefined;
}

function stringProblem(v: string, field: Field, limits: ValidationLimits): string | undefined {
  if (v.includes('\0')) return 'contains U+0000, which a text column cannot hold';
  // JSON's \uD800 escapes can make a lone surrogate, which UTF-8 cannot carry: it would arrive as U+FFFD.
  if (!v.isWellFormed()) return 'contains a lone UTF-16 surrogate (e.g. "\\ud800"), which is not valid Unicode';
  if (limits.enforceWidths && field.maxBytes !== undefined && v.length * 3 > field.maxBytes) {
    const bytes = Buffer.byteLength(v, 'utf8');
    if (bytes > field.maxBytes) return `is ${bytes} bytes of UTF-8, wider than its VARCHAR(${field.maxBytes}) column`;
  }
  if (limits.nullMarker !== undefined && v === limits.nullMarker) return `is exactly ${JSON.stringify(v)}, the CSV NULL marker of this warehouse, and would load as NULL`;
  return undefined;
}

function fail(field: Field, problem: string): Validation {
  return { ok: false, field: field.json, reason: `field "${field.json}" ${problem}` };
}

/** A short rendering of a JSON value for reject reasons. */
function describe(v: unknown): string {
  if (v instanceof ExactNumber) return v.source;
  if (typeof v === 'string') {
    const shown = JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    return `the string ${shown}`;
  }
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof ExactNumber || typeof v === 'number') return 'a number';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}
