import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rawText } from '../../src/extract/raw-text.ts';

/** Rebuilds the original bytes from stored raw text (the inverse the README documents). */
function unescape(text: string, escaped: boolean): Buffer {
  if (!escaped) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '\\') {
      if (text[i + 1] === '\\') {
        parts.push(Buffer.from('\\'));
        i += 2;
      } else {
        parts.push(Buffer.from([parseInt(text.slice(i + 2, i + 4), 16)]));
        i += 4;
      }
    } else {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      parts.push(Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return Buffer.concat(parts);
}

describe('raw text of rejects', () => {
  it('keeps valid UTF-8 as is', () => {
    expect(rawText('{"a":"é😀\\\\"}')).toEqual({ text: '{"a":"é😀\\\\"}', escaped: false, truncated: false });
  });

  it('escapes NUL and invalid bytes, and backslashes then', () => {
    expect(rawText(Buffer.from([0x61, 0x00, 0x5c, 0xff, 0xc3, 0xa9]))).toEqual({ text: 'a\\x00\\\\\\xffé', escaped: true, truncated: false });
  });

  it('loses no byte: any bytes can be rebuilt from the stored text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = rawText(Buffer.from(bytes));
        expect(r.truncated).toBe(false);
        expect(r.text.includes('\0')).toBe(false);
        expect(unescape(r.text, r.escaped).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('cuts at the byte limit on a character (and escape) boundary', () => {
    const r = rawText('é'.repeat(10), { maxBytes: 5 });
    expect(r).toEqual({ text: 'éé', escaped: false, truncated: true });
    const e = rawText(Buffer.from([0xff, 0xff, 0xff]), { maxBytes: 10 });
    expect(e).toEqual({ text: '\\xff\\xff', escaped: true, truncated: true });
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => !s.includes('\0') && s.isWellFormed()), fc.integer({ min: 1, max: 100 }), (s, max) => {
        const r = rawText(s, { maxBytes: max });
        expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(max);
        expect(s.startsWith(r.text)).toBe(true);
      }),
    );
  });
});
