/**
 * The Redshift path end to end, through the Redshift stand-in (a test-only
 * server that speaks the Postgres protocol in front of the test Postgres and
 * behaves like Redshift: no COPY FROM STDIN, no ON CONFLICT, COPY from S3…).
 * The real sample is loaded from an S3 bucket in both modes; every SPEC §5
 * figure must come out, and the staging prefix must be empty afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { startRedshiftStandin, type RedshiftStandin } from './redshift-standin/index.ts';
import { createBucket, createDatabase, S3_TEST_CREDENTIALS, s3Endpoint, SAMPLE_DIR, testS3Client, uploadDirectory } from './support/services.ts';
import { json, runCli, s3Env, s3Flags } from './support/cli.ts';
import { expectReferenceFigures, REFERENCE_COUNTS } from './support/reference.ts';

const ROLE = 'arn:aws:iam::123456789012:role/sparkifyRedshiftRole';
let s3: S3Client;
let dataBucket: string;
let stagingBucket: string;
const standins: RedshiftStandin[] = [];

beforeAll(async () => {
  s3 = testS3Client();
  dataBucket = await createBucket(s3, 'udacity-dend');
  stagingBucket = await createBucket(s3, 'staging');
  await uploadDirectory(s3, dataBucket, '', SAMPLE_DIR);
});
afterAll(async () => {
  for (const s of standins) await s.close();
  s3.destroy();
});

/** A stand-in cluster in front of a fresh database; returns the loader's target URL and the upstream URL. */
async function cluster(label: string): Promise<{ target: string; upstream: string }> {
  const upstream = await createDatabase(label);
  const standin = await startRedshiftStandin({ upstreamUrl: upstream, s3: { endpoint: s3Endpoint(), region: 'us-east-1', credentials: S3_TEST_CREDENTIALS } });
  standins.push(standin);
  // The stand-in has no certificate worth verifying; a real cluster gets verify-full by default.
  return { target: `${standin.url()}?sslmode=disable`, upstream };
}

async function stagedKeys(prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: stagingBucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!);
}

const redshiftFlags = (target: string, prefix: string, mode: string) => [
  '--target', target, '--schema', 'dwh', '--iam-role', ROLE, '--staging-prefix', `s3://${stagingBucket}/${prefix}`, '--redshift-mode', mode,
  '--songs', `s3://${dataBucket}/song_data`, '--logs', `s3://${dataBucket}/log_data`, ...s3Flags(), '--json',
];

describe('sparkify doctor on Redshift', () => {
  it('checks the staging prefix and the IAM role too, and says what is wrong with them', async () => {
    const { target } = await cluster('redshift_doctor');
    const args = (role: string, staging: string) => ['doctor', '--target', target, '--schema', 'dwh', '--iam-role', role, '--staging-prefix', staging, '--logs', `s3://${dataBucket}/log_data`, ...s3Flags()];
    const ok = await runCli(args(ROLE, `s3://${stagingBucket}/doctor`), { env: s3Env() });
    expect(ok.stdout).toMatch(/^PASS IAM role — arn:aws:iam::123456789012:role\/sparkifyRedshiftRole is well formed/m);
    expect(ok.stdout).toMatch(new RegExp(`^PASS staging prefix — wrote and deleted an object under s3://${stagingBucket}/doctor$`, 'm'));
    expect(ok.stdout).toMatch(/^PASS warehouse writable/m);
    expect(await stagedKeys('doctor/')).toEqual([]);
    const bad = await runCli(args('not-an-arn', `s3://${stagingBucket}-missing/doctor`), { env: s3Env() });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL IAM role — /m);
    expect(bad.stdout).toMatch(/^FAIL staging prefix — cannot write s3:\/\/\S+-missing\/doctor\/\S+: the bucket does not exist/m);
  });
});

describe('Redshift', () => {
  for (const mode of ['stage', 'direct'] as const) {
    it(`${mode} mode loads the sample with every reference figure and leaves no staged file`, async () => {
      const { target, upstream } = await cluster(`redshift_${mode}`);
      const r = await runCli(['run', ...redshiftFlags(target, `tmp/${mode}`, mode)], { env: s3Env() });
      expect(r.code, r.stderr).toBe(0);
      expect(json(r)).toMatchObject({ status: 'ok', objects: { listed: 101, loaded: 101, failed: 0 }, records: { staged: 8127, rejected: 0 }, tables: REFERENCE_COUNTS });
      await expectReferenceFigures(upstream, 'dwh');
      expect(await stagedKeys(`tmp/${mode}/`)).toEqual([]);

      // Incremental on Redshift too: nothing new, nothing staged.
      const again = await runCli(['etl', ...redshiftFlags(target, `tmp/${mode}`, mode)], { env: s3Env() });
      expect(json(again)).toMatchObject({ status: 'ok', objects: { loaded: 0, skipped: 101 }, records: { staged: 0 }, tables: REFERENCE_COUNTS });
    });
  }

  it('created the tables with Redshift DDL (distribution and sort keys are accepted only by Redshift)', async () => {
    const { target, upstream } = await cluster('redshift_ddl');
    expect((await runCli(['create-tables', '--target', target, '--schema', 'dwh'])).code).toBe(0);
    const client = new pg.Client({ connectionString: upstream });
    await client.connect();
    const cols = await client.query(`SELECT column_name, data_type, character_maximum_length FROM information_schema.columns WHERE table_schema = 'dwh' AND table_name = 'stg_events' ORDER BY ordinal_position`);
    await client.end();
    // TEXT would be VARCHAR(256) on Redshift: every string column has an explicit width.
    expect(cols.rows.filter((c) => c.data_type === 'text')).toEqual([]);
  });

  it('cannot silently use Postgres-only features: the stand-in refuses COPY FROM STDIN and ON CONFLICT', async () => {
    const { target } = await cluster('redshift_refusals');
    const client = new pg.Client({ connectionString: target.replace(/^redshift:/, 'postgres:') });
    await client.connect();
    await client.query('CREATE TABLE t (a INTEGER PRIMARY KEY, b VARCHAR(10))');
    await expect(client.query('COPY t FROM STDIN')).rejects.toMatchObject({ code: '42601', message: expect.stringMatching(/syntax error at or near "STDIN"/) });
    await expect(client.query('INSERT INTO t VALUES (1, $1) ON CONFLICT (a) DO NOTHING', ['x'])).rejects.toMatchObject({ code: '42601' });
    await expect(client.query('SELECT DISTINCT ON (a) a FROM t')).rejects.toMatchObject({ message: expect.stringMatching(/DISTINCT ON is not supported/) });
    expect((await client.query('SELECT COUNT(*) AS n FROM t')).rows[0].n).toBe('0');
    await client.end();
  });

  it('validates Redshift limits instead of applying them: too wide or \\N strings are rejects there, not on Postgres', async () => {
    const { target, upstream } = await cluster('redshift_limits');
    const event = (i: number, over: Record<string, unknown>) =>
      JSON.stringify({ auth: 'Logged In', itemInSession: i, page: 'NextSong', sessionId: 1, ts: 1541105830796 + i, userId: '5', level: 'free', ...over });
    const lines = [event(0, {}), event(1, { gender: 'x'.repeat(17) }), event(2, { song: '\\N' }), event(3, { userAgent: 'é'.repeat(600) }), event(4, { song: 'ok\\N' })].join('\n');
    const bucket = await createBucket(s3, 'limits');
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'log_data/2018/11/2018-11-01-events.json', Body: lines }));
    const base = ['--iam-role', ROLE, '--staging-prefix', `s3://${stagingBucket}/tmp/limits`, '--logs', `s3://${bucket}/log_data`, ...s3Flags(), '--json'];
    const onRedshift = await runCli(['run', '--target', target, ...base], { env: s3Env() });
    expect(onRedshift.code, onRedshift.stderr).toBe(3);
    expect(json(onRedshift).records).toEqual({ staged: 2, rejected: 3 });
    const client = new pg.Client({ connectionString: upstream });
    await client.connect();
    const rejects = (await client.query(`SELECT source_line::int AS line, field, reason FROM etl_rejects ORDER BY source_line`)).rows;
    await client.end();
    expect(rejects).toEqual([
      { line: 2, field: 'gender', reason: 'field "gender" is 17 bytes of UTF-8, wider than its VARCHAR(16) column' },
      { line: 3, field: 'song', reason: expect.stringMatching(/^field "song" is exactly "\\\\N", the CSV NULL marker/) },
      { line: 4, field: 'userAgent', reason: 'field "userAgent" is 1200 bytes of UTF-8, wider than its VARCHAR(1024) column' },
    ]);
    const pgUrl = await createDatabase('limits_pg');
    const onPostgres = await runCli(['run', '--target', pgUrl, '--logs', `s3://${bucket}/log_data`, ...s3Flags(), '--json'], { env: s3Env() });
    expect(json(onPostgres).records).toEqual({ staged: 5, rejected: 0 });
  });

  it('keeps a ts no TIMESTAMP holds (and a user id no INTEGER holds) out of staging in both modes, so the model step runs (issue #15)', async () => {
    const event = (i: number, over: Record<string, unknown>) => JSON.stringify({ auth: 'Logged In', itemInSession: i, page: 'NextSong', sessionId: 1, ts: 1541105830796 + i, userId: '5', level: 'free', ...over });
    const lines = [event(0, {}), event(1, {}).replace('"ts":1541105830797', '"ts":9223372036854775807'), event(2, { userId: 'x1' }), event(3, { ts: 253402300799999 })].join('\n');
    const bucket = await createBucket(s3, 'poison');
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'log_data/2018/11/2018-11-01-events.json', Body: lines }));
    for (const mode of ['stage', 'direct'] as const) {
      const { target, upstream } = await cluster(`redshift_poison_${mode}`);
      const flags = ['--target', target, '--iam-role', ROLE, '--staging-prefix', `s3://${stagingBucket}/tmp/poison`, '--redshift-mode', mode, '--logs', `s3://${bucket}/log_data`, ...s3Flags(), '--json'];
      const r = await runCli(['run', ...flags], { env: s3Env() });
      expect(r.code, r.stderr).toBe(3);
      expect(json(r)).toMatchObject({ status: 'rejects', records: { staged: 2, rejected: 2 }, tables: { songplays: 2 } });
      const client = new pg.Client({ connectionString: upstream });
      await client.connect();
      const rejects = (await client.query(`SELECT field, reason FROM etl_rejects ORDER BY field DESC`)).rows;
      await client.end();
      expect(rejects).toEqual([
        { field: 'userId', reason: expect.stringMatching(/^field "userId" ("x1" is not "" or an integer in int32 range|must be "" or a string of digits, got the string "x1")/) },
        { field: 'ts', reason: expect.stringMatching(/^field "ts" 9223372036854775807 is not a time in years 0001–9999 UTC/) },
      ]);
      const again = await runCli(['etl', ...flags], { env: s3Env() });
      expect(json(again), again.stderr).toMatchObject({ status: 'ok', objects: { loaded: 0 } });
    }
  });

  it('refuses an IAM role that is not an ARN before touching the warehouse', async () => {
    const { target } = await cluster('redshift_badrole');
    const flags = redshiftFlags(target, 'tmp/badrole', 'stage').map((f) => (f === ROLE ? "arn:aws:iam::123456789012:role/x' DROP TABLE users;--" : f));
    const r = await runCli(['run', ...flags], { env: s3Env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not an IAM role ARN/);
  });
});

