/**
 * Signing in to Redshift: IAM temporary credentials (provisioned clusters and
 * Serverless workgroups, refreshed before they expire, also during a run),
 * against a stand-in of the credentials APIs that answers as AWS documents;
 * a clear message for SHA-256 passwords node-postgres cannot send; a TLS hint
 * when the certificate cannot match the host (VPC endpoints, custom DNS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/common/log.ts';
import { openWarehouse } from '../../src/warehouse/connect.ts';
import { TemporaryCredentials } from '../redshift-standin/cluster.ts';
import { startCredentialsApi, type CredentialsApi } from '../redshift-standin/credentials-api.ts';
import { json, runCli, s3Env } from '../support/cli.ts';
import { useTestS3Credentials } from '../support/in-process.ts';
import { expectReferenceFigures, REFERENCE_COUNTS } from '../support/reference.ts';
import { redshiftTestBed, type RedshiftTestBed } from './setup.ts';

let bed: RedshiftTestBed;
const apis: CredentialsApi[] = [];
beforeAll(async () => {
  bed = await redshiftTestBed();
  useTestS3Credentials();
});
afterAll(async () => {
  for (const api of apis) await api.close();
  await bed.close();
});

/** A stand-in cluster that accepts the passwords a credentials-API stand-in issues. */
async function iamCluster(label: string, api: { lifetimeMs?: number; serverless?: boolean } = {}) {
  const credentials = new TemporaryCredentials();
  const c = await bed.cluster(label, { credentials, serverless: api.serverless });
  const creds = await startCredentialsApi({ credentials, clusters: ['dwh'], workgroups: ['wg'], lifetimeMs: api.lifetimeMs });
  apis.push(creds);
  // The loader's target: the stand-in's address, no password in it.
  const target = c.target.replace(/\/\/[^@]+@/, '//loader@');
  return { ...c, target, credentials, api: creds };
}

describe('IAM sign-in', () => {
  it('logs in with a fetched password, and every later connection with one still valid', async () => {
    const c = await iamCluster('iam_refresh', { lifetimeMs: 1000 });
    const config = resolveConfig({ ignoreConfigFile: true, target: c.target, iamAuth: true, clusterId: 'dwh', clusterRegion: 'us-east-1' }, { AWS_ENDPOINT_URL_REDSHIFT: c.api.url });
    const wh = await openWarehouse(config, silentLogger);
    try {
      expect((await wh.pool.query('SELECT current_user AS u')).rows).toHaveLength(1);
      expect(c.api.calls.map((x) => x.action)).toEqual(['GetClusterCredentials']);
      expect(c.api.calls[0].params).toMatchObject({ ClusterIdentifier: 'dwh', DbUser: 'loader', DbName: expect.any(String), AutoCreate: 'false' });
      // The password expired: connections already open keep working, new ones get a fresh one.
      const held = await wh.pool.connect();
      // Past the password's lifetime (1 s): a clock to outlast, not an event to wait for.
      await new Promise((r) => setTimeout(r, 1100));
      const fresh = await Promise.all([wh.pool.connect(), wh.pool.connect()]);
      expect((await fresh[1].query('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
      expect((await held.query('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
      for (const f of [held, ...fresh]) f.release();
      expect(c.api.calls.length).toBe(2);
      expect(c.credentials.logins.get('IAM:loader')).toBeGreaterThanOrEqual(3);
    } finally {
      await wh.close();
    }
  });

  it('loads the sample into a provisioned cluster as the IAM identity\'s user, refreshing during the run', async () => {
    const c = await iamCluster('iam_run', { lifetimeMs: 400 });
    const r = await runCli(['run', ...bed.flags(c.target.replace('loader@', ''), 'tmp/iam', 'stage', ['--iam-auth', '--cluster-id', 'dwh', '--cluster-region', 'us-east-1'])], {
      env: { ...s3Env(), AWS_ENDPOINT_URL_REDSHIFT: c.api.url },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ status: 'ok', tables: REFERENCE_COUNTS });
    await expectReferenceFigures(c.upstream, 'dwh');
    // GetClusterCredentialsWithIAM: no DbUser given, the identity's own user.
    expect(new Set(c.api.calls.map((x) => x.action))).toEqual(new Set(['GetClusterCredentialsWithIAM']));
    expect(c.api.calls.length).toBeGreaterThanOrEqual(2);
    expect(c.credentials.logins.get('IAM:sparkify-loader')).toBeGreaterThanOrEqual(2);
  });

  it('loads the sample into a Serverless workgroup with GetCredentials', async () => {
    const c = await iamCluster('iam_serverless', { serverless: true });
    const r = await runCli(['run', ...bed.flags(c.target, 'tmp/iam-sl', 'direct', ['--iam-auth', '--workgroup', 'wg', '--cluster-region', 'us-east-1'])], {
      env: { ...s3Env(), AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS: c.api.url },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ status: 'ok', tables: REFERENCE_COUNTS });
    expect(c.api.calls[0]).toMatchObject({ action: 'GetCredentials', params: { workgroupName: 'wg', durationSeconds: 3600 } });
  });

  it('says what failed and which permission it needs when the API refuses', async () => {
    const c = await iamCluster('iam_refused');
    const r = await runCli(['create-tables', '--target', c.target, '--iam-auth', '--cluster-id', 'nope', '--cluster-region', 'us-east-1'], {
      env: { ...s3Env(), AWS_ENDPOINT_URL_REDSHIFT: c.api.url },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot sign in to Redshift with IAM: redshift GetClusterCredentials for cluster nope in us-east-1 failed: ClusterNotFound(Fault)?: Cluster nope not found\..*redshift:GetClusterCredentials/);
  });
});

describe('Redshift sign-in problems, said plainly', () => {
  it('names SHA-256 passwords, which node-postgres cannot send', async () => {
    const c = await bed.cluster('sha256', { auth: 'sha256' });
    const r = await runCli(['create-tables', '--target', c.target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/asks for SHA-256 password authentication .*which node-postgres cannot answer.*IAM/);
  });

  it('hints at verify-ca when the certificate cannot name the host (VPC endpoint, custom DNS)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rs-tls-'));
    try {
      await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=dwh.abc123.us-east-1.redshift.amazonaws.com',
        '-addext', 'subjectAltName=DNS:dwh.abc123.us-east-1.redshift.amazonaws.com', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
      const [key, cert] = await Promise.all([readFile(join(dir, 'key.pem')), readFile(join(dir, 'cert.pem'))]);
      const c = await bed.cluster('tls_name', { tls: { key, cert } });
      const base = c.target.replace(/\?.*$/, '');
      const full = await runCli(['create-tables', '--target', `${base}?sslrootcert=${join(dir, 'cert.pem')}`]);
      expect(full.code).toBe(1);
      expect(full.stderr).toMatch(/TLS certificate is not issued for 127\.0\.0\.1.*SSLMODE = verify-ca/);
      const ca = await runCli(['create-tables', '--target', `${base}?sslmode=verify-ca&sslrootcert=${join(dir, 'cert.pem')}`]);
      expect(ca.code, ca.stderr).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
