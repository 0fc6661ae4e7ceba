import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../src/config/file.ts';
import { parseTargetUrl, resolveConfig } from '../src/config/index.ts';
import { requireSources } from '../src/run/sources.ts';
import { ConfigError, UsageError } from '../src/common/errors.ts';
import { clearSecrets, redact } from '../src/common/redact.ts';
import { autoWorkers } from '../src/common/machine.ts';

function dir(cfg?: string): string {
  const d = mkdtempSync(join(tmpdir(), 'sparkify-cfg-'));
  if (cfg !== undefined) writeFileSync(join(d, 'dwh.cfg'), cfg);
  return d;
}

describe('dwh.cfg', () => {
  it('reads the classic sections', () => {
    const f = parseConfigText('[CLUSTER]\nHOST = h.example\nDB_PASSWORD = \'p w\'\n[IAM_ROLE]\nARN=arn:aws:iam::123456789012:role/r\n[S3]\nLOG_DATA = s3://udacity-dend/log_data\n');
    expect(f).toEqual({ CLUSTER: { HOST: 'h.example', DB_PASSWORD: 'p w' }, IAM_ROLE: { ARN: 'arn:aws:iam::123456789012:role/r' }, S3: { LOG_DATA: 's3://udacity-dend/log_data' } });
  });

  it('names the line of a malformed file', () => {
    expect(() => parseConfigText('[CLUSTER]\nHOST localhost\n', 'x.cfg')).toThrow(/x\.cfg:2: expected KEY = value/);
    expect(() => parseConfigText('[CLUSTR]\n')).toThrow(/unknown section \[CLUSTR\]/);
    expect(() => parseConfigText('[S3]\nLOGDATA = x\n')).toThrow(/unknown key LOGDATA in \[S3\]/);
    expect(() => parseConfigText('HOST = x\n')).toThrow(/outside any \[SECTION\]/);
  });

  it('is overridden by the environment and by flags, in that order', () => {
    const d = dir('[CLUSTER]\nHOST = db.example\nDB_NAME = dwh\nDB_USER = u\nDB_PASSWORD = secret-in-file\nDB_PORT = 5433\n[S3]\nLOG_DATA = s3://b/logs\nREGION = eu-west-1\n[ETL]\nCONCURRENCY = 3\n');
    const fromFile = resolveConfig({}, {}, d);
    expect(fromFile.target).toMatchObject({ kind: 'postgres', connection: { host: 'db.example', port: 5433, database: 'dwh', user: 'u', sslMode: 'prefer' } });
    expect(fromFile.target.kind !== 'embedded' && fromFile.target.connection.password).toBe('secret-in-file');
    expect(JSON.stringify(fromFile)).not.toContain('secret-in-file');
    expect(fromFile.load.concurrency).toBe(3);
    expect(fromFile.s3.region).toBe('eu-west-1');
    const fromEnv = resolveConfig({}, { DATABASE_URL: 'postgres://e@envhost/envdb', AWS_REGION: 'us-east-1' }, d);
    expect(fromEnv.target).toMatchObject({ kind: 'postgres', connection: { host: 'envhost', database: 'envdb' } });
    expect(fromEnv.s3.region).toBe('us-east-1');
    const fromFlags = resolveConfig({ target: 'embedded', concurrency: '5', logs: './x' }, { DATABASE_URL: 'postgres://e@envhost/envdb' }, d);
    expect(fromFlags.target.kind).toBe('embedded');
    expect(fromFlags.load.concurrency).toBe(5);
    expect(fromFlags.sources.logs).toBe('./x');
    expect(Object.isFrozen(fromFlags.load)).toBe(true);
    // Unset, the number of reads adapts to the source (stage/read-limiter.ts).
    expect(resolveConfig({ target: 'embedded' }, {}, dir()).load.concurrency).toBeUndefined();
  });

  it('takes a comment after whitespace, keeps # inside a word or quotes, and refuses an unclosed quote', () => {
    const f = parseConfigText('[CLUSTER]\nHOST = 127.0.0.1 # my local pg\nDB_NAME = dwh;x ; comment\nDB_PASSWORD = pa#ss\nDB_USER = "me # not a comment" # a comment\nSCHEMA =   # empty\n');
    expect(f.CLUSTER).toEqual({ HOST: '127.0.0.1', DB_NAME: 'dwh;x', DB_PASSWORD: 'pa#ss', DB_USER: 'me # not a comment', SCHEMA: '' });
    expect(() => parseConfigText('[CLUSTER]\nDB_PASSWORD = "secret-value\n', 'x.cfg')).toThrow(/^x\.cfg:2: the value of DB_PASSWORD opens a quote/);
    expect(() => parseConfigText('[CLUSTER]\nDB_PASSWORD = "secret-value" trailing\n')).not.toThrow(/secret-value/);
  });

  it('names the file and line of a bad value', () => {
    expect(() => resolveConfig({}, {}, dir('[CLUSTER]\nHOST = h\nDB_NAME = d\n\nDB_PORT = 54x2\n'))).toThrow(/^dwh\.cfg:5 \[CLUSTER\] DB_PORT must be an integer/);
    expect(() => resolveConfig({}, {}, dir('[ETL]\n# knobs\nCONCURRENCY = many\n'))).toThrow(/^dwh\.cfg:3 \[ETL\] CONCURRENCY/);
    expect(() => resolveConfig({}, {}, dir('[S3]\nREGION = Oregon\n'))).toThrow(/^dwh\.cfg:2 \[S3\] REGION: S3 region must look like us-west-2/);
    expect(() => resolveConfig({}, { AWS_REGION: 'Oregon' }, dir())).toThrow(/^AWS_REGION: S3 region/);
    expect(() => resolveConfig({}, {}, dir('[S3]\n\nENDPOINT = minio:9000x\n'))).toThrow(/^S3 endpoint \(dwh\.cfg:3 \[S3\] ENDPOINT\)/);
    expect(() => requireSources(resolveConfig({}, {}, dir('[S3]\nLOG_DATA = s3://Bad_Bucket/x\n')))).toThrow(/^dwh\.cfg:2 \[S3\] LOG_DATA: "s3:\/\/Bad_Bucket\/x": "Bad_Bucket" is not a valid S3 bucket name/);
  });

  it('refuses a target without a database name instead of using libpq\'s default', () => {
    expect(() => resolveConfig({}, {}, dir('[CLUSTER]\nHOST = db.example\nDB_USER = me\n'))).toThrow(/^dwh\.cfg:2: \[CLUSTER\] has a HOST but no DB_NAME/);
    expect(() => resolveConfig({ target: 'postgres://me@localhost:5432' }, {}, dir())).toThrow(/--target names no database/);
    expect(() => resolveConfig({}, { DATABASE_URL: 'postgres://me@localhost/' }, dir())).toThrow(/DATABASE_URL names no database/);
  });

  it('says where the target and the schema came from', () => {
    const d = dir('[CLUSTER]\nHOST = db.example\nDB_NAME = dwh\nSCHEMA = sparkify\n');
    expect(resolveConfig({}, {}, d).origins).toEqual({ target: 'dwh.cfg:2', schema: 'dwh.cfg:4' });
    // DATABASE_URL wins over [CLUSTER] for the target; SCHEMA still comes from the file, and says so.
    const env = resolveConfig({}, { DATABASE_URL: 'postgres://e@envhost/envdb' }, d);
    expect(env.target).toMatchObject({ connection: { host: 'envhost', database: 'envdb' } });
    expect(env.origins).toEqual({ target: 'DATABASE_URL', schema: 'dwh.cfg:4' });
    expect(resolveConfig({ target: 'embedded', schema: 's' }, {}, d).origins).toEqual({ target: '--target', schema: '--schema' });
  });

  it('defaults to the embedded Postgres when no host is configured', () => {
    expect(resolveConfig({}, {}, dir()).target).toMatchObject({ kind: 'embedded' });
    expect(resolveConfig({}, {}, dir('[CLUSTER]\nHOST =\n')).target).toMatchObject({ kind: 'embedded' });
  });

  it('sees a Redshift host, with TLS verified by default', () => {
    const c = resolveConfig({}, {}, dir('[CLUSTER]\nHOST = c.abc.us-west-2.redshift.amazonaws.com\nDB_NAME = dwh\n'));
    expect(c.target).toMatchObject({ kind: 'redshift', connection: { port: 5439, sslMode: 'verify-full' } });
  });

  it('refuses bad values with a usage or config error', () => {
    expect(() => resolveConfig({ concurrency: 'x' }, {}, dir())).toThrow(UsageError);
    expect(() => resolveConfig({ since: '2018-02-30' }, {}, dir())).toThrow(/real|YYYY-MM-DD/);
    expect(() => resolveConfig({ since: '2018-11-05', until: '2018-11-01' }, {}, dir())).toThrow(/after/);
    expect(() => resolveConfig({}, {}, dir('[CLUSTER]\nHOST = h\nDB_PORT = abc\n'))).toThrow(ConfigError);
    expect(() => resolveConfig({ config: 'missing.cfg' }, {}, dir())).toThrow(/cannot read config file/);
    expect(() => parseTargetUrl('mysql://x', '--target')).toThrow(/scheme mysql/);
  });

  it('takes the number of worker threads from --workers, then [ETL] WORKERS, else from the cores', () => {
    expect(resolveConfig({ workers: '3' }, {}, dir('[ETL]\nWORKERS = 5\n')).load.workers).toBe(3);
    expect(resolveConfig({}, {}, dir('[ETL]\nWORKERS = 5\n')).load.workers).toBe(5);
    expect(resolveConfig({ workers: '0' }, {}, dir()).load.workers).toBe(0);
    expect(() => resolveConfig({ workers: '-1' }, {}, dir())).toThrow(/--workers must be an integer from 0 to 64/);
    expect(() => resolveConfig({}, {}, dir('[ETL]\nWORKERS = many\n'))).toThrow(ConfigError);
    // Redshift's rows are CSV, encoded on the main thread.
    expect(resolveConfig({}, {}, dir('[CLUSTER]\nHOST = c.abc.us-west-2.redshift.amazonaws.com\nDB_NAME = dwh\n')).load.workers).toBe(0);
    // Whatever this machine has, the default leaves the main thread and the local server's COPY streams their cores.
    const cores = availableParallelism();
    expect(resolveConfig({ target: 'embedded' }, {}, dir()).load.workers).toBe(autoWorkers({ cores, copyStreams: 2, warehouseHere: true }));
    expect(resolveConfig({ target: 'postgres://me@127.0.0.1/dwh', concurrency: '1' }, {}, dir()).load.workers).toBe(autoWorkers({ cores, copyStreams: 1, warehouseHere: true }));
    expect(resolveConfig({ target: 'postgres://me@db.example.com/dwh' }, {}, dir()).load.workers).toBe(autoWorkers({ cores, copyStreams: 2, warehouseHere: false }));
  });

  it('registers every password for redaction', () => {
    clearSecrets();
    parseTargetUrl('postgres://u:S3cr%40t-pw@h/db', '--target');
    expect(redact('failed with S3cr@t-pw and S3cr%40t-pw')).toBe('failed with *** and ***');
    expect(redact('postgres://u:whatever@h/db')).toBe('postgres://u:***@h/db');
  });

  it('tells Redshift Serverless from a provisioned cluster, and reads the region from the host', () => {
    const provisioned = resolveConfig({ target: 'redshift://u@dwh.abc123.eu-central-1.redshift.amazonaws.com/dev' }, {}, dir());
    expect(provisioned.target).toMatchObject({ kind: 'redshift', redshift: { serverless: false, region: 'eu-central-1' } });
    const serverless = resolveConfig({}, {}, dir('[CLUSTER]\nDB_NAME = dev\nHOST = wg.123456789012.us-east-1.redshift-serverless.amazonaws.com\n'));
    expect(serverless.target).toMatchObject({ kind: 'redshift', connection: { port: 5439, sslMode: 'verify-full' }, redshift: { serverless: true, region: 'us-east-1' } });
    // A VPC endpoint or custom DNS name is Redshift only when TYPE says so; its region is unknown unless given.
    const custom = resolveConfig({}, {}, dir('[CLUSTER]\nDB_NAME = dev\nHOST = dwh.internal.example\nTYPE = redshift\nREGION = ap-south-1\n'));
    expect(custom.target).toMatchObject({ kind: 'redshift', redshift: { serverless: false, region: 'ap-south-1' } });
    expect(resolveConfig({}, {}, dir('[CLUSTER]\nDB_NAME = dev\nHOST = dwh.internal.example\n')).target.kind).toBe('postgres');
    expect(() => resolveConfig({ clusterRegion: 'nowhere' }, {}, dir('[CLUSTER]\nDB_NAME = dev\nHOST = dwh.internal.example\nTYPE = redshift\n'))).toThrow(/--cluster-region must look like us-west-2/);
  });

  it('configures IAM sign-in from the host, dwh.cfg or flags, and says what is missing', () => {
    const host = 'dwh.abc123.us-west-2.redshift.amazonaws.com';
    const env = { AWS_ENDPOINT_URL_REDSHIFT: 'http://127.0.0.1:1/' };
    const withUser = resolveConfig({ iamAuth: true }, env, dir(`[CLUSTER]\nDB_NAME = dev\nHOST = ${host}\nDB_USER = loader\n`));
    expect(withUser.target).toMatchObject({ redshift: { iam: { name: 'dwh', region: 'us-west-2', dbUser: 'loader', endpoint: 'http://127.0.0.1:1/' } } });
    const mapped = resolveConfig({}, {}, dir(`[CLUSTER]\nDB_NAME = dev\nHOST = ${host}\nIAM_AUTH = true\nCLUSTER_ID = other\n`));
    expect(mapped.target).toMatchObject({ redshift: { iam: { name: 'other', dbUser: undefined } } });
    const workgroup = resolveConfig({ target: 'redshift://wg.123456789012.eu-west-1.redshift-serverless.amazonaws.com/dev', iamAuth: true }, { AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS: 'http://x/' }, dir());
    expect(workgroup.target).toMatchObject({ redshift: { serverless: true, iam: { name: 'wg', region: 'eu-west-1', endpoint: 'http://x/' } } });
    expect(() => resolveConfig({ target: 'redshift://u@10.0.0.5/dev', iamAuth: true }, {}, dir())).toThrow(/needs the cluster identifier of 10\.0\.0\.5/);
    expect(() => resolveConfig({ target: 'redshift://u@10.0.0.5/dev', iamAuth: true, clusterId: 'dwh' }, {}, dir())).toThrow(/needs the region of 10\.0\.0\.5/);
    expect(() => resolveConfig({ target: 'postgres://u@h/db', iamAuth: true }, {}, dir())).toThrow(UsageError);
  });

  it('keeps the staging bucket\'s region apart from the sources\'', () => {
    expect(resolveConfig({ s3Region: 'eu-west-1' }, {}, dir()).redshift.stagingRegion).toBe('eu-west-1');
    expect(resolveConfig({ s3Region: 'eu-west-1', stagingRegion: 'us-east-1' }, {}, dir()).redshift.stagingRegion).toBe('us-east-1');
    expect(resolveConfig({}, {}, dir('[S3]\nSTAGING_REGION = us-east-2\n')).redshift.stagingRegion).toBe('us-east-2');
    expect(resolveConfig({}, {}, dir()).redshift.stagingRegion).toBeUndefined();
  });

  it('holds every region to the rule COPY … REGION holds it to: `auto` is refused where it is set, not by every COPY', () => {
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('accepted');
    };
    for (const [label, run] of [
      ['--s3-region', () => resolveConfig({ s3Region: 'auto' }, {}, dir())],
      ['AWS_REGION', () => resolveConfig({}, { AWS_REGION: 'auto' }, dir())],
      ['dwh.cfg:2 [S3] REGION', () => resolveConfig({}, {}, dir('[S3]\nREGION = auto\n'))],
      ['--staging-region', () => resolveConfig({ stagingRegion: 'auto' }, {}, dir())],
      ['dwh.cfg:2 [S3] STAGING_REGION', () => resolveConfig({}, {}, dir('[S3]\nSTAGING_REGION = auto\n'))],
      ['--cluster-region', () => resolveConfig({ clusterRegion: 'auto' }, {}, dir('[CLUSTER]\nDB_NAME = dev\nHOST = dwh.internal.example\nTYPE = redshift\n'))],
    ] as const) {
      const err = refusal(run);
      expect(err, label).toBeInstanceOf(ConfigError);
      expect(err.code, label).toBe('CONFIG');
      expect(err.message.startsWith(label), err.message).toBe(true);
      expect(err.message).toMatch(/must look like us-west-2, got "auto"$/);
    }
    // What config accepts, COPY names as it is.
    const config = resolveConfig({ s3Region: 'eu-central-1', stagingRegion: 'us-gov-west-1' }, {}, dir());
    expect([config.s3.region, config.redshift.stagingRegion]).toEqual(['eu-central-1', 'us-gov-west-1']);
  });
});
