import { describe, expect, it } from 'vitest';
import { mulMod } from '../../src/generate/catalogue.ts';
import { hash32, permuteBits, Rng, seedKey } from '../../src/generate/prng.ts';

const draw = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.next());

describe('Rng', () => {
  it('repeats for equal keys and differs for other keys', () => {
    expect(draw(new Rng(1, 2, 3), 50)).toEqual(draw(new Rng(1, 2, 3), 50));
    expect(draw(new Rng(1, 2, 4), 50)).not.toEqual(draw(new Rng(1, 2, 3), 50));
    expect(seedKey(1)).not.toBe(seedKey(2));
    expect(seedKey(-1)).not.toBe(seedKey(1));
    expect(seedKey(2 ** 40)).not.toBe(seedKey(0));
    expect(hash32(1, 2)).not.toBe(hash32(2, 1));
  });

  it('draws roughly uniform floats and in-range integers', () => {
    const rng = new Rng(7);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) {
      const f = rng.float();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      sum += f;
      const k = rng.between(3, 5);
      expect(k >= 3 && k <= 5 && Number.isInteger(k)).toBe(true);
    }
    expect(sum / 20_000).toBeCloseTo(0.5, 1);
  });

  it('draws skewed Zipf-like ranks inside [0, n)', () => {
    const rng = new Rng(9);
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 50_000; i++) counts[rng.zipf(100)]++;
    expect(counts[0]).toBeGreaterThan(5 * counts[50]);
    expect(counts.every((c) => c > 0)).toBe(true);
    for (let i = 0; i < 1000; i++) expect(rng.zipf(3, 10)).toBeLessThan(3);
    expect(rng.zipf(1)).toBe(0);
  });
});

describe('permuteBits', () => {
  it('is a bijection, so ids built from it are unique', () => {
    const seen = new Set<number>();
    for (let x = 0; x < 1 << 14; x++) seen.add(permuteBits(x, 14, 0x5eed));
    expect(seen.size).toBe(1 << 14);
    expect([...seen].every((v) => v >= 0 && v < 1 << 14)).toBe(true);
    const wide = new Set<number>();
    for (let x = 0; x < 50_000; x++) wide.add(permuteBits(x, 32, 123));
    expect(wide.size).toBe(50_000);
    expect([...wide].every((v) => v >= 0 && v <= 0xffffffff)).toBe(true);
  });
});

describe('mulMod', () => {
  it('is exact where a plain product would lose precision', () => {
    const n = 2 ** 28 - 57;
    for (const [a, b] of [[n - 1, n - 2], [123_456_789, 234_567_891 % n], [0, 5], [1, n - 1]]) {
      expect(mulMod(a, b, n)).toBe(Number((BigInt(a) * BigInt(b)) % BigInt(n)));
    }
  });
});
