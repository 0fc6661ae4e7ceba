/** planUnits: how listed objects become load units (batches of small objects, one stream per large one). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Dataset } from '../../src/common/datasets.ts';
import type { SourceObject } from '../../src/extract/source.ts';
import { planUnits, type Unit, type UnitLimits } from '../../src/stage/index.ts';

const obj = (key: string, size: number, dataset: Dataset = 'songs'): SourceObject => ({ dataset, key, size, fingerprint: `"${key}"` });

async function plan(objects: Iterable<SourceObject> | AsyncIterable<SourceObject>, limits?: UnitLimits): Promise<Unit[]> {
  const units: Unit[] = [];
  for await (const u of planUnits(objects, limits)) units.push(u);
  return units;
}

const keys = (u: Unit) => (u.kind === 'stream' ? u.object.key : u.objects.map((o) => o.key));

describe('planUnits', () => {
  it('streams an object larger than smallObjectBytes on its own and batches the others around it', async () => {
    const units = await plan([obj('a', 10), obj('b', 300 * 1024), obj('c', 10), obj('d', 256 * 1024)]);
    // Exactly 256 KiB is still small (the default limit is inclusive); the batch keeps going past a stream.
    expect(units.map((u) => [u.kind, keys(u)])).toEqual([
      ['stream', 'b'],
      ['batch', ['a', 'c', 'd']],
    ]);
  });

  it('cuts a batch at batchObjects, at batchBytes, and where the data set changes', async () => {
    expect((await plan([obj('a', 1), obj('b', 1), obj('c', 1)], { batchObjects: 2 })).map(keys)).toEqual([['a', 'b'], ['c']]);
    // 40 + 40 fits 100; a third 40 would not.
    expect((await plan([obj('a', 40), obj('b', 40), obj('c', 40)], { batchBytes: 100 })).map(keys)).toEqual([['a', 'b'], ['c']]);
    expect((await plan([obj('s1', 1, 'songs'), obj('e1', 1, 'events'), obj('e2', 1, 'events')])).map(keys)).toEqual([['s1'], ['e1', 'e2']]);
  });

  it('takes an object larger than batchBytes (but small) as a batch of its own', async () => {
    expect((await plan([obj('a', 10), obj('b', 500), obj('c', 10)], { batchBytes: 100, smallObjectBytes: 1000 })).map(keys)).toEqual([['a'], ['b'], ['c']]);
  });

  it('plans nothing for no objects', async () => {
    expect(await plan([])).toEqual([]);
  });

  it('yields each unit as soon as it is complete, before the listing ends', async () => {
    let listed = 0;
    let release!: () => void;
    const more = new Promise<void>((r) => (release = r));
    async function* listing(): AsyncGenerator<SourceObject> {
      yield obj('big', 1e9);
      listed++;
      await more; // the listing's next page has not come yet
      yield obj('a', 1);
    }
    const units = planUnits(listing());
    const first = await units.next();
    expect(first.value).toMatchObject({ kind: 'stream', object: { key: 'big' } });
    expect(listed).toBe(0);
    release();
    expect((await units.next()).value).toMatchObject({ kind: 'batch' });
    expect((await units.next()).done).toBe(true);
  });

  it('keeps every object once, in order, and every batch within its limits (any listing)', async () => {
    const arbObject = fc.record({ size: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 201, max: 400 })), dataset: fc.constantFrom<Dataset>('songs', 'events') });
    await fc.assert(
      fc.asyncProperty(fc.array(arbObject, { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 600 }), async (list, batchObjects, batchBytes) => {
        const objects = list.map((o, i) => obj(`k${String(i).padStart(3, '0')}`, o.size, o.dataset));
        const limits = { smallObjectBytes: 200, batchObjects, batchBytes };
        const units = await plan(objects, limits);
        const all = units.flatMap((u) => (u.kind === 'stream' ? [u.object] : u.objects));
        expect(new Set(all).size).toBe(objects.length);
        expect([...all].sort((a, b) => a.key.localeCompare(b.key))).toEqual(objects);
        for (const u of units) {
          if (u.kind === 'stream') {
            expect(u.object.size).toBeGreaterThan(200);
            continue;
          }
          expect(u.objects.length).toBeGreaterThan(0);
          expect(u.objects.length).toBeLessThanOrEqual(batchObjects);
          expect(u.objects.every((o) => o.size <= 200 && o.dataset === u.objects[0].dataset)).toBe(true);
          const bytes = u.objects.reduce((n, o) => n + o.size, 0);
          if (u.objects.length > 1) expect(bytes).toBeLessThanOrEqual(batchBytes);
          // Objects of one batch come in listing order.
          expect(u.objects.map((o) => o.key)).toEqual([...u.objects.map((o) => o.key)].sort());
        }
      }),
      { numRuns: 300 },
    );
  });
});
