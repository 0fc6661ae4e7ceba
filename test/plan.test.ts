import { describe, expect, it } from 'vitest';
import { dayOfKey, inDayRange } from '../src/extract/day-of-key.ts';
import { planLoad, type LoadedObject } from '../src/plan.ts';
import type { SourceObject } from '../src/extract/source.ts';

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
