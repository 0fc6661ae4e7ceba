import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EVENT_FIELDS, SONG_FIELDS } from '../../src/datasets.ts';
import { compileValidator } from '../../src/extract/validate-fast.ts';
import { validateRecord } from '../../src/extract/validate.ts';
import { ExactNumber } from '../../src/extract/exact-number.ts';

/** Values of every JSON type and then some, biased to field boundaries. */
const anyValue = fc.oneof(
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

function recordOf(fields: typeof EVENT_FIELDS) {
  return fc.record(Object.fromEntries(fields.map((f) => [f.json, anyValue])), { requiredKeys: [] });
}

describe('compiled validator', () => {
  for (const [name, fields] of [['events', EVENT_FIELDS], ['songs', SONG_FIELDS]] as const) {
    for (const limits of [{}, { enforceWidths: true, nullMarker: '\\N' }]) {
      it(`agrees with validateRecord on any ${name} record (${Object.keys(limits).length ? 'Redshift limits' : 'no limits'})`, () => {
        const fast = compileValidator(fields, limits);
        fc.assert(
          fc.property(fc.oneof(recordOf(fields), anyValue), (record) => {
            expect(fast(record)).toEqual(validateRecord(record, fields, limits));
          }),
          { numRuns: 3000 },
        );
      });
    }
  }
});
