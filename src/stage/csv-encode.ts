/**
 * CSV for COPY. Every non-NULL string is quoted (quotes doubled), so commas,
 * quotes, CR, LF, backslashes, `\.` and `\N` all arrive unchanged in both
 * Postgres and Redshift; numbers are written bare; NULL is the dialect's
 * token — unquoted empty for Postgres (quoted "" is the empty string), `\N`
 * for Redshift, whose CSV cannot tell an empty field from NULL otherwise
 * (REDSHIFT-FACTS §1). No value can hold U+0000 (validation rejects it).
 */
import type { Value } from '../extract/validate.ts';

/** `"…"` with inner quotes doubled. */
export function csvQuote(s: string): string {
  return s.indexOf('"') === -1 ? `"${s}"` : `"${s.replaceAll('"', '""')}"`;
}

/** One field. Numbers use JS's shortest round-trip form, which float8in reads back exactly. */
export function csvField(v: Value | boolean, nullToken: string): string {
  if (v === null) return nullToken;
  if (typeof v === 'string') return csvQuote(v);
  return String(v);
}

/** One row without its line terminator. */
export function csvRow(values: readonly (Value | boolean)[], nullToken: string): string {
  let out = csvField(values[0], nullToken);
  for (let i = 1; i < values.length; i++) out += `,${csvField(values[i], nullToken)}`;
  return out;
}
