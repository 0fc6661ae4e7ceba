import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logString, pyFloat, pyString } from '../../src/generate/json-text.ts';

describe('pyString / logString', () => {
  it('spell strings the way Python json.dumps and eventsim do', () => {
    expect(pyString('Clementina Santafè')).toBe('"Clementina Santaf\\u00e8"');
    expect(pyString('a/b "c" \\ d\te\r\nf')).toBe('"a/b \\"c\\" \\\\ d\\te\\r\\nf"');
    expect(logString('Mozilla/5.0 (KHTML, like Gecko)')).toBe('"Mozilla\\/5.0 (KHTML, like Gecko)"');
    // Non-BMP characters become a surrogate pair, lower-case hex, like Python.
    expect(pyString('🎸')).toBe('"\\ud83c\\udfb8"');
    expect(pyString('\u007f\u0001')).toBe('"\\u007f\\u0001"');
    expect(pyString('plain')).toBe('"plain"');
  });

  it('round-trip any string through JSON.parse and write ASCII only', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        for (const encode of [pyString, logString]) {
          const text = encode(s);
          expect(text).toMatch(/^[\x20-\x7e]*$/);
          expect(JSON.parse(text)).toBe(s);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('pyFloat', () => {
  it('writes integral floats with .0 and others at shortest round-trip precision', () => {
    expect(pyFloat(1540919166796)).toBe('1540919166796.0');
    expect(pyFloat(337.68444)).toBe('337.68444');
    expect(pyFloat(-86.7816)).toBe('-86.7816');
    expect(() => pyFloat(Number.NaN)).toThrow(RangeError);
  });
});
