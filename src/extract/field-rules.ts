/**
 * The validation rule of SPEC §3, written once. Each field of a data set
 * (common/datasets.ts) says its kind, whether it is required, its width and
 * its range with what the range means; this table says what each kind
 * accepts. Everything that validates a record derives from the two:
 *
 * - the reference, validate.ts `validateRecord`, runs each kind's `check`,
 *   which tells every case apart and names the problem of a reject;
 * - the compiled paths — validate-fast.ts (rows for Redshift's CSV) and
 *   stage/encode-fast.ts (Postgres's binary rows) — are generated as
 *   JavaScript from each kind's `plain` cases (`plainFieldsSource`): a value
 *   in one of them is certainly valid and staged as the case says; for
 *   anything else the compiled function gives up and the reference decides.
 *   Generated, because V8 reads `r.artist` far faster than `r[field.json]`
 *   in a loop over fields (one property shape per site instead of one
 *   megamorphic site).
 *
 * stage/line-scanner.ts reads a line's bytes without parsing them, so it
 * cannot share the `plain` cases; it uses the bounds below and, like the
 * compiled paths, only ever accepts what is plainly valid. Property tests
 * hold every fast path to the reference (test/extract/validate-fast.test.ts,
 * test/stage/encode-fast.test.ts, test/stage/line-scanner.test.ts).
 */
import type { Field, FieldKind } from '../common/datasets.ts';
import { ExactNumber, integerFromLiteral, mayBeInexact } from './exact-number.ts';
import type { ValidationLimits, Value } from './validate.ts';

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** A user id of at most this many digits is always within int32: the fast paths take it as it is spelled. */
export const USER_ID_PLAIN_DIGITS = 9;
const DIGITS = /^[0-9]+$/;

/** What is wrong with a present value, as the reject reason says it after `field "x" `. */
export class Problem {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** An int64 field holds a number JSON.parse may have rounded: the record must be read again keeping number text. */
export const INEXACT = new Problem('needs exact re-read');

/** A case of plainly valid values, as JavaScript over the value `v`: when it holds, and the expression of what is staged. */
export interface PlainCase {
  when: string;
  value: string;
}

export interface KindRule {
  /** The whole rule for a present (not null) value: what is staged, or what is wrong with it. */
  check(v: unknown, field: Field, limits: ValidationLimits): Value | Problem;
  /**
   * The cases in which a present value is plainly valid. They may leave out
   * valid values (the reference takes those), never let an invalid one in.
   */
  plain(field: Field, limits: ValidationLimits): PlainCase[];
}

/** Names the generated code may use besides `v` and `r` (compilePlain provides them). */
const SCOPE = { DIGITS_PLAIN: new RegExp(`^[0-9]{1,${USER_ID_PLAIN_DIGITS}}$`) };

export const KIND_RULES: Readonly<Record<FieldKind, KindRule>> = {
  string: {
    check: (v, field, limits) => (typeof v !== 'string' ? new Problem(`must be a string, got ${describe(v)}`) : (stringProblem(v, field, limits) ?? v)),
    plain: (field, limits) => [{ when: `typeof v === 'string' && ${plainStringSource(field, limits)}`, value: 'v' }],
  },
  int32: {
    check: (v, field) => {
      const n = v instanceof ExactNumber ? v.toNumber() : v;
      if (typeof n !== 'number' || !Number.isInteger(n)) return new Problem(`must be an integer, got ${describe(v)}`);
      if (n < INT32_MIN || n > INT32_MAX) return new Problem(`${describe(v)} is out of int32 range`);
      return rangeProblem(n, v, field) ?? n;
    },
    plain: (field) => [{ when: `typeof v === 'number' && (v | 0) === v${rangeSource(field)}`, value: 'v' }],
  },
  int64: {
    check: (v, field) => {
      if (v instanceof ExactNumber) {
        const exact = integerFromLiteral(v.source);
        if (exact === undefined) return new Problem(`must be an integer, got ${describe(v)}`);
        if (exact < INT64_MIN || exact > INT64_MAX) return new Problem(`${describe(v)} is out of int64 range`);
        return rangeProblem(exact, v, field) ?? exact;
      }
      if (typeof v !== 'number') return new Problem(`must be an integer, got ${describe(v)}`);
      // Beyond 2^63 even a rounded double is certainly out of range; nearer, re-read the digits.
      if (!Number.isFinite(v) || Math.abs(v) > 9.3e18) return new Problem(`${describe(v)} is out of int64 range`);
      if (mayBeInexact(v)) return INEXACT;
      if (!Number.isInteger(v)) return new Problem(`must be an integer, got ${describe(v)}`);
      return rangeProblem(v, v, field) ?? v;
    },
    plain: (field) => [{ when: `typeof v === 'number' && Number.isSafeInteger(v)${rangeSource(field)}`, value: 'v' }],
  },
  number: {
    check: (v) => {
      const n = v instanceof ExactNumber ? v.toNumber() : v;
      if (typeof n !== 'number') return new Problem(`must be a number, got ${describe(v)}`);
      if (!Number.isFinite(n)) return new Problem(`${describe(v)} is not a finite double`);
      return n;
    },
    plain: () => [{ when: `typeof v === 'number' && Number.isFinite(v)`, value: 'v' }],
  },
  /** userId is "" (logged out) or an int32, written as a JSON integer or a string of digits; it is staged as text. */
  user_id: {
    check: (v, field, limits) => {
      const problem = userIdProblem(v);
      if (problem) return new Problem(problem);
      const text = typeof v === 'string' ? v : String(v);
      return stringProblem(text, field, limits) ?? text;
    },
    // "" or a few digits (always within int32, never the NULL marker, never too wide), or an int32 number.
    plain: () => [
      { when: `typeof v === 'string' && (v === '' || DIGITS_PLAIN.test(v))`, value: 'v' },
      { when: `typeof v === 'number' && (v | 0) === v`, value: 'String(v)' },
    ],
  },
};

/** What generated code does with each field, as JavaScript statements. */
export interface FieldEmitter {
  /** Field `i` is plainly valid; `value` is the expression of what to stage. */
  accept(i: number, value: string): string;
  /** Optional field `i` is absent or null. */
  absent(i: number): string;
  /** Anything else: the record goes the reference way. */
  decline: string;
}

/** JavaScript: true when the record `r` is a plain JSON object (not null, an array or an exact number). */
export const PLAIN_RECORD = `r !== null && typeof r === 'object' && !Array.isArray(r) && Object.getPrototypeOf(r) === Object.prototype`;

/** The statements that check and stage each field of the record `r`, in column order (the caller declares `let v`). */
export function plainFieldsSource(fields: readonly Field[], limits: ValidationLimits, emit: FieldEmitter): string {
  return fields
    .map((f, i) => {
      const cases = KIND_RULES[f.kind].plain(f, limits).map((c) => `else if (${c.when}) { ${emit.accept(i, c.value)} }`);
      return `v = r[${JSON.stringify(f.json)}];
      if (v === undefined || v === null) { ${f.required ? emit.decline : emit.absent(i)} }
      ${cases.join(' ')}
      else { ${emit.decline} }`;
    })
    .join('\n      ');
}

/** Compiles a function expression generated from the plain cases, with `args` (name → value) in its scope as well. */
export function compilePlain<T>(source: string, args: Readonly<Record<string, unknown>> = {}): T {
  const scope = { ...SCOPE, ...args };
  return new Function(...Object.keys(scope), `return ${source}`)(...Object.values(scope)) as T;
}

/** A string a text column holds as it is: no U+0000, well formed, within its width (3 bytes per UTF-16 unit at most), not the NULL marker. */
function plainStringSource(field: Field, limits: ValidationLimits): string {
  const width = limits.enforceWidths && field.maxBytes !== undefined ? ` && v.length * 3 <= ${field.maxBytes}` : '';
  const marker = limits.nullMarker !== undefined ? ` && v !== ${JSON.stringify(limits.nullMarker)}` : '';
  return `v.indexOf('\\0') === -1 && v.isWellFormed()${width}${marker}`;
}

function rangeSource(field: Field): string {
  return field.range ? ` && v >= ${field.range.min} && v <= ${field.range.max}` : '';
}

function rangeProblem(n: number | bigint, v: unknown, field: Field): Problem | undefined {
  const range = field.range;
  if (range === undefined) return undefined;
  const outside = typeof n === 'bigint' ? n < BigInt(range.min) || n > BigInt(range.max) : n < range.min || n > range.max;
  return outside ? new Problem(`${describe(v)} is not ${range.meaning}`) : undefined;
}

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

function stringProblem(v: string, field: Field, limits: ValidationLimits): Problem | undefined {
  if (v.includes('\0')) return new Problem('contains U+0000, which a text column cannot hold');
  // JSON's \uD800 escapes can make a lone surrogate, which UTF-8 cannot carry: it would arrive as U+FFFD.
  if (!v.isWellFormed()) return new Problem('contains a lone UTF-16 surrogate (e.g. "\\ud800"), which is not valid Unicode');
  if (limits.enforceWidths && field.maxBytes !== undefined && v.length * 3 > field.maxBytes) {
    const bytes = Buffer.byteLength(v, 'utf8');
    if (bytes > field.maxBytes) return new Problem(`is ${bytes} bytes of UTF-8, wider than its VARCHAR(${field.maxBytes}) column`);
  }
  if (limits.nullMarker !== undefined && v === limits.nullMarker) return new Problem(`is exactly ${JSON.stringify(v)}, the CSV NULL marker of this warehouse, and would load as NULL`);
  return undefined;
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
