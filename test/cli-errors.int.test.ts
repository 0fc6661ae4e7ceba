/**
 * Failures end with exit code 1 (2 for usage) and one clear line naming what
 * failed — never a stack trace, never a password.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBucket, createDatabase, pgAdminUrl, SAMPLE_DIR, testS3Client } from './support/services.ts';
import { json, runCli, s3Flags, type CliResult } from './support/cli.ts';

const PASSWORD = 'Sup3r-Secret-Pa55';
const SECRET_KEY = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';

function expectOneCleanLine(r: CliResult, pattern: RegExp): void {
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  expect(errors, r.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  for (const secret of [PASSWORD, SECRET_KEY]) {
    expect(r.stderr).not.toContain(secret);
    expect(r.stdout).not.toContain(secret);
  }
}

describe('failures the user can act on', () => {
  it('an unreachable database', async () => {
    const r = await runCli(['run', '--target', `postgres://loader:${PASSWORD}@127.0.0.1:1/dwh`, '--logs', SAMPLE_DIR + 'log_data']);
    expect(r.code).toBe(1);
    expectOneCleanLine(r, /^error: cannot connect to postgres:\/\/loader@127\.0\.0\.1:1\/dwh: connection refused/);
  });

  it('a wrong database password', async () => {
    const url = new URL(await createDatabase('badpw'));
    url.password = PASSWORD;
    const r = await runCli(['run', '--target', url.toString(), '--logs', SAMPLE_DIR + 'log_data', '--json']);
    expect(r.code).toBe(1);
    expectOneCleanLine(r, /authentication failed/);
    expect(json(r)).toMatchObject({ status: 'failed', error: expect.stringMatching(/authentication failed/) });
    // Even a run that never started says what it did (nothing) and how long it took (SPEC §8).
    expect(json(r)).toMatchObject({ objects: { listed: 0, loaded: 0, skipped: 0, failed: 0 }, records: { staged: 0, rejected: 0 }, tables: {} });
    expect(json(r).durationMs).toEqual(expect.any(Number));
  });

  it('a missing bucket', async () => {
    const url = await createDatabase('nobucket');
    const r = await runCli(['run', '--target', url, '--logs', 's3://no-such-bucket-here/log_data', ...s3Flags()], {
      env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' },
    });
    expect(r.code).toBe(1);
    expectOneCleanLine(r, /cannot list s3:\/\/no-such-bucket-here\/log_data: the bucket does not exist/);
  });

  it('bad S3 credentials', async () => {
    const s3 = testS3Client();
    const bucket = await createBucket(s3, 'creds');
    s3.destroy();
    const url = await createDatabase('badcreds');
    const r = await runCli(['run', '--target', url, '--logs', `s3://${bucket}/log_data`, ...s3Flags()], {
      // s3rver checks access key ids but not SigV4 signatures: an unknown key is what it can refuse.
      env: { AWS_ACCESS_KEY_ID: 'AKIAUNKNOWNKEY000000', AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_REGION: 'us-east-1' },
    });
    expect(r.code).toBe(1);
    expectOneCleanLine(r, /S3 refused the credentials \(InvalidAccessKeyId\)/);
  });

  it('a malformed dwh.cfg', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparkify-cfg-'));
    writeFileSync(join(dir, 'dwh.cfg'), `[CLUSTER]\nHOST = localhost\nDB_PASSWORD = ${PASSWORD}\nDB_PORT 5432\n`);
    const r = await runCli(['run'], { cwd: dir });
    expect(r.code).toBe(1);
    expectOneCleanLine(r, /^error: dwh\.cfg:4: expected KEY = value or \[SECTION\], got a line starting "DB_PORT"/);
  });

  it('no source configured', async () => {
    const url = await createDatabase('nosource');
    const r = await runCli(['run', '--target', url]);
    expect(r.code).toBe(2);
    expectOneCleanLine(r, /no source to load/);
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['etl', '--concurrency', 'lots'])).code).toBe(2);
    expect((await runCli(['etl', '--no-such-flag'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['etl', '--target', 'mysql://x/y'])).code).toBe(2);
    const help = await runCli(['etl', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--full-refresh');
  });

  it('the admin URL works (guards the test above from passing for the wrong reason)', () => {
    expect(pgAdminUrl()).toMatch(/^postgres:\/\//);
  });
});
