import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../src/config-file.ts';
import { parseTargetUrl, resolveConfig } from '../src/config.ts';
import { ConfigError, UsageError } from '../src/errors.ts';
import { clearSecrets, redact } from '../src/redact.ts';

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
  });

  it('defaults to the embedded Postgres when no host is configured', () => {
    expect(resolveConfig({}, {}, dir()).target).toMatchObject({ kind: 'embedded' });
    expect(resolveConfig({}, {}, dir('[CLUSTER]\nHOST =\n')).target).toMatchObject({ kind: 'embedded' });
  });

  it('sees a Redshift host, with TLS verified by default', () => {
    const c = resolveConfig({}, {}, dir('[CLUSTER]\nHOST = c.abc.us-west-2.redshift.amazonaws.com\n'));
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

  it('registers every password for redaction', () => {
    clearSecrets();
    parseTargetUrl('postgres://u:S3cr%40t-pw@h/db', '--target');
    expect(redact('failed with S3cr@t-pw and S3cr%40t-pw')).toBe('failed with *** and ***');
    expect(redact('postgres://u:whatever@h/db')).toBe('postgres://u:***@h/db');
  });
});
