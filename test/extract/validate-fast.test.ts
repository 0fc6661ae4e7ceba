import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EVENT_FIELDS, SONG_FIELDS } from '../../src/datasets.ts';
import { compileValidator } from '../../src/extract/validate-fast.ts';
import { validateRecord } from '../../src/extract/validate.ts';
import { anyValue, recordOf } from '../support/arbitraries.ts';

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
