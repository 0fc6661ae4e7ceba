import { describe, expect, it } from 'vitest';
import { resolveOptions, type GenerateOptions } from '../../src/generate/options.ts';

const base: GenerateOptions = { outDir: '/tmp/x', songs: 10, days: 2, users: 100, seed: 1 };

describe('resolveOptions', () => {
  it('applies the defaults: sample-like density, 2018-11-01, no gzip', () => {
    const o = resolveOptions(base);
    expect(o).toEqual({ outDir: '/tmp/x', songs: 10, days: 2, users: 100, seed: 1, startMs: Date.UTC(2018, 10, 1), events: 540, gzip: false, psqlSafe: false });
    expect(Object.isFrozen(o)).toBe(true);
    expect(resolveOptions({ ...base, startDate: '2020-02-29', events: 7, gzip: true })).toMatchObject({
      startMs: Date.UTC(2020, 1, 29),
      events: 7,
      gzip: true,
    });
  });

  it('rejects wrong types with TypeError and bad values with RangeError', () => {
    expect(() => resolveOptions({ ...base, songs: 1.5 })).toThrow(TypeError);
    expect(() => resolveOptions({ ...base, seed: Number.NaN })).toThrow(TypeError);
    expect(() => resolveOptions({ ...base, users: '3' as unknown as number })).toThrow(TypeError);
    expect(() => resolveOptions({ ...base, outDir: '' })).toThrow(TypeError);
    expect(() => resolveOptions({ ...base, startDate: '2018/11/01' })).toThrow(TypeError);
    expect(() => resolveOptions({ ...base, gzip: 'yes' as unknown as boolean })).toThrow(TypeError);
    expect(() => resolveOptions({ ...base, days: -1 })).toThrow(RangeError);
    expect(() => resolveOptions({ ...base, users: 2 ** 31 })).toThrow(RangeError);
    expect(() => resolveOptions({ ...base, startDate: '2018-02-30' })).toThrow(RangeError);
    expect(() => resolveOptions({ ...base, users: 0, events: 5 })).toThrow(RangeError);
  });
});

describe('psqlSafe', () => {
  it('leaves out every value holding a line that is exactly \\.', async () => {
    const { Catalogue } = await import('../../src/generate/catalogue.ts');
    const endOfData = /(^|\n)\\\.\r?(\n|$)/;
    const texts = (c: InstanceType<typeof Catalogue>) => {
      const out: string[] = [];
      for (let i = 0; i < 400; i++) {
        const s = c.songAt(i);
        const a = c.artistAt(s.artist);
        out.push(s.title, a.name, a.location);
      }
      return out;
    };
    const plain = texts(new Catalogue(7, 400));
    const safe = texts(new Catalogue(7, 400, true));
    expect(plain.some((t) => endOfData.test(t))).toBe(true);
    expect(safe.some((t) => endOfData.test(t))).toBe(false);
    // Only records that held such a value change (an artist's location may follow its replaced name).
    const changed = safe.map((t, i) => t !== plain[i]).reduce((n, c) => n + (c ? 1 : 0), 0);
    expect(changed).toBeGreaterThanOrEqual(plain.filter((t) => endOfData.test(t)).length);
    expect(changed).toBeLessThanOrEqual(2 * plain.filter((t) => endOfData.test(t)).length);
  });
});
