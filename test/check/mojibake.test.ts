import { describe, expect, it } from 'vitest';
import { MOJIBAKE_PATTERN } from '../../src/check/mojibake.ts';

/** What a double decode does: UTF-8 bytes read as Latin-1 (or Windows-1252) and written as UTF-8 again. */
const latin1Twice = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

describe('double-encoded UTF-8 pattern', () => {
  // The same POSIX expression runs in the warehouse; JS RegExp reads this one alike.
  const re = new RegExp(MOJIBAKE_PATTERN, 'u');
  it('finds names decoded twice and leaves clean ones', () => {
    for (const bad of [latin1Twice('Björk'), latin1Twice(latin1Twice('Björk')), 'BjÃ\u0083Â¶rk', latin1Twice('Beyoncé'), 'Donâ€™t Stop']) expect(re.test(bad), bad).toBe(true);
    for (const good of ['Björk', 'Beyoncé', 'Sigur Rós', 'Motörhead', 'Don’t Stop', 'AC/DC', 'Ñandú', '東京事変', 'Ã']) expect(re.test(good), good).toBe(false);
  });
});
