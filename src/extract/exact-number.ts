/**
 * JSON numbers beyond 2^53 lose digits in `JSON.parse`. A 64-bit integer
 * field must arrive exactly, so such numbers are re-read from their source
 * text and carried as an `ExactNumber` until validation turns them into a
 * bigint (or rejects them).
 */

export class ExactNumber {
  readonly source: string;
  constructor(source: string) {
    this.source = source;
  }
  toNumber(): number {
    return Number(this.source);
  }
}

/** True when `n` came out of JSON.parse possibly rounded (an integer-valued double beyond 2^53). */
export function mayBeInexact(n: number): boolean {
  return Math.abs(n) > Number.MAX_SAFE_INTEGER && Number.isFinite(n);
}

/**
 * A `JSON.parse` reviver that swaps every possibly-rounded number for an
 * ExactNumber holding its source text (Node ≥ 21 passes `context.source`).
 */
export function exactReviver(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && mayBeInexact(value) && context?.source !== undefined) return new ExactNumber(context.source);
  return value;
}

const NUMBER_LITERAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * The exact integer a JSON number literal denotes, or undefined when the
 * literal has a non-zero fraction (`1.5`) or is not a number literal.
 * `1540919166796.0` and `1.5e3` are integers.
 */
export function integerFromLiteral(literal: string): bigint | undefined {
  const m = NUMBER_LITERAL.exec(literal);
  if (!m) return undefined;
  const [, sign, intPart, fracPart = '', expPart = '0'] = m;
  const exp = Number(expPart);
  // Guard against absurd exponents: anything this large is out of any range we store.
  if (exp > 400) return sign ? -(10n ** 400n) : 10n ** 400n;
  let digits = intPart + fracPart;
  let scale = fracPart.length - exp; // value = digits × 10^-scale
  if (scale > 0) {
    const cut = digits.length - scale;
    const dropped = cut >= 0 ? digits.slice(cut) : digits;
    if (/[^0]/.test(dropped)) return undefined;
    digits = cut > 0 ? digits.slice(0, cut) : '0';
    scale = 0;
  }
  const value = BigInt(digits) * 10n ** BigInt(-scale);
  return sign ? -value : value;
}
