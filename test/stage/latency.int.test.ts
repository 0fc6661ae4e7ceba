/**
 * S3 latency hidden by default (issue #17): through a proxy that delays every
 * S3 answer, a run with the default settings
 * - keeps more than 8 GETs of small objects in flight (counted at the proxy),
 * - still streams large objects two at a time at most, as before,
 * - starts loading objects while later pages of the listing are still coming,
 * - and loads everything; an explicit --concurrency N stays a hard limit.
 * Counts and order, not timings: nothing here depends on how fast the machine is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { generateSample } from '../../src/generate/index.ts';
import { createBucket, createDatabase, s3Endpoint, testS3Client } from '../support/services.ts';
import { etl, useTestS3Credentials } from '../support/in-process.ts';
import { requestClass, startLatencyProxy, type LatencyProxy } from '../../scripts/bench/latency-proxy.ts';

const SONGS = 2100; // three listing pages of 1000
const DAYS = 3; // day objects of ~700 KB: streamed, one COPY each

let proxy: LatencyProxy;
let url: string;
let sources: { songs: string; logs: string };
let records: number;
/** What the proxy saw, in order: each request's class, start or end, and when. */
const timeline: { cls: string; phase: 'start' | 'end'; prefix: string; at: number }[] = [];

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  useTestS3Credentials();
  const dir = mkdtempSync(join(tmpdir(), 'sparkify-latency-'));
  await generateSample({ outDir: dir, songs: SONGS, days: DAYS, users: 50, events: 6000, seed: 17 });
  const all = files(dir);
  // Every song object is one record; every non-blank line of a day object is one.
  records = all.reduce((n, f) => n + (f.includes(`${sep}song_data${sep}`) ? 1 : readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).length), 0);
  const s3 = testS3Client();
  const bucket = await createBucket(s3, 'latency');
  const limit = pLimit(16);
  await Promise.all(all.map((f) => limit(async () => s3.send(new PutObjectCommand({ Bucket: bucket, Key: relative(dir, f).split(sep).join('/'), Body: await readFile(f) })))));
  s3.destroy();
  url = await createDatabase('latency');
  sources = { songs: `s3://${bucket}/song_data`, logs: `s3://${bucket}/log_data` };
  proxy = await startLatencyProxy({
    upstream: s3Endpoint(),
    delayMs: 100,
    // Slow pages: a loader that waited for the whole listing would start its GETs after the last one.
    listDelayMs: 400,
    classify: (r) => (requestClass(r) === 'get' ? (r.key.startsWith('log_data/') ? 'get-large' : 'get-small') : requestClass(r)),
    observe: (r, phase, cls) => timeline.push({ cls, phase, prefix: r.query.get('prefix') ?? '', at: performance.now() }),
  });
}, 120_000);

afterAll(async () => {
  await proxy?.close();
});

describe('S3 latency, default settings', () => {
  it('keeps many small GETs in flight, large ones at most two, and loads while the listing goes on', async () => {
    const run = await etl({ target: url, ...sources, s3Endpoint: proxy.endpoint }, { reset: true });
    expect(run).toMatchObject({ status: 'ok', objects: { listed: SONGS + DAYS, loaded: SONGS + DAYS, failed: 0 }, records: { staged: records, rejected: 0 } });
    const small = proxy.counts.get('get-small')!;
    const large = proxy.counts.get('get-large')!;
    expect(small.total).toBe(SONGS);
    // 8 was the old fixed default: at 100 ms a GET, the limit must have grown past it.
    expect(small.peak, `peak small GETs in flight: ${small.peak}`).toBeGreaterThan(8);
    // Large objects are streamed into a COPY of their own, two transactions at a time, as before.
    expect(large.total).toBe(DAYS);
    expect(large.peak).toBeLessThanOrEqual(2);
    // The songs' listing had three pages; GETs began before the last of them was answered.
    const songPages = timeline.filter((e) => e.cls === 'list' && e.prefix.startsWith('song_data') && e.phase === 'end');
    expect(songPages).toHaveLength(3);
    const firstGet = timeline.find((e) => e.cls === 'get-small' && e.phase === 'start')!;
    expect(firstGet.at).toBeLessThan(songPages.at(-1)!.at);
    const getsBeforeLastPage = timeline.filter((e) => e.cls === 'get-small' && e.phase === 'start' && e.at < songPages.at(-1)!.at).length;
    expect(getsBeforeLastPage).toBeGreaterThan(0);
  });

  it('never passes an explicit --concurrency', async () => {
    proxy.delayMs = 5;
    proxy.resetCounts();
    const run = await etl({ target: url, ...sources, s3Endpoint: proxy.endpoint, concurrency: '4', fullRefresh: true });
    expect(run).toMatchObject({ status: 'ok', objects: { loaded: SONGS + DAYS }, records: { staged: records } });
    expect(proxy.counts.get('get-small')!.peak).toBeLessThanOrEqual(4);
    expect(proxy.counts.get('get-large')!.peak).toBeLessThanOrEqual(2);
  });
});
