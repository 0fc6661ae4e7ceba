import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EVENT_FIELDS, SONG_FIELDS } from '../../src/common/datasets.ts';
import { validateRecord } from '../../src/extract/validate.ts';
import { BinaryRowWriter } from '../../src/stage/binary-copy.ts';
import { compileBinaryEncoder } from '../../src/stage/encode-fast.ts';
import { anyValue, validish } from '../support/arbitraries.ts';

describe('compiled binary encoder', () => {
  for (const [name, fields] of [['events', EVENT_FIELDS], ['songs', SONG_FIELDS]] as const) {
    for (const limits of [{}, { enforceWidths: true, nullMarker: '\\N' }]) {
      it(`writes what validateRecord + row() write, or nothing, for any ${name} record (${Object.keys(limits).length ? 'Redshift limits' : 'no limits'})`, () => {
        const fast = compileBinaryEncoder(fields, limits);
        let accepted = 0;
        fc.assert(
          fc.property(fc.array(fc.tuple(fc.oneof(validish(fields), anyValue), fc.boolean()), { minLength: 1, maxLength: 6 }), fc.string({ maxLength: 20 }), fc.nat(), (records, keyText, line) => {
            // Small buffers, several rows and takes between them, so that a buffer moves with
            // rows not yet taken in the middle of a row (and of a dropped one).
            const key = Buffer.from(keyText);
            const viaFast = new BinaryRowWriter(48);
            const viaReference = new BinaryRowWriter(48);
            const taken: Buffer[] = [];
            for (const [record, takeAfter] of records) {
              const before = viaFast.length;
              const reference = validateRecord(record, fields, limits);
              if (fast(record, viaFast, key, line)) {
                accepted++;
                expect(reference.ok).toBe(true);
                if (reference.ok) viaReference.row(fields, reference.row, key, line);
              } else {
                expect(viaFast.length).toBe(before);
              }
              const piece = takeAfter ? viaFast.take() : undefined;
              if (piece) taken.push(Buffer.from(piece));
            }
            taken.push(viaFast.take() ?? Buffer.alloc(0));
            expect(Buffer.concat(taken)).toEqual(viaReference.take() ?? Buffer.alloc(0));
          }),
          { numRuns: 2000 },
        );
        // Guards the property from holding only because nothing was ever accepted (Redshift's
        // widths send most random strings the reference way: few records pass the fast one).
        expect(accepted).toBeGreaterThan(Object.keys(limits).length ? 10 : 1000);
      });
    }
  }
});

describe('binary row writer', () => {
  it('writes many rows without a take in linear time (a document gives all the records of a chunk at once)', () => {
    const writer = new BinaryRowWriter(1024);
    const key = Buffer.from('log_data/2018/11/2018-11-01-events.json');
    const row = ['A', 'Logged In', 'F', 'M', 0, 'L', 1.5, 'free', 'X', 'PUT', 'NextSong', 1540919166796, 38, 'S', 200, 1541105830796, 'UA', '39'];
    const started = Date.now();
    for (let i = 0; i < 100_000; i++) writer.row(EVENT_FIELDS, row, key, i);
    // Moving every pending row to a buffer one row larger each time took minutes here.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(writer.take()!.length).toBeGreaterThan(100_000 * 100);
  });
});
