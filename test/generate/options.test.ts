import { describe, expect, it } from 'vitest';
import { resolveOptions, type GenerateOptions } from '../../src/generate/options.ts';

const base: GenerateOptions = { outDir: '/tmp/x', songs: 10, days: 2, users: 100, seed: 1 };

describe('resolveOptions', () => {
  it('applies the defaults: sample-like density, 2018-11-01, no gzip', () => {
    const o = resolveOptions(base);
    expect(o).toEqual({ outDir: '/tmp/x', songs: 10, days: 2, users: 100, seed: 1, startMs: Date.UTC(2018, 10, 1), events: 540, gzip: false });
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
