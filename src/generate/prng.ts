/**
 * Seeded pseudo-random numbers. The generator must give byte-identical output for
 * the same options, so nothing here touches `Math.random` or the clock.
 *
 * `hash32` derives independent sub-streams (one per song, artist, user, …) so any
 * record can be rebuilt from `(seed, kind, index)` alone, without keeping it in memory.
 */

/** Mixes 32-bit integers into one well-spread unsigned 32-bit hash (murmur3 finaliser per step). */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0xcc9e2d51);
    h = (h << 15) | (h >>> 17);
    h = Math.imul(h, 0x1b873593);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Folds any safe integer (negative or above 2^32 included) into a 32-bit seed key. */
export function seedKey(seed: number): number {
  const lo = ((seed % 0x1_0000_0000) + 0x1_0000_0000) % 0x1_0000_0000;
  const hi = Math.floor(seed / 0x1_0000_0000);
  return hash32(lo, hi | 0, (hi / 0x1_0000_0000) | 0);
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128-bit state, passes
 * PractRand, and is fast in plain 32-bit integer arithmetic.
 */
export class Rng {
  a: number;
  b: number;
  c: number;
  d: number;

  /** Seeds the state from the hash of `keys`, so equal keys give equal streams. */
  constructor(...keys: number[]) {
    const h = hash32(...keys);
    this.a = h;
    this.b = hash32(h, 0x51ed27);
    this.c = hash32(h, 0x2b7e15);
    this.d = 1;
    // The first outputs of a freshly seeded sfc32 are correlated with the seed.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Next unsigned 32-bit integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.next() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi], both included. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }

  /** Exponentially distributed value with the given mean. */
  exp(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** Standard normal value (Box–Muller; one of the pair is dropped for simplicity). */
  normal(): number {
    const u = 1 - this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /**
   * Zipf-like rank in [0, n), drawn in O(1) time and memory: log-uniform on
   * [head, n + head), so P(rank = r) ≈ 1 / ((r + head + 0.5) · ln((n + head) / head)),
   * exponent ≈ 1 with the top `head` ranks flattened (a larger head, a milder hit).
   */
  zipf(n: number, head = 1): number {
    const r = Math.floor(head * Math.exp(this.float() * Math.log((n + head) / head))) - head;
    return r < 0 ? 0 : r < n ? r : n - 1;
  }
}

/**
 * A bijection on [0, 2^bits): ids built from it are unique by construction, yet
 * look random. Multiplying by an odd number and xor-shifting right are both
 * invertible modulo 2^bits.
 */
export function permuteBits(x: number, bits: number, key: number): number {
  const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  let v = (x ^ key) & mask;
  v = Math.imul(v, 0x2c1b3c6d) & mask;
  v ^= v >>> Math.ceil(bits / 2);
  v = Math.imul(v, 0x297a2d39) & mask;
  v ^= v >>> Math.ceil(bits / 3);
  return bits === 32 ? v >>> 0 : v & mask;
}
