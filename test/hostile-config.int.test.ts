/**
 * Hostile configuration: an IAM role ARN, a bucket name, a staging prefix,
 * a JSONPaths URL, a region and a schema carrying `'; DROP TABLE users;--`
 * (and a `"` for the schema). Each is either refused with one clear line
 * (exit 1 or 2, naming the setting) or, for the schema, quoted so that the
 * statement is safe: the tables land in a schema of exactly that name. In
 * every case the tables of the default schema of the same database (where
 * an unqualified `DROP TABLE users` would strike) are intact afterwards.
 * The ARN, staging prefix and JSONPaths file only reach SQL on Redshift:
 * those cases run against the Redshift stand-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateSample } from '../src/generate/index.ts';
import { startRedshiftStandin, type RedshiftStandin } from './redshift-standin/index.ts';
import { createBucket, createDatabase, S3_TEST_CREDENTIALS, s3Endpoint, testS3Client, uploadDirectory } from './support/services.ts';
import { json, runCli, s3Env, s3Flags, type CliResult } from './support/cli.ts';
import { starTables } from './support/star-tables.ts';

const INJECTION = `'; DROP TABLE users;--`;
const HOSTILE_SCHEMA = `x${INJECTION}"`;
const ROLE = 'arn:aws:iam::123456789012:role/sparkifyRedshiftRole';

let bucket: string;
let stagingBucket: string;
let pgUrl: string;
let upstreamUrl: string;
let standin: RedshiftStandin;
let redshiftTarget: string;
const snapshots = new Map<string, Snapshot>();

interface Snapshot {
  tables: string[];
  rows: Record<string, unknown[]>;
  bookkeeping: Record<string, unknown[]>;
}

/** Everything in the default schema: which tables exist, every star and staging row, the bookkeeping rows. */
async function snapshot(url: string): Promise<Snapshot> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = (await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`)).rows.map((r) => r.table_name as string);
    const rows = await starTables(client, 'public');
    const bookkeeping: Record<string, unknown[]> = {};
    for (const t of ['etl_objects', 'etl_runs', 'etl_rejects']) bookkeeping[t] = (await client.query({ text: `SELECT * FROM public.${t} ORDER BY 1`, rowMode: 'array' })).rows;
    return { tables, rows, bookkeeping };
  } finally {
    await client.end();
  }
}

async function expectIntact(url: string, label: string): Promise<void> {
  const now = await snapshot(url);
  const before = snapshots.get(url)!;
  expect(now.tables, `${label}: tables of the default schema`).toEqual(before.tables);
  expect(now.tables).toContain('users');
  expect(now.rows, `${label}: rows of the default schema`).toEqual(before.rows);
  expect(now.bookkeeping, `${label}: bookkeeping of the default schema`).toEqual(before.bookkeeping);
}

/** A refusal: exit 1 or 2, exactly one line on stderr, naming what was refused, no stack trace. */
function expectRefusal(r: CliResult, code: 1 | 2, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stdout).toBe('');
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparkify-hostile-config-'));
  await generateSample({ outDir: dir, songs: 30, days: 3, users: 20, seed: 9 });
  const s3 = testS3Client();
  bucket = await createBucket(s3, 'hostile-config');
  stagingBucket = await createBucket(s3, 'hostile-staging');
  await uploadDirectory(s3, bucket, '', dir);
  s3.destroy();

  // Victims: a full load in the default schema of each database.
  pgUrl = await createDatabase('hostile_config');
  upstreamUrl = await createDatabase('hostile_config_rs');
  for (const url of [pgUrl, upstreamUrl]) {
    const r = await runCli(['run', '--target', url, ...sources()], { env: s3Env() });
    expect(r.code, r.stderr).toBe(0);
    snapshots.set(url, await snapshot(url));
    expect(snapshots.get(url)!.rows.users.length).toBeGreaterThan(0);
  }
  standin = await startRedshiftStandin({ upstreamUrl, s3: { endpoint: s3Endpoint(), region: 'us-east-1', credentials: S3_TEST_CREDENTIALS } });
  redshiftTarget = `${standin.url()}?sslmode=disable`;
}, 120_000);

afterAll(async () => {
  await standin?.close();
});

function sources(): string[] {
  return ['--songs', `s3://${bucket}/song_data`, '--logs', `s3://${bucket}/log_data`, ...s3Flags()];
}

function redshift(over: { role?: string; staging?: string; mode?: string; jsonPaths?: string } = {}): string[] {
  return [
    '--target', redshiftTarget, '--schema', 'hostile',
    '--iam-role', over.role ?? ROLE, '--staging-prefix', over.staging ?? `s3://${stagingBucket}/tmp`,
    '--redshift-mode', over.mode ?? 'stage', ...(over.jsonPaths ? ['--json-paths', over.jsonPaths] : []),
  ];
}

describe('hostile configuration', () => {
  it('an IAM role ARN with SQL in it is refused before any COPY', async () => {
    for (const mode of ['stage', 'direct']) {
      const r = await runCli(['run', ...redshift({ role: `${ROLE}${INJECTION}`, mode }), ...sources()], { env: s3Env() });
      expectRefusal(r, 1, /IAM role .* is not an IAM role ARN/);
      await expectIntact(upstreamUrl, `IAM role, ${mode} mode`);
    }
  });

  it('a bucket name with SQL in it is refused, on Postgres and on Redshift', async () => {
    const hostile = ['--songs', `s3://${bucket}${INJECTION}/song_data`, '--logs', `s3://${bucket}/log_data`, ...s3Flags()];
    const onPostgres = await runCli(['run', '--target', pgUrl, '--schema', 'hostile', ...hostile], { env: s3Env() });
    expectRefusal(onPostgres, 2, /is not a valid S3 bucket name/);
    await expectIntact(pgUrl, 'bucket on Postgres');
    for (const mode of ['stage', 'direct']) {
      const onRedshift = await runCli(['run', ...redshift({ mode }), ...hostile], { env: s3Env() });
      expectRefusal(onRedshift, 2, /is not a valid S3 bucket name/);
      await expectIntact(upstreamUrl, `bucket on Redshift, ${mode} mode`);
    }
    // The staging bucket too.
    const staging = await runCli(['run', ...redshift({ staging: `s3://${stagingBucket}${INJECTION}/tmp` }), ...sources()], { env: s3Env() });
    expectRefusal(staging, 1, /staging prefix .* must be s3:\/\/bucket\/prefix/);
    await expectIntact(upstreamUrl, 'staging bucket');
  });

  it('a staging prefix or a JSONPaths URL with SQL in it is refused', async () => {
    for (const mode of ['stage', 'direct']) {
      const r = await runCli(['run', ...redshift({ staging: `s3://${stagingBucket}/tmp${INJECTION}`, mode }), ...sources()], { env: s3Env() });
      expectRefusal(r, 1, /staging prefix .* may only use letters, digits/);
      await expectIntact(upstreamUrl, `staging prefix, ${mode} mode`);
    }
    const paths = await runCli(['run', ...redshift({ mode: 'direct', jsonPaths: `s3://${bucket}/log_json_path.json${INJECTION}` }), ...sources()], { env: s3Env() });
    expectRefusal(paths, 1, /JSONPaths file .* is not a plain s3:\/\/bucket\/key URL/);
    await expectIntact(upstreamUrl, 'JSONPaths file');
  });

  it('a region with SQL in it is refused, from a flag, the environment or dwh.cfg', async () => {
    const region = `us-west-2${INJECTION}`;
    const flag = await runCli(['run', ...redshift(), ...sources(), '--s3-region', region], { env: s3Env() });
    expectRefusal(flag, 1, /S3 region must look like us-west-2/);
    const env = await runCli(['run', ...redshift(), ...sources()], { env: { ...s3Env(), AWS_REGION: region } });
    expectRefusal(env, 1, /S3 region must look like us-west-2/);
    const dir = mkdtempSync(join(tmpdir(), 'sparkify-hostile-cfg-'));
    writeFileSync(join(dir, 'dwh.cfg'), `[S3]\nREGION = ${region}\n`);
    const cfg = await runCli(['run', '--target', pgUrl, '--schema', 'hostile', ...sources()], { env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }, cwd: dir });
    expectRefusal(cfg, 1, /S3 region must look like us-west-2/);
    await expectIntact(upstreamUrl, 'region on Redshift');
    await expectIntact(pgUrl, 'region on Postgres');
  });

  it('a schema with SQL and a double quote in it is quoted: the tables land in a schema of exactly that name', async () => {
    const onRedshift = ['--target', redshiftTarget, '--iam-role', ROLE, '--staging-prefix', `s3://${stagingBucket}/tmp`];
    // On Redshift the same data through the same path into a plain schema, for comparison (its
    // rejects differ from Postgres: strings that are exactly \N, SPEC §7).
    const plain = await runCli(['run', ...onRedshift, '--schema', 'plain', ...sources(), '--max-errors', '1000'], { env: s3Env() });
    expect(plain.code, plain.stderr).toBe(0);
    for (const [label, url, target, stored, compareWith] of [
      ['Postgres', pgUrl, ['--target', pgUrl], HOSTILE_SCHEMA, 'public'],
      // Redshift folds identifiers to lower case, quoted ones too.
      ['Redshift', upstreamUrl, onRedshift, HOSTILE_SCHEMA.toLowerCase(), 'plain'],
    ] as const) {
      const r = await runCli(['run', ...target, '--schema', HOSTILE_SCHEMA, ...sources(), '--max-errors', '1000', '--json'], { env: s3Env() });
      expect(r.code, `${label}: ${r.stderr}`).toBe(0);
      const summary = json(r);
      expect(summary.status).toBe('ok');
      await expectIntact(url, `schema on ${label}`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const tables = async (schema: string) => (await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schema])).rows.map((x) => x.table_name);
        expect(await tables(stored), label).toEqual(await tables(compareWith));
        expect(await tables(stored), label).toContain('users');
        // Row for row the same data as a load into a plain schema.
        const expected = await starTables(client, compareWith);
        expect(expected.users.length).toBeGreaterThan(0);
        expect(await starTables(client, stored.replaceAll('"', '""')), label).toEqual(expected);
        expect(summary.tables.users).toBe(expected.users.length);
      } finally {
        await client.end();
      }
      // And again, incrementally: nothing new, nothing changed.
      const again = await runCli(['etl', ...target, '--schema', HOSTILE_SCHEMA, ...sources(), '--max-errors', '1000', '--json'], { env: s3Env() });
      expect(again.code, `${label}: ${again.stderr}`).toBe(0);
      expect(json(again)).toMatchObject({ status: 'ok', objects: { loaded: 0 } });
      await expectIntact(url, `schema on ${label}, second run`);
    }
  });
});
