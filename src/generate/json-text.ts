/**
 * JSON text exactly as the Udacity objects spell it. The song objects were written by
 * Python's `json.dumps` (`", "` and `": "` separators, `ensure_ascii`, so every
 * non-ASCII character is a lower-case `\uXXXX`); the event logs by eventsim, which is
 * compact, also escapes non-ASCII and additionally escapes `/` as `\/`.
 */

const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x08: '\\b',
  0x0c: '\\f',
};

// Printable ASCII except `"` and `\` (and `/` for the log flavour) needs no escaping.
const PLAIN_PY = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const PLAIN_LOG = /^[\x20\x21\x23-\x2e\x30-\x5b\x5d-\x7e]*$/;

function escapeSlow(s: string, slash: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const short = SHORT_ESCAPES[c];
    if (short !== undefined) out += short;
    else if (c === 0x2f && slash) out += '\\/';
    // UTF-16 code units, so a non-BMP character becomes its surrogate pair, as Python does.
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i];
  }
  return out + '"';
}

/** A JSON string literal as Python's `json.dumps(ensure_ascii=True)` writes it. */
export function pyString(s: string): string {
  return PLAIN_PY.test(s) ? `"${s}"` : escapeSlow(s, false);
}

/** A JSON string literal as eventsim writes it (ASCII only, `/` escaped as `\/`). */
export function logString(s: string): string {
  return PLAIN_LOG.test(s) ? `"${s}"` : escapeSlow(s, true);
}

/**
 * A flat copy of an ASCII string. V8 builds concatenations and template literals as
 * rope ("cons") strings; a fragment reused in many event lines is flattened once here,
 * otherwise every chunk that holds it walks the rope again when it is encoded
 * (measured: 2–4× slower writes at high event density).
 */
export function flat(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

/** `pyString`, or `null` for a null value. */
export function pyNullable(s: string | null): string {
  return s === null ? 'null' : pyString(s);
}

/** `logString`, or `null` for a null value. */
export function logNullable(s: string | null): string {
  return s === null ? 'null' : logString(s);
}

/**
 * A float as Python's `repr` writes it: shortest round-trip digits, with `.0` on
 * integral values (`1540919166796.0`). Only for the magnitudes the generator uses
 * (1e-4 ≤ |x| < 1e16), where Python and JavaScript agree on the digits.
 */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`pyFloat: ${x} is not finite`);
  return Number.isInteger(x) ? `${x}.0` : String(x);
}
