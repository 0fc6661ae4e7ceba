/** fast-check arbitraries shared by the tests of the compiled validator and encoder. */
import fc from 'fast-check';
import type { Field } from '../../src/datasets.ts';
import { ExactNumber } from '../../src/extract/exact-number.ts';

/** Values of every JSON type and then some, biased to field boundaries. */
export const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(0, -0, 1.5, 2147483647, 2147483648, -2147483648, -2147483649, 2 ** 53, 2 ** 53 + 2, 1e300, 1540919166796),
  fc.integer(),
  fc.double(),
  fc.constantFrom('', '39', '007', '2147483647', '2147483648', '1234567890', '-1', ' 1', '\\N', 'a\u0000b', '\ud800', 'é'.repeat(20), 'x'.repeat(1100)),
  fc.string({ maxLength: 12 }),
  fc.constant([1]),
  fc.constant({ nested: true }),
  fc.constant(new ExactNumber('9223372036854775807')),
);

export function recordOf(fields: readonly Field[]) {
  return fc.record(Object.fromEntries(fields.map((f) => [f.json, anyValue])), { requiredKeys: [] });
}

