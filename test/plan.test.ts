import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dayOfKey, inDayRange } from '../src/extract/day-of-key.ts';
import { LoadPlanner, planLoad, type LoadedObject, type PlanOptions } from '../src/run/plan.ts';
import type { SourceObject } from '../src/extract/source.ts';
import { inShard } from '../src/common/shard.ts';

const obj = (key: string, fingerprint = 'e1', dataset: 'events' | 'songs' = 'events'): SourceObject => ({ dataset, key, size: 10, fingerprint });
const loaded = (...l: [string, string, ('events' | 'songs')?][]) => new Map(l.map(([key, fingerprint, dataset]) => [key, { key, fingerprint, dataset: dataset ?? 'events' } as LoadedObject]));
const base = { fullRefresh: false, prune: false, listedDatasets: ['events', 'songs'] as const };

describe('day of a key', () => {
  it('reads both layouts', () => {
    expect(dayOfKey('log_data/2018/11/2018-11-01-events.json')).toBe('2018-11-01');
    expect(dayOfKey('logs/2018/11/07/part-0001.json.gz')).toBe('2018-11-07');
    expect(dayOfKey('log_data/2018/11/2018-11-31-events.json')).toBeUndefined();
    expect(dayOfKey('song_data/A/B/C/TRABC.json')).toBeUndefined();
  });
  it('keeps keys inside an inclusive range', () => {
    expect(inDayRange('l/2018/11/2018-11-05-events.json', '2018-11-05', '2018-11-05')).toBe(true);
    expect(inDayRange('l/2018/11/2018-11-06-events.json', undefined, '2018-11-05')).toBe(false);
    expect(inDayRange('l/no-day.json', '2018-11-01', undefined)).toBe(false);
    expect(inDayRange('l/no-day.json', undefined, undefined)).toBe(true);
  });
});

describe('load plan', () => {
  it('loads new and changed objects and skips unchanged ones', () => {
    const p = planLoad([obj('a', 'e1'), obj('b', 'e2'), obj('c', 'e1')], loaded(['a', 'e1'], ['b', 'e1']), base);
    expect(p.load.map((o) => o.key)).toEqual(['b', 'c']);
    expect(p.skip.map((o) => o.key)).toEqual(['a']);
    expect(p.prune).toEqual([]);
  });
  it('reloads everything on a full refresh', () => {
    expect(planLoad([obj('a')], loaded(['a', 'e1']), { ...base, fullRefresh: true }).load).toHaveLength(1);
  });
  it('prunes only loaded objects of listed data sets that are gone', () => {
    const p = planLoad([obj('a')], loaded(['a', 'e1'], ['gone', 'e1'], ['song', 'e1', 'songs']), { ...base, prune: true, listedDatasets: ['events'] });
    expect(p.prune.map((x) => x.key)).toEqual(['gone']);
  });
  it('limits log objects to --since/--until but not songs', () => {
    const p = planLoad([obj('l/2018/11/2018-11-01-e.json'), obj('l/2018/11/2018-11-02-e.json'), obj('s/A/x.json', 'e', 'songs')], new Map(), { ...base, since: '2018-11-02' });
    expect(p.load.map((o) => o.key)).toEqual(['l/2018/11/2018-11-02-e.json', 's/A/x.json']);
  });
  it('narrows a full refresh with a day range to the log objects of those days', () => {
    const listed = [obj('l/2018/11/2018-11-01-e.json'), obj('l/2018/11/2018-11-02-e.json'), obj('s/A/x.json', 'e', 'songs'), obj('s/A/new.json', 'e', 'songs')];
    const before = loaded(['l/2018/11/2018-11-01-e.json', 'e1'], ['l/2018/11/2018-11-02-e.json', 'e1'], ['s/A/x.json', 'e', 'songs']);
    const p = planLoad(listed, before, { ...base, fullRefresh: true, since: '2018-11-02', until: '2018-11-02' });
    // The unchanged song is not reloaded; a new one still is.
    expect(p.load.map((o) => o.key)).toEqual(['l/2018/11/2018-11-02-e.json', 's/A/new.json']);
    expect(planLoad(listed, before, { ...base, fullRefresh: true }).load).toHaveLength(4);
  });
  it('counts loaded objects the source no longer lists, with or without --prune', () => {
    const before = loaded(['a', 'e1'], ['gone', 'e1'], ['song', 'e1', 'songs']);
    expect(planLoad([obj('a')], before, base).vanished).toBe(2);
    expect(planLoad([obj('a')], before, { ...base, listedDatasets: ['events'] })).toMatchObject({ vanished: 1, prune: [] });
  });
});

describe('the plan, decided as the listing streams', () => {
  /** The plan as it was computed before it streamed: the whole listing at once (the oracle). */
  function wholeListingPlan(listed: readonly SourceObject[], loaded: ReadonlyMap<string, LoadedObject>, options: PlanOptions) {
    const mine = (key: string) => !options.shard || inShard(key, options.shard);
    const seen = new Set(listed.filter((o) => mine(o.key)).map((o) => o.key));
    const dayRange = options.since !== undefined || options.until !== undefined;
    const load = listed.filter((o) => {
      if (!mine(o.key) || (o.dataset === 'events' && !inDayRange(o.key, options.since, options.until))) return false;
      const before = loaded.get(o.key);
      const unchanged = before !== undefined && before.dataset === o.dataset && before.fingerprint === o.fingerprint;
      return !unchanged || (options.fullRefresh && (o.dataset === 'events' || !dayRange));
    });
    const gone = [...loaded.values()].filter((l) => options.listedDatasets.includes(l.dataset) && !seen.has(l.key) && mine(l.key));
    return { load: load.map((o) => o.key), listed: seen.size, prune: options.prune ? gone.map((l) => l.key) : [], vanished: gone.length };
  }

  const day = fc.integer({ min: 1, max: 9 }).map((d) => `log_data/2018/11/2018-11-0${d}-events.json`);
  const song = fc.constantFrom('A', 'B', 'C', 'D', 'E').map((x) => `song_data/${x}/TR${x}.json`);
  const objectOf = fc.oneof(day.map((key) => ({ key, dataset: 'events' as const })), song.map((key) => ({ key, dataset: 'songs' as const })));
  const entries = fc.uniqueArray(fc.record({ o: objectOf, fingerprint: fc.constantFrom('e1', 'e2') }), { selector: (e) => e.o.key, maxLength: 12 });
  const options = fc.record({
    fullRefresh: fc.boolean(),
    prune: fc.boolean(),
    since: fc.option(day.map((k) => k.slice(17, 27)), { nil: undefined }),
    until: fc.option(day.map((k) => k.slice(17, 27)), { nil: undefined }),
    listedDatasets: fc.constantFrom<('events' | 'songs')[]>(['events', 'songs'], ['events'], ['songs']),
    shard: fc.option(fc.integer({ min: 1, max: 3 }).chain((count) => fc.record({ index: fc.integer({ min: 0, max: count - 1 }), count: fc.constant(count) })), { nil: undefined }),
  });

  it('decides every object as the whole-listing plan did, and knows what is gone once the listing ends', () => {
    fc.assert(
      fc.property(entries, entries, options, (listedEntries, loadedEntries, opts) => {
        const listed = listedEntries.filter((e) => opts.listedDatasets.includes(e.o.dataset)).map((e) => ({ ...e.o, size: 1, fingerprint: e.fingerprint }));
        const before = new Map(loadedEntries.map((e) => [e.o.key, { key: e.o.key, dataset: e.o.dataset, fingerprint: e.fingerprint }]));
        const planner = new LoadPlanner(before, opts);
        const load = listed.filter((o) => planner.decide(o) === 'load').map((o) => o.key);
        const gone = planner.gone();
        const expected = wholeListingPlan(listed, before, opts);
        expect({ load, listed: planner.listed, prune: gone.prune.map((l) => l.key), vanished: gone.vanished }).toEqual(expected);
        expect(planLoad(listed, before, opts)).toMatchObject({ listed: expected.listed, vanished: expected.vanished });
      }),
      { numRuns: 500 },
    );
  });
});
