/** fast-check arbitraries shared by the tests of the compiled validator and encoder. */
import fc from 'fast-check';
import { TS_MAX, TS_MIN, type Field } from '../../src/common/datasets.ts';
import { ExactNumber } from '../../src/extract/exact-number.ts';

/** Values of every JSON type and then some, biased to field boundaries. */
export const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(0, -0, 1.5, 2147483647, 2147483648, -2147483648, -2147483649, 2 ** 53, 2 ** 53 + 2, 1e300, 1540919166796),
  // The bounds of ts (years 0001–9999), and values past them that are still int64.
  fc.constantFrom(-62135596800000, -62135596800001, 253402300799999, 253402300800000, 9.3e15, 253402300799999.5),
  fc.integer(),
  fc.double(),
  fc.constantFrom('', '39', '007', '2147483647', '2147483648', '1234567890', '-1', ' 1', '\\N', 'a\u0000b', '\ud800', 'é'.repeat(20), 'x'.repeat(1100)),
  fc.string({ maxLength: 12 }),
  fc.constant([1]),
  fc.constant({ nested: true }),
  fc.constant(new ExactNumber('9223372036854775807')),
  fc.constant(new ExactNumber('253402300800000')),
);

export function recordOf(fields: readonly Field[]) {
  return fc.record(Object.fromEntries(fields.map((f) => [f.json, anyValue])), { requiredKeys: [] });
}

/** A value of the field's own kind most of the time (so that whole records are often valid), else anything. */
function fieldValue(f: Field) {
  const own = {
    string: fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ minLength: 20, maxLength: 60 })),
    int32: fc.integer(),
    // Mostly within ts's years (where ts loads), and across its bounds.
    int64: fc.oneof(
      { arbitrary: fc.bigInt({ min: BigInt(TS_MIN), max: BigInt(TS_MAX) }).map(Number), weight: 12 },
      fc.maxSafeInteger(),
      fc.constantFrom(1540919166796, -(2 ** 53) + 1, TS_MIN, TS_MIN - 1, TS_MAX, TS_MAX + 1),
    ),
    number: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, 0.5)),
    user_id: fc.oneof(fc.constantFrom('', '39', '007', '999999999'), fc.integer({ min: -5, max: 100000 })),
  }[f.kind];
  return fc.oneof({ arbitrary: own, weight: 40 }, { arbitrary: anyValue, weight: 1 });
}

export const validish = (fields: readonly Field[]) => fc.record(Object.fromEntries(fields.map((f) => [f.json, fieldValue(f)])), { requiredKeys: fields.filter((f) => f.required).map((f) => f.json) });
