/** rebuildIsCheaper: when the model step rebuilds rather than updating what changed. */
import { describe, expect, it } from 'vitest';
import { rebuildIsCheaper } from '../../src/model/index.ts';

const state = (over: Partial<Parameters<typeof rebuildIsCheaper>[0]>) => ({ dirtyObjects: 1, objects: 1_000, dirtyRows: 0, dirtyEvents: 0, stagedRows: 2_000_000, ...over });

describe('rebuildIsCheaper', () => {
  it('rebuilds when most objects changed', () => {
    expect(rebuildIsCheaper(state({ dirtyObjects: 501 }))).toBe(true);
    expect(rebuildIsCheaper(state({ dirtyObjects: 500 }))).toBe(false);
  });

  it('rebuilds when the changed rows, staged and replaced, pass a fifth of the staged rows and 50,000', () => {
    expect(rebuildIsCheaper(state({ dirtyRows: 66_667 }))).toBe(false); // a day of a month
    expect(rebuildIsCheaper(state({ dirtyRows: 400_000 }))).toBe(false);
    expect(rebuildIsCheaper(state({ dirtyRows: 400_001 }))).toBe(true);
    expect(rebuildIsCheaper(state({ dirtyRows: 200_001, dirtyEvents: 200_000 }))).toBe(true);
    expect(rebuildIsCheaper(state({ dirtyEvents: 400_001 }))).toBe(true);
  });

  it('keeps the incremental step under 50,000 changed rows at any share', () => {
    expect(rebuildIsCheaper(state({ dirtyRows: 50_000, stagedRows: 60_000 }))).toBe(false);
    expect(rebuildIsCheaper(state({ dirtyRows: 50_001, stagedRows: 60_000 }))).toBe(true);
    expect(rebuildIsCheaper(state({ dirtyRows: 10, stagedRows: 0 }))).toBe(false);
  });
});
