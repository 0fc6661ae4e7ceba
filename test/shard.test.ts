/**
 * The choice of a shard's objects (src/common/shard.ts), how a run learns its shard
 * (flags, job index variables, dwh.cfg), and how a shard plans its load:
 * every object belongs to exactly one shard, the same one on every machine,
 * and the shards' plans together are the unsharded plan.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkShardRun, resolveConfig } from '../src/config/index.ts';
import { ConfigError, UsageError } from '../src/common/errors.ts';
import type { SourceObject } from '../src/extract/source.ts';
import { planLoad, type LoadedObject } from '../src/run/plan.ts';
import { inShard, MAX_SHARDS, parseShard, shardOfKey } from '../src/common/shard.ts';

const key = fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^song_data\/[A-Z]\/[A-Z]\/[A-Z]\/TR[A-Z0-9]{16}\.json$/), fc.string({ unit: 'grapheme', maxLength: 40 }));
const count = fc.integer({ min: 1, max: MAX_SHARDS });

describe('shard of a key', () => {
  it('is one shard from 0 to N − 1, the same every time', () => {
    fc.assert(
      fc.property(key, count, (k, n) => {
        const s = shardOfKey(k, n);
        expect(Number.isInteger(s) && s >= 0 && s < n).toBe(true);
        expect(shardOfKey(k, n)).toBe(s);
        // Exactly one shard of the count owns the key.
        if (n <= 16) expect(Array.from({ length: n }, (_, index) => inShard(k, { index, count: n })).filter(Boolean)).toHaveLength(1);
      }),
    );
  });

  it('is a documented function of the key bytes, so any other program can compute it', () => {
    // First four bytes of SHA-256("song_data/A/A/A/TRAAAAK128F9318786.json") = 0x8f834697 (sha256sum agrees).
    expect(shardOfKey('song_data/A/A/A/TRAAAAK128F9318786.json', 1000)).toBe(0x8f834697 % 1000);
    expect(shardOfKey('anything', 1)).toBe(0);
    expect(() => shardOfKey('k', 0)).toThrow(RangeError);
  });

  it('spreads look-alike keys evenly', () => {
    const keys = Array.from({ length: 30_000 }, (_, i) => `song_data/A/B/C/TRABC${String(i).padStart(6, '0')}.json`);
    for (const n of [3, 8, 64]) {
      const counts = new Array<number>(n).fill(0);
      for (const k of keys) counts[shardOfKey(k, n)]++;
      const mean = keys.length / n;
      // Six standard deviations of a fair split: a hash that misbehaves fails this, a fair one never does.
      const tolerance = 6 * Math.sqrt(mean);
      for (const c of counts) expect(Math.abs(c - mean), `${n} shards: ${counts.join(' ')}`).toBeLessThan(tolerance);
    }
  });
});

describe('I/N', () => {
  it('reads shard I of N and names the setting when it is wrong', () => {
    expect(parseShard('2/8', '--shard')).toEqual({ index: 2, count: 8 });
    expect(parseShard(' 0 / 1 ', '--shard')).toEqual({ index: 0, count: 1 });
    expect(parseShard('3/3', '--shard')).toBe('--shard is shard 3, but there are 3 shards (0 to 2)');
    expect(parseShard('1', '--shard')).toMatch(/^--shard must be I\/N/);
    expect(parseShard('-1/3', '--shard')).toMatch(/^--shard must be I\/N/);
    expect(parseShard('0/0', '--shard')).toMatch(/^--shard: the shard count must be an integer from 1 to 1000/);
    expect(parseShard('0/1001', '--shard')).toMatch(/from 1 to 1000, got "1001"/);
  });
});

describe('the shard of a run', () => {
  const cfgDir = (text: string) => {
    const d = mkdtempSync(join(tmpdir(), 'sparkify-shard-cfg-'));
    writeFileSync(join(d, 'dwh.cfg'), text);
    return d;
  };
  const shardOf = (flags: Record<string, unknown>, env: Record<string, string> = {}, cwd = cfgDir('')) => resolveConfig(flags, env, cwd).load.shard;

  it('comes from --shard, which wins over the job index and --shards', () => {
    expect(shardOf({ shard: '1/4' }, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 1, count: 4, origin: '--shard' });
    expect(() => shardOf({ shard: '1/4', shards: '5' })).toThrow(UsageError);
    expect(() => shardOf({ shard: '4/4' })).toThrow(UsageError);
  });

  it('takes the index from JOB_COMPLETION_INDEX, else AWS_BATCH_JOB_ARRAY_INDEX, and the count from --shards, else [ETL] SHARDS', () => {
    expect(shardOf({ shards: '3' }, { JOB_COMPLETION_INDEX: '2', AWS_BATCH_JOB_ARRAY_INDEX: '0' })).toEqual({ index: 2, count: 3, origin: 'JOB_COMPLETION_INDEX' });
    expect(shardOf({ shards: '3' }, { AWS_BATCH_JOB_ARRAY_INDEX: '1' })).toEqual({ index: 1, count: 3, origin: 'AWS_BATCH_JOB_ARRAY_INDEX' });
    const cfg = cfgDir('[ETL]\nSHARDS = 4\n');
    expect(shardOf({}, { AWS_BATCH_JOB_ARRAY_INDEX: '3' }, cfg)).toEqual({ index: 3, count: 4, origin: 'AWS_BATCH_JOB_ARRAY_INDEX' });
    expect(shardOf({ shards: '6' }, { AWS_BATCH_JOB_ARRAY_INDEX: '5' }, cfg)).toEqual({ index: 5, count: 6, origin: 'AWS_BATCH_JOB_ARRAY_INDEX' });
    // The same dwh.cfg on a machine that is not a job: an ordinary run.
    expect(shardOf({}, {}, cfg)).toBeUndefined();
    // No count at all: a job index alone shards nothing.
    expect(shardOf({}, { JOB_COMPLETION_INDEX: '1' })).toBeUndefined();
  });

  it('refuses an index that does not fit, and --shards without an index, naming where each came from', () => {
    expect(() => shardOf({ shards: '3' }, { JOB_COMPLETION_INDEX: '3' })).toThrow(new ConfigError('JOB_COMPLETION_INDEX=3 is shard 3, but there are 3 shards (0 to 2) (from --shards)'));
    expect(() => shardOf({}, { JOB_COMPLETION_INDEX: 'x' }, cfgDir('[ETL]\nSHARDS = 2\n'))).toThrow(/^JOB_COMPLETION_INDEX=x must be a shard index from 0 to 1, got "x" \(from dwh\.cfg:2 \[ETL\] SHARDS\)$/);
    expect(() => shardOf({ shards: '3' })).toThrow(/^--shards 3 needs this run's shard index, and neither JOB_COMPLETION_INDEX nor AWS_BATCH_JOB_ARRAY_INDEX is set$/);
    expect(() => shardOf({}, { JOB_COMPLETION_INDEX: '0' }, cfgDir('[ETL]\nSHARDS = many\n'))).toThrow(ConfigError);
  });

  it('is none for the model build, whatever the job environment says', () => {
    expect(shardOf({ modelOnly: true }, { JOB_COMPLETION_INDEX: '1' }, cfgDir('[ETL]\nSHARDS = 3\n'))).toBeUndefined();
  });

  it('refuses what a shard cannot do: forget everything, build the model, load through Redshift direct mode', () => {
    const check = (flags: Record<string, unknown>) => () => checkShardRun(resolveConfig({ ignoreConfigFile: true, shard: '0/2', ...flags }, {}));
    expect(check({ fullRefresh: true })).toThrow(/--full-refresh forgets everything staged before reloading it, which would wipe the other shards' work; this run is shard 0\/2 \(from --shard\)/);
    // A day range is refreshed object by object: shards may do it.
    expect(check({ fullRefresh: true, since: '2018-11-05' })).not.toThrow();
    expect(check({ modelOnly: true })).toThrow(/--model-only builds the star schema after the shards/);
    expect(check({ target: 'redshift://u@h:5439/dwh', redshiftMode: 'direct' })).toThrow(/Redshift direct mode has Redshift read every object itself, so shards gain nothing/);
    expect(check({ target: 'redshift://u@h:5439/dwh' })).not.toThrow();
    expect(check({ target: 'redshift://u@h:5439/dwh', stagingPrefix: `s3://staging/${'p'.repeat(200)}` })).toThrow(/^the staging prefix is 213 bytes long; a shard needs one of at most 200/);
  });
});

describe('a shard\'s plan', () => {
  const objects = fc.uniqueArray(fc.record({ key: fc.string({ minLength: 1, maxLength: 12 }), fingerprint: fc.constantFrom('e1', 'e2'), dataset: fc.constantFrom('events' as const, 'songs' as const) }), { selector: (o) => o.key, maxLength: 60 });

  it('is its share of the unsharded plan: the shards together load, skip and prune exactly what one run would', () => {
    fc.assert(
      fc.property(objects, objects, fc.integer({ min: 1, max: 7 }), fc.boolean(), (listedRaw, loadedRaw, n, prune) => {
        const listed: SourceObject[] = listedRaw.map((o) => ({ ...o, size: 1 })).sort((a, b) => (a.key < b.key ? -1 : 1));
        const loaded = new Map<string, LoadedObject>(loadedRaw.map((o) => [o.key, o]));
        const options = { fullRefresh: false, prune, listedDatasets: ['events', 'songs'] as const };
        const whole = planLoad(listed, loaded, options);
        const shards = Array.from({ length: n }, (_, index) => planLoad(listed, loaded, { ...options, shard: { index, count: n } }));
        const keys = (pick: (p: typeof whole) => { key: string }[]) => (p: typeof whole) => pick(p).map((o) => o.key);
        for (const part of [keys((p) => p.load), keys((p) => p.skip), keys((p) => p.prune)]) {
          expect(shards.flatMap(part).sort()).toEqual(part(whole).sort());
        }
        expect(shards.reduce((s, p) => s + p.listed, 0)).toBe(whole.listed);
        expect(shards.reduce((s, p) => s + p.vanished, 0)).toBe(whole.vanished);
        for (const [index, p] of shards.entries()) {
          expect(p.listed + p.otherShards).toBe(listed.length);
          for (const o of [...p.load, ...p.skip, ...p.prune]) expect(shardOfKey(o.key, n)).toBe(index);
        }
      }),
    );
  });
});
