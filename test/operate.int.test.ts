/**
 * What users of dlt, Sling, Airbyte and the AWS CLI expect (issue #16),
 * through the built CLI: doctor, rejects, --profile, --wait, --log-format json,
 * a closed output pipe, no raw library errors. (The report's footnote on the real
 * sample is checked in sample-load.int.test.ts, which loads it anyway.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateSample } from '../src/generate/index.ts';
import { acquireRunLock } from '../src/warehouse/lock.ts';
import { spawnCli, json, runCli, s3Env, s3Flags } from './support/cli.ts';
import { withWarehouse } from './support/in-process.ts';
import { createBucket, createDatabase, S3_TEST_CREDENTIALS, testS3Client, uploadDirectory } from './support/services.ts';

let url: string;
let sample: string;
let client: pg.Client;
let bucket: string;

beforeAll(async () => {
  url = await createDatabase('operate');
  sample = mkdtempSync(join(tmpdir(), 'sparkify-operate-'));
  await generateSample({ outDir: sample, songs: 20, days: 3, users: 10, seed: 61, startDate: '2018-11-01' });
  // One bad line, for the rejects.
  writeFileSync(join(sample, 'log_data', '2018', '11', '2018-11-04-events.json'), '{"ts":1541289600000,"sessionId":5,"itemInSession":"two","page":"Home","userId":""}\n{"ts":1541289600001,"sessionId":5,"itemInSession":3,"page":"Home","userId":""}\n');
  const s3 = testS3Client();
  bucket = await createBucket(s3, 'operate');
  await uploadDirectory(s3, bucket, '', sample);
  s3.destroy();
  client = new pg.Client({ connectionString: url });
  await client.connect();
  return () => client.end();
});

const logs = () => join(sample, 'log_data');
const songs = () => join(sample, 'song_data');

describe('sparkify rejects', () => {
  it('lists rejects by object and reason, with raw text on request, and drops old ones with --rejects-retention', async () => {
    const load = await runCli(['run', '--target', url, '--schema', 'rj', '--logs', logs(), '--max-errors', '5', '--json']);
    expect(load.code, load.stderr).toBe(0);
    const all = await runCli(['rejects', '--target', url, '--schema', 'rj', '--json']);
    expect(all.code, all.stderr).toBe(0);
    expect(json(all)).toMatchObject({ total: 1, rejects: [{ sourceKey: 'log_data/2018/11/2018-11-04-events.json', sourceLine: 1, field: 'itemInSession', reason: expect.stringContaining('itemInSession') }] });
    const text = await runCli(['rejects', '--target', url, '--schema', 'rj', '--object', '2018-11-04', '--reason', 'MUST BE AN INTEGER']);
    expect(text.stdout).toMatch(/^1 of 1 reject\(s\), newest first\n {2}object +line +field +reason/);
    expect(text.stdout).toContain('log_data/2018/11/2018-11-04-events.json');
    const raw = await runCli(['rejects', '--target', url, '--schema', 'rj', '--raw']);
    expect(raw.stdout).toContain('{"ts":1541289600000,"sessionId":5,"itemInSession":"two","page":"Home","userId":""}');
    const none = await runCli(['rejects', '--target', url, '--schema', 'rj', '--reason', 'no such reason']);
    expect(none.stdout.trim()).toBe('no rejects match');

    // Retention: a reject recorded 40 days ago goes, today's stays.
    await client.query(`INSERT INTO rj.etl_rejects (dataset, source_key, source_line, field, reason, raw_text, raw_escaped, raw_truncated, rejected_at)
      VALUES ('events', 'log_data/old.json', 1, 'ts', 'old', '{}', false, false, now() - interval '40 days')`);
    const kept = await runCli(['etl', '--target', url, '--schema', 'rj', '--logs', logs(), '--max-errors', '5', '--rejects-retention', '30']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stderr).toContain('deleted 1 reject(s) older than 30 days (rejects retention)');
    expect((await client.query(`SELECT source_key FROM rj.etl_rejects`)).rows.map((r) => r.source_key)).toEqual(['log_data/2018/11/2018-11-04-events.json']);
  });
});

describe('sparkify doctor', () => {
  it('prints PASS for each configured part, and FAIL with the fix when something is wrong', async () => {
    const fresh = await createDatabase('doctor');
    const before = await runCli(['doctor', '--target', fresh, '--songs', `s3://${bucket}/song_data`, '--logs', `s3://${bucket}/log_data`, ...s3Flags()], { env: s3Env() });
    expect(before.code, before.stdout + before.stderr).toBe(1); // no tables yet
    const lines = before.stdout.split('\n').filter((l) => /^(PASS|FAIL)/.test(l));
    expect(lines.map((l) => l.replace(/ — .*/, ''))).toEqual([
      'PASS warehouse reachable',
      'PASS warehouse writable',
      'PASS schema',
      'FAIL tables',
      'PASS AWS credentials',
      `PASS songs: list s3://${bucket}/song_data`,
      'PASS songs: read one object',
      `PASS logs: list s3://${bucket}/log_data`,
      'PASS logs: read one object',
    ]);
    expect(before.stdout).toContain('     fix: run `sparkify create-tables`, or `sparkify run`, which creates them');
    expect((await runCli(['create-tables', '--target', fresh])).code).toBe(0);
    const after = await runCli(['doctor', '--target', fresh, '--songs', `s3://${bucket}/song_data`, '--logs', `s3://${bucket}/log_data`, ...s3Flags(), '--json'], { env: s3Env() });
    expect(after.code, after.stdout).toBe(0);
    expect(json(after).checks.every((c: { ok: boolean }) => c.ok)).toBe(true);

    const wrong = await runCli(['doctor', '--target', fresh, '--logs', `s3://${bucket}-nope/log_data`, ...s3Flags()], { env: s3Env() });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(new RegExp(`^FAIL logs: list s3://${bucket}-nope/log_data — cannot list s3://${bucket}-nope/log_data: the bucket does not exist\\n {5}fix: check the bucket name and the region/endpoint$`, 'm'));
  });
});

describe('AWS profiles', () => {
  it('--profile reads the shared credentials file, and an unknown profile is one clear error', async () => {
    const home = mkdtempSync(join(tmpdir(), 'sparkify-home-'));
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'credentials'), `[sparkify-test]\naws_access_key_id = ${S3_TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${S3_TEST_CREDENTIALS.secretAccessKey}\n`);
    const env = { HOME: home, AWS_REGION: 'us-east-1' };
    const ok = await runCli(['run', '--target', url, '--schema', 'prof', '--logs', `s3://${bucket}/log_data`, ...s3Flags(), '--profile', 'sparkify-test', '--max-errors', '5', '--json'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok).objects.loaded).toBe(4);
    const missing = await runCli(['etl', '--target', url, '--schema', 'prof', '--logs', `s3://${bucket}/log_data`, ...s3Flags(), '--profile', 'nope'], { env });
    expect(missing.code).toBe(1);
    const errors = missing.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/cannot list s3:\/\/\S+: .*(profile|credentials)/i);
  });
});

describe('--wait for the run lock', () => {
  it('waits for a run that holds the lock, and gives up after the time given', async () => {
    expect((await runCli(['create-tables', '--target', url, '--schema', 'wt'])).code).toBe(0);
    await withWarehouse({ target: url, schema: 'wt' }, async (wh) => {
      const lock = await acquireRunLock(wh, { host: 'other-host', pid: 1 });
      const waiting = runCli(['etl', '--target', url, '--schema', 'wt', '--logs', logs(), '--max-errors', '5', '--wait', '20']);
      const short = await runCli(['etl', '--target', url, '--schema', 'wt', '--logs', logs(), '--wait', '1']);
      expect(short.code).toBe(1);
      expect(short.stderr).toMatch(/another sparkify run holds the lock on schema wt.* \(waited 1 s\)/);
      await lock.release();
      const r = await waiting;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/another sparkify run holds the lock on schema wt[^\n]*; waiting up to 20 s for it \(--wait\)/);
    });
  });
});

describe('logs for machines, and output nobody reads', () => {
  it('--log-format json: one object per stderr line with time, level, run id, event and fields; --json has checksMs', async () => {
    const r = await runCli(['run', '--target', url, '--schema', 'lj', '--logs', logs(), '--songs', songs(), '--max-errors', '5', '--log-format', 'json', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
    for (const l of lines) expect(Object.keys(l).slice(0, 5)).toEqual(['time', 'level', 'runId', 'event', 'message']);
    const runId = json(r).runId;
    expect(lines.find((l) => l.event === 'listed' && l.source.endsWith('log_data'))).toMatchObject({ level: 'info', runId, objects: 4, excluded: 0 });
    expect(lines.find((l) => l.event === 'plan')).toMatchObject({ runId, load: 24 });
    expect(lines.some((l) => l.level === 'warn' && l.message.includes('itemInSession'))).toBe(true);
    expect(json(r).timings).toMatchObject({ listMs: expect.any(Number), stageMs: expect.any(Number), modelMs: expect.any(Number), checksMs: expect.any(Number) });
    const failed = await runCli(['etl', '--target', url, '--schema', 'lj', '--logs', '/nonexistent/folder', '--log-format', 'json']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stderr.trim().split('\n').at(-1)!)).toMatchObject({ level: 'error', event: 'failed', message: expect.stringContaining('/nonexistent/folder does not exist') });
  });

  it('a closed stdout and stderr never stop a load: `sparkify etl … 2>&1 | head -1`', async () => {
    expect((await runCli(['create-tables', '--target', url, '--schema', 'pipe'])).code).toBe(0);
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawnCli(['etl', '--target', url, '--schema', 'pipe', '--logs', logs(), '--songs', songs(), '--max-errors', '5']);
      // `head -1`: read the first chunk, then close both pipes.
      child.stderr.once('data', () => {
        child.stderr.destroy();
        child.stdout.destroy();
      });
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    expect(code).toBe(0);
    const { rows } = await client.query(`SELECT status FROM pipe.etl_runs ORDER BY run_id DESC LIMIT 1`);
    expect(rows[0].status).toBe('ok');
    expect(Number((await client.query('SELECT COUNT(*) AS n FROM pipe.etl_objects')).rows[0].n)).toBe(24);
  });
});

describe('no raw library error reaches the user', () => {
  it('a report folder that does not exist', async () => {
    expect((await runCli(['create-tables', '--target', url, '--schema', 'rp'])).code).toBe(0);
    const report = await runCli(['report', '--target', url, '--schema', 'rp', '--html', '/nonexistent/folder/report.html']);
    expect(report.code).toBe(1);
    expect(report.stderr.trim()).toBe('error: cannot write the report to /nonexistent/folder/report.html: the folder /nonexistent/folder does not exist (create the folder first, or give another path)');
  });
});
