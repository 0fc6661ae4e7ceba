/**
 * Record validation, SPEC §3: the reference. A record is staged only if it
 * is a JSON object, every required field is present and not null, and every
 * present field passes its kind's rule (field-rules.ts: its JSON type,
 * integers within their column and range, no U+0000, and under a
 * warehouse's limits its width and not the NULL marker). The result is the
 * typed row in staging-column order, or the first problem found, naming the
 * field. The compiled paths (validate-fast.ts, stage/encode-fast.ts) are
 * generated from the same rule and defer to this for anything unusual.
 */
import type { Field } from '../common/datasets.ts';
import { ExactNumber } from './exact-number.ts';
import { INEXACT, KIND_RULES, Problem } from './field-rules.ts';

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
    const checked = check(v, field, limits);
    // Values are never objects: an object is a Problem.
    if (typeof checked === 'object' && checked !== null) {
      if (checked === INEXACT) return { ok: false, field: field.json, reason: INEXACT.text, inexact: true };
      return fail(field, checked.text);
    }
    row[i] = checked;
  }
  return { ok: true, row };
}

const { string, int32, int64, number, user_id: userId } = KIND_RULES;

/**
 * The kind's rule for a present value. One call site per kind: a call
 * through the table by kind is megamorphic, and cost the reference a fifth
 * of its time (measured).
 */
function check(v: unknown, field: Field, limits: ValidationLimits): Value | Problem {
  switch (field.kind) {
    case 'string':
      return string.check(v, field, limits);
    case 'int32':
      return int32.check(v, field, limits);
    case 'int64':
      return int64.check(v, field, limits);
    case 'number':
      return number.check(v, field, limits);
    case 'user_id':
      return userId.check(v, field, limits);
  }
}

function fail(field: Field, problem: string): Validation {
  return { ok: false, field: field.json, reason: `field "${field.json}" ${problem}` };
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof ExactNumber || typeof v === 'number') return 'a number';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}
