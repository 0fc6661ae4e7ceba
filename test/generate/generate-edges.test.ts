import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample } from '../../src/generate/index.ts';
import { listFiles, readTree } from './tree.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sparkify-generate-edges-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('generateSample edge cases', () => {
  it('writes exactly the requested number of events, whatever the density', async () => {
    for (const [events, days, users] of [[1, 1, 1], [17, 4, 3], [5000, 2, 2], [2500, 7, 400]]) {
      const dir = join(root, `n${events}-${days}-${users}`);
      const s = await generateSample({ outDir: dir, songs: 20, days, users, seed: events, events });
      const { days: files } = await readTree(dir);
      expect(files).toHaveLength(days);
      expect(files.reduce((n, f) => n + f.records.length, 0)).toBe(events);
      expect(s.events).toBe(events);
      for (const f of files) {
        const start = Date.parse(`${f.path.slice(-22, -12)}T00:00:00Z`);
        for (const e of f.records) expect((e.ts as number) - start).toBeLessThan(86_400_000);
      }
    }
  });

  it('spreads the default events over the days with some variation', async () => {
    const dir = join(root, 'spread');
    const s = await generateSample({ outDir: dir, songs: 50, days: 14, users: 300, seed: 5 });
    expect(s.events).toBe(Math.round(2.7 * 300 * 14));
    const counts = (await readTree(dir)).days.map((d) => d.records.length);
    const mean = s.events / 14;
    expect(Math.min(...counts)).toBeGreaterThan(0.4 * mean);
    expect(Math.max(...counts)).toBeLessThan(1.8 * mean);
    expect(new Set(counts).size).toBeGreaterThan(5);
  });

  it('names day objects across a month and year boundary', async () => {
    const dir = join(root, 'boundary');
    await generateSample({ outDir: dir, songs: 0, days: 3, users: 5, seed: 1, events: 30, startDate: '2019-12-31' });
    expect(await listFiles(dir)).toEqual([
      'log_data/2019/12/2019-12-31-events.json',
      'log_data/2020/01/2020-01-01-events.json',
      'log_data/2020/01/2020-01-02-events.json',
    ]);
  });

  it('writes empty day objects when there are no events, and plays only unknown songs without a catalogue', async () => {
    const empty = join(root, 'empty');
    const s = await generateSample({ outDir: empty, songs: 0, days: 2, users: 0, seed: 1 });
    expect(s).toMatchObject({ songObjects: 0, artists: 0, dayObjects: 2, events: 0, bytes: 0 });
    expect((await readTree(empty)).days.map((d) => d.text)).toEqual(['', '']);

    const noSongs = join(root, 'no-songs');
    const t = await generateSample({ outDir: noSongs, songs: 0, days: 1, users: 10, seed: 1, events: 200 });
    expect(t.nextSongEvents).toBeGreaterThan(100);
  });

  it('rejects bad options before writing anything', async () => {
    const dir = join(root, 'bad');
    await expect(generateSample({ outDir: dir, songs: -1, days: 1, users: 1, seed: 1 })).rejects.toThrow(RangeError);
    await expect(listFiles(dir)).rejects.toThrow();
  });
});
