/**
 * Fault injection: one seeded run of at least 200 faults while loading a
 * generated data set through two proxies — S3 answering 503 SlowDown and 500
 * InternalError, resetting connections before a response and in the middle
 * of a body, and stalling bodies (only `--timeout` ends those); Postgres
 * connections terminated in the middle of their COPY. Faults per key are
 * capped below the retry budget, so the data can always get through, but
 * only if the loader retries. Afterwards every staging and star table must
 * equal, row for row, a fault-free load of the same data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { pgAdminUrl, s3Endpoint } from '../support/services.ts';
import { json, runCli, s3Env } from '../support/cli.ts';
import { generatedBucket } from '../support/generated-bucket.ts';
import { starTables } from '../support/star-tables.ts';
import { diffTables } from './compare.ts';
import { startPgFaultProxy, type PgFaultProxy } from './pg-fault-proxy.ts';
import { startS3FaultProxy, type S3FaultProxy } from './s3-fault-proxy.ts';
import { FaultSchedule } from './schedule.ts';

const SEED = 20181101;
/**
 * Loader attempts per unit of work are RETRIES + 1. An object gets at most
 * S3_CAP faults from S3 and PG_CAP kills of the COPYs it leads: always fewer
 * than its attempts, and more than any one attempt survives without a retry.
 */
const RETRIES = 6;
const S3_CAP = 4;
const PG_CAP = 2;

let url: string;
let bucket: string;
let client: pg.Client;
let reference: Record<string, unknown[]>;
let referenceObjects: unknown[];
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  // 400 song objects (read whole, committed in a batch) and 20 day objects of
  // ~400 KB (streamed, one COPY each): both staging paths are under fire.
  ({ url, bucket, client, reference } = await generatedBucket('faults', { songs: 400, days: 20, users: 120, events: 24_000, seed: 5 }));
  referenceObjects = await objects('reference');
}, 120_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await client?.end();
});

async function objects(schema: string): Promise<unknown[]> {
  return (await client.query(`SELECT source_key, dataset, fingerprint, rows_staged, rejects FROM "${schema}".etl_objects ORDER BY source_key`)).rows;
}

describe('faults injected while loading', () => {
  it('survives ≥ 200 seeded S3 and Postgres faults with no row lost or duplicated', async () => {
    const schedule = new FaultSchedule({ seed: SEED, s3: { rate: 0.5, capPerKey: S3_CAP, weights: { stall: 0.5 } }, pg: { rate: 0.7, capPerKey: PG_CAP } });
    const listed = new Map<string, number>();
    const keyOf = (r: { key: string; query: URLSearchParams }) => (r.key ? r.key : `list:${r.query.get('prefix')}:${r.query.get('continuation-token') ?? ''}`);
    const s3: S3FaultProxy = await startS3FaultProxy({
      upstream: s3Endpoint(),
      decide: (r) => {
        const key = keyOf(r);
        if (r.key) return schedule.s3(key);
        // Listings are retried by the S3 SDK alone (a failed listing fails the
        // run): one fault at most per page, which its retries must absorb.
        if ((listed.get(key) ?? 0) >= 1) return undefined;
        return schedule.s3(key);
      },
      onFault: (kind, r) => {
        const key = keyOf(r);
        if (!r.key) listed.set(key, (listed.get(key) ?? 0) + 1);
        schedule.injected(kind, key);
      },
    });
    closers.push(() => s3.close());
    const pgProxy: PgFaultProxy = await startPgFaultProxy({
      upstreamUrl: url,
      adminUrl: pgAdminUrl(),
      killAfter: (key) => schedule.pgKillAfter(key),
      onKill: (key) => schedule.injected('pg-terminate', key),
    });
    closers.push(() => pgProxy.close());

    const started = Date.now();
    const r = await runCli(
      [
        'run', '--target', pgProxy.url(), '--schema', 'faulted',
        '--songs', `s3://${bucket}/song_data`, '--logs', `s3://${bucket}/log_data`,
        '--s3-endpoint', s3.endpoint, '--s3-path-style',
        '--retries', String(RETRIES), '--timeout', '2', '--json',
      ],
      { env: s3Env(), timeoutMs: 85_000 },
    );
    const seconds = (Date.now() - started) / 1000;
    if (process.env.FAULTS_LOG) writeFileSync(process.env.FAULTS_LOG, `${r.stderr}\n--- stdout ---\n${r.stdout}`);

    const after = await starTables(client, 'faulted').catch(() => ({}) as Record<string, unknown[]>);
    const diff = diffTables(reference, after);
    const line = `faults injected: ${schedule.total} (by kind: ${schedule.describe()}); rows lost: ${diff.lost}; rows duplicated: ${diff.duplicated}`;
    console.log(line);

    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    const context = `run of ${seconds.toFixed(1)} s, exit ${r.code}; ${s3.requests.get} GETs, ${s3.requests.list} listings, ${pgProxy.copies} COPYs through the proxies`;
    expect(r.code, `${context}\n${r.code === null ? 'killed after 85 s: the load hung (a stall not ended by --timeout?)\n' : ''}${errors.join('\n')}\n…\n${r.stderr.slice(-1500)}`).toBe(0);
    expect(json(r)).toMatchObject({ status: 'ok', objects: { listed: 420, loaded: 420, failed: 0 } });
    expect(schedule.total).toBeGreaterThanOrEqual(200);
    for (const [kind, n] of Object.entries(schedule.counts)) expect(n, `${kind} faults injected`).toBeGreaterThan(0);
    expect(diff, JSON.stringify(diff.byTable)).toMatchObject({ lost: 0, duplicated: 0 });
    for (const table of Object.keys(reference)) expect(after[table], table).toEqual(reference[table]);
    expect(await objects('faulted')).toEqual(referenceObjects);
    // The retries are visible to whoever reads the log.
    expect(r.stderr).toMatch(/retrying in \d+ ms/);
    // …but not counted twice by the progress line: all bytes read, once.
    const last = [...r.stderr.matchAll(/^progress: 420\/420 objects, .*, ([\d.]+ MB) of ([\d.]+ MB)/gm)].at(-1);
    expect(last?.[1], 'bytes read, on the last progress line').toBe(last?.[2]);
  }, 110_000);
});
