import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EVENT_FIELDS, SONG_FIELDS } from '../../src/common/datasets.ts';
import { compileValidator } from '../../src/extract/validate-fast.ts';
import { validateRecord } from '../../src/extract/validate.ts';
import { anyValue, recordOf, validish } from '../support/arbitraries.ts';

describe('compiled validator', () => {
  for (const [name, fields] of [['events', EVENT_FIELDS], ['songs', SONG_FIELDS]] as const) {
    for (const limits of [{}, { enforceWidths: true, nullMarker: '\\N' }]) {
      it(`agrees with validateRecord on any ${name} record (${Object.keys(limits).length ? 'Redshift limits' : 'no limits'})`, () => {
        const fast = compileValidator(fields, limits);
        let accepted = 0;
        fc.assert(
          // Mostly valid records (so that acceptance is tested, ts bounds included), and anything.
          fc.property(fc.oneof(validish(fields), recordOf(fields), anyValue), (record) => {
            const result = fast(record);
            if (result.ok) accepted++;
            expect(result).toEqual(validateRecord(record, fields, limits));
          }),
          { numRuns: 3000 },
        );
        expect(accepted).toBeGreaterThan(Object.keys(limits).length ? 10 : 500);
      });
    }
  }
});
