/**
 * One fault at a time, where the big seeded run could hide which layer
 * coped: a stalled body is ended by `--timeout`, a broken listing page is
 * read again, a warehouse that accepts connections but never answers is
 * given up after `--timeout`, and an object whose faults outlast `--retries`
 * fails the run (exit 1, naming the object) while the others load and the
 * next run finishes the job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createBucket, createDatabase, pgAdminUrl, s3Endpoint, testS3Client, uploadDirectory } from '../support/services.ts';
import { json, runCli, s3Env, type CliResult } from '../support/cli.ts';
import { startPgFaultProxy } from './pg-fault-proxy.ts';
import { startS3FaultProxy, type S3FaultProxy, type S3Request } from './s3-fault-proxy.ts';
import type { S3Fault } from './schedule.ts';

let bucket: string;
const proxies: S3FaultProxy[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparkify-single-faults-'));
  mkdirSync(join(dir, 'log_data', '2018', '11'), { recursive: true });
  mkdirSync(join(dir, 'song_data', 'A', 'B'), { recursive: true });
  for (let day = 1; day <= 3; day++) {
    const lines = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ auth: 'Logged In', itemInSession: i, page: 'NextSong', sessionId: day, ts: Date.UTC(2018, 10, day) + i, userId: String(i % 7 + 1), level: 'free', song: `S${i}`, artist: `A${i}`, length: 100 + i }),
    );
    writeFileSync(join(dir, 'log_data', '2018', '11', `2018-11-0${day}-events.json`), `${lines.join('\n')}\n`);
  }
  for (let i = 1; i <= 3; i++) {
    writeFileSync(join(dir, 'song_data', 'A', 'B', `TRAB${i}.json`), JSON.stringify({ num_songs: 1, artist_id: `AR${i}`, artist_name: `A${i}`, song_id: `SO${i}`, title: `S${i}`, duration: 100 + i, year: 2000 }));
  }
  const s3 = testS3Client();
  bucket = await createBucket(s3, 'single-faults');
  await uploadDirectory(s3, bucket, '', dir);
  s3.destroy();
});

afterAll(async () => {
  for (const p of proxies) await p.close();
});

/** Faults by request: `plan(req, n)` gets the n-th (0-based) request for that key or listing. */
async function proxy(plan: (req: S3Request, n: number) => S3Fault | undefined): Promise<S3FaultProxy> {
  const seen = new Map<string, number>();
  const p = await startS3FaultProxy({
    upstream: s3Endpoint(),
    decide: (req) => {
      const id = req.key || `list:${req.query.get('prefix')}`;
      const n = seen.get(id) ?? 0;
      seen.set(id, n + 1);
      const kind = plan(req, n);
      return kind && { kind, at: 0.5 };
    },
  });
  proxies.push(p);
  return p;
}

function load(target: string, p: S3FaultProxy, extra: string[] = []): Promise<CliResult> {
  return runCli(
    ['run', '--target', target, '--songs', `s3://${bucket}/song_data`, '--logs', `s3://${bucket}/log_data`, '--s3-endpoint', p.endpoint, '--s3-path-style', '--json', ...extra],
    { env: s3Env(), timeoutMs: 60_000 },
  );
}

const DAY2 = 'log_data/2018/11/2018-11-02-events.json';

describe('single faults', () => {
  it('a stalled body is ended by --timeout and the object read again', async () => {
    const target = await createDatabase('stall');
    const p = await proxy((req, n) => (req.key === DAY2 && n === 0 ? 'stall' : undefined));
    const started = Date.now();
    const r = await load(target, p, ['--timeout', '2']);
    const seconds = (Date.now() - started) / 1000;
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ status: 'ok', records: { staged: 153 } });
    expect(r.stderr).toMatch(new RegExp(`${DAY2}: .*timed out after 2000 ms`));
    // Ended by the 2 s timeout, not by the 60 s default.
    expect(seconds).toBeLessThan(20);
  });

  it('a listing page cut in the middle of its body is read again', async () => {
    const target = await createDatabase('listing');
    for (const kind of ['reset-mid-body', 'stall'] as const) {
      const p = await proxy((req, n) => (!req.key && req.query.get('prefix') === 'log_data' && n === 0 ? kind : undefined));
      const r = await load(target, p, ['--timeout', '2', '--full-refresh']);
      expect(r.code, `${kind}: ${r.stderr}`).toBe(0);
      expect(json(r), kind).toMatchObject({ status: 'ok', objects: { listed: 6, loaded: 6 } });
    }
  });

  it('a warehouse that accepts the connection but never answers is given up after --timeout', async () => {
    const target = await createDatabase('silent_pg');
    const silent = await startPgFaultProxy({ upstreamUrl: target, adminUrl: pgAdminUrl() });
    silent.freeze();
    try {
      const started = Date.now();
      const r = await runCli(['run', '--target', silent.url(), '--logs', `s3://${bucket}/log_data`, '--s3-endpoint', s3Endpoint(), '--s3-path-style', '--timeout', '2'], { env: s3Env(), timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.trim()).toMatch(/^error: cannot connect to .*127\.0\.0\.1:\d+\/t_silent_pg_\w+: timed out$/);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await silent.close();
    }
  });

  it('an object whose faults outlast --retries fails the run, names the object, and loads next time', async () => {
    const target = await createDatabase('budget');
    // Three mid-body resets: more than the 1 + 1 attempts of --retries 1.
    const p = await proxy((req, n) => (req.key === DAY2 && n < 3 ? 'reset-mid-body' : undefined));
    const r = await load(target, p, ['--retries', '1']);
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({ status: 'failed', objects: { listed: 6, loaded: 5, failed: 1 } });
    expect(r.stderr).toMatch(new RegExp(`^error: ${DAY2}: .*(aborted|ECONNRESET)`, 'm'));
    const again = await load(target, p, ['--retries', '1']);
    expect(again.code, again.stderr).toBe(0);
    expect(json(again)).toMatchObject({ status: 'ok', objects: { loaded: 1, skipped: 5 }, tables: { stg_events: 150, stg_songs: 3 } });
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    const runs = (await client.query(`SELECT status, objects_failed FROM etl_runs ORDER BY run_id`)).rows;
    await client.end();
    expect(runs).toEqual([
      { status: 'failed', objects_failed: expect.anything() },
      { status: 'ok', objects_failed: expect.anything() },
    ]);
    expect(runs.map((x) => Number(x.objects_failed))).toEqual([1, 0]);
  });
});
