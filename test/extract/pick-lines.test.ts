import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pickLines } from '../../src/extract/pick-lines.ts';

async function* chunks(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield bytes.subarray(at, cut);
    at = cut;
  }
  yield bytes.subarray(at);
}

describe('pickLines', () => {
  it('returns the wanted lines (1-based, CR of CRLF dropped, cut after maxBytes) at every chunk boundary', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 12 }).filter((s) => !/[\r\n]/.test(s)), { minLength: 1, maxLength: 8 }), fc.boolean(), fc.array(fc.nat()), async (lines, crlf, rawCuts) => {
        const text = lines.join(crlf ? '\r\n' : '\n');
        const bytes = Buffer.from(text);
        const cuts = rawCuts.map((c) => c % (bytes.length + 1));
        const wanted = new Set(lines.map((_, i) => i + 1).filter((n) => n % 2 === 1));
        const got = await pickLines(chunks(bytes, cuts), wanted, 8);
        for (const n of wanted) {
          expect(got.get(n), `line ${n}`).toEqual(Buffer.from(lines[n - 1]).subarray(0, 9));
        }
        expect([...got.keys()].sort()).toEqual([...wanted].sort());
      }),
    );
  });
});
