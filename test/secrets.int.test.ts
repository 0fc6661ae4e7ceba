/**
 * Secrets never reach output (SPEC §8): a database password (in the URL,
 * in PGPASSWORD, in dwh.cfg), AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN,
 * each a recognisable value with the characters URLs encode, through loads
 * that work and loads the database or S3 refuses, with --json and
 * --verbose. None may appear in stdout, stderr, the --json object, any
 * column of etl_runs or of etl_rejects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createBucket, createDatabase, pgAdminUrl, s3Endpoint, testS3Client, uploadDirectory } from './support/services.ts';
import { runCli, type CliResult } from './support/cli.ts';

const ROLE = 'sparkify_secret_loader';
/** The role's real password: `@ / : # %` all need encoding in a URL. */
const DB_PASSWORD = 'Pg@Secret/Pa55:word#7f3a%z';
/** A password the server refuses, just as secret. */
const WRONG_PASSWORD = 'Wrong@Secret/Pa55-9b1c';
const SECRET_KEY = 'AwsSecretKey/wJalrXUtnFEMI+K7MDENG7f3a';
const SESSION_TOKEN = 'FwoGZXIvYXdzSESSIONTOKEN//////////wEaDEXAMPLE+7f3a==';
const SECRETS = [DB_PASSWORD, WRONG_PASSWORD, SECRET_KEY, SESSION_TOKEN];

/** Every form a secret could take on the way out: as is, URL-encoded, and the encoded form in lower case. */
const FORMS = SECRETS.flatMap((s) => [s, encodeURIComponent(s), encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())]);

let dbUrl: URL;
let bucket: string;
let source: { songs: string; logs: string };
const checked: string[] = [];

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: pgAdminUrl() });
  await admin.connect();
  const url = new URL(await createDatabase('secrets'));
  const db = url.pathname.slice(1);
  await admin.query(`DROP ROLE IF EXISTS ${ROLE}`).catch(() => undefined);
  await admin.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${DB_PASSWORD}'`);
  await admin.query(`ALTER DATABASE "${db}" OWNER TO ${ROLE}`);
  await admin.end();
  dbUrl = url;

  // A small source with one reject, so etl_rejects has a row to inspect.
  const dir = mkdtempSync(join(tmpdir(), 'sparkify-secrets-'));
  mkdirSync(join(dir, 'log_data', '2018', '11'), { recursive: true });
  mkdirSync(join(dir, 'song_data', 'A'), { recursive: true });
  const event = (i: number) => JSON.stringify({ auth: 'Logged In', itemInSession: i, page: 'NextSong', sessionId: 1, ts: 1541105830796 + i, userId: '7', level: 'free', song: 'S', artist: 'A', length: 1.5 });
  writeFileSync(join(dir, 'log_data', '2018', '11', '2018-11-01-events.json'), `${event(0)}\n${event(1)}\n{"itemInSession": "two"}\n`);
  writeFileSync(join(dir, 'song_data', 'A', 'TRA1.json'), JSON.stringify({ song_id: 'SO1', artist_id: 'AR1', title: 'S', artist_name: 'A', duration: 1.5, year: 0, num_songs: 1 }));
  const s3 = testS3Client();
  bucket = await createBucket(s3, 'secrets');
  await uploadDirectory(s3, bucket, '', dir);
  s3.destroy();
  source = { songs: `s3://${bucket}/song_data`, logs: `s3://${bucket}/log_data` };
});

afterAll(async () => {
  const admin = new pg.Client({ connectionString: pgAdminUrl() });
  await admin.connect();
  await admin.query(`ALTER DATABASE "${dbUrl.pathname.slice(1)}" OWNER TO postgres`).catch(() => undefined);
  await admin.query(`DROP ROLE IF EXISTS ${ROLE}`).catch(() => undefined);
  await admin.end();
});

function target(password?: string): string {
  const u = new URL(dbUrl.toString());
  u.username = ROLE;
  u.password = password === undefined ? '' : encodeURIComponent(password);
  return u.toString();
}

const awsEnv = (accessKeyId = 'S3RVER') => ({ AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_SESSION_TOKEN: SESSION_TOKEN, AWS_REGION: 'us-east-1' });
const loadFlags = () => ['--songs', source.songs, '--logs', source.logs, '--s3-endpoint', s3Endpoint(), '--s3-path-style', '--max-errors', '1'];

function expectNoSecret(where: string, text: string): void {
  checked.push(where);
  for (const form of FORMS) {
    const at = text.indexOf(form);
    expect(at, `${where} holds a secret: …${text.slice(Math.max(0, at - 60), at + form.length + 20)}…`).toBe(-1);
  }
}

function expectCleanRun(name: string, r: CliResult, json: boolean): void {
  expectNoSecret(`${name}: stdout`, r.stdout);
  expectNoSecret(`${name}: stderr`, r.stderr);
  if (json) {
    const summary = JSON.parse(r.stdout) as unknown;
    expectNoSecret(`${name}: --json`, JSON.stringify(summary));
  }
}

/** All columns of etl_runs and etl_rejects, as text. */
async function tablesText(): Promise<{ runs: string; rejects: string; runCount: number; rejectCount: number }> {
  const admin = new pg.Client({ connectionString: (() => { const u = new URL(pgAdminUrl()); u.pathname = dbUrl.pathname; return u.toString(); })() });
  await admin.connect();
  try {
    const runs = (await admin.query('SELECT * FROM etl_runs ORDER BY run_id')).rows;
    const rejects = (await admin.query('SELECT * FROM etl_rejects')).rows;
    return { runs: JSON.stringify(runs), rejects: JSON.stringify(rejects), runCount: runs.length, rejectCount: rejects.length };
  } finally {
    await admin.end();
  }
}

describe('secrets stay secret', () => {
  it('in loads that work: password in the URL, in PGPASSWORD and in dwh.cfg; --json and --verbose', async () => {
    const inUrl = await runCli(['run', '--target', target(DB_PASSWORD), ...loadFlags(), '--json', '--verbose'], { env: awsEnv() });
    expect(inUrl.code, inUrl.stderr).toBe(0);
    expect(JSON.parse(inUrl.stdout)).toMatchObject({ status: 'ok', records: { staged: 3, rejected: 1 } });
    expectCleanRun('password in URL', inUrl, true);

    const inEnv = await runCli(['etl', '--target', target(), ...loadFlags(), '--full-refresh', '--verbose'], { env: { ...awsEnv(), PGPASSWORD: DB_PASSWORD } });
    expect(inEnv.code, inEnv.stderr).toBe(0);
    expect(inEnv.stdout).toMatch(/status: ok/);
    expectCleanRun('PGPASSWORD', inEnv, false);

    const dir = mkdtempSync(join(tmpdir(), 'sparkify-secrets-cfg-'));
    writeFileSync(
      join(dir, 'dwh.cfg'),
      `[CLUSTER]\nHOST = 127.0.0.1\nDB_NAME = ${dbUrl.pathname.slice(1)}\nDB_USER = ${ROLE}\nDB_PASSWORD = ${DB_PASSWORD}\nDB_PORT = ${dbUrl.port}\n`,
    );
    const inCfg = await runCli(['etl', ...loadFlags(), '--full-refresh', '--json', '--verbose'], { env: awsEnv(), cwd: dir });
    expect(inCfg.code, inCfg.stderr).toBe(0);
    expectCleanRun('dwh.cfg', inCfg, true);
  });

  it('when the database refuses the password', async () => {
    const inUrl = await runCli(['etl', '--target', target(WRONG_PASSWORD), ...loadFlags(), '--json', '--verbose'], { env: awsEnv() });
    expect(inUrl.code).toBe(1);
    expect(JSON.parse(inUrl.stdout)).toMatchObject({ status: 'failed', error: expect.stringMatching(/authentication failed/) });
    expectCleanRun('wrong password in URL', inUrl, true);

    const inEnv = await runCli(['etl', '--target', target(), ...loadFlags(), '--verbose'], { env: { ...awsEnv(), PGPASSWORD: WRONG_PASSWORD } });
    expect(inEnv.code).toBe(1);
    expect(inEnv.stderr).toMatch(/^error: cannot connect to .*authentication failed/m);
    expectCleanRun('wrong PGPASSWORD', inEnv, false);
  });

  it('when S3 refuses the credentials', async () => {
    // s3rver checks access key ids, not SigV4 signatures: an unknown key id is what it can refuse.
    for (const json of [true, false]) {
      const r = await runCli(['etl', '--target', target(DB_PASSWORD), ...loadFlags(), '--verbose', ...(json ? ['--json'] : [])], { env: awsEnv('AKIAUNKNOWNKEY7F3A000') });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/S3 refused the credentials \(InvalidAccessKeyId\)/);
      expectCleanRun(`S3 refusal${json ? ' --json' : ''}`, r, json);
    }
  });

  it('when dwh.cfg has a malformed password line (the parser quotes bad lines back)', async () => {
    for (const line of [`DB_PASSWORD ${DB_PASSWORD}`, `db_password: ${DB_PASSWORD}`, `DB_PASSWORD\t"${DB_PASSWORD}"`]) {
      const dir = mkdtempSync(join(tmpdir(), 'sparkify-secrets-badcfg-'));
      writeFileSync(join(dir, 'dwh.cfg'), `[CLUSTER]\nHOST = 127.0.0.1\n${line}\n`);
      for (const json of [true, false]) {
        const r = await runCli(['etl', ...loadFlags(), '--verbose', ...(json ? ['--json'] : [])], { env: awsEnv(), cwd: dir });
        expect(r.code, r.stderr).toBe(1);
        // Still one clear line naming the file and the line.
        expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([expect.stringMatching(/^error: dwh\.cfg:3: expected KEY = value/)]);
        expectCleanRun(`malformed ${JSON.stringify(line.slice(0, 12))}${json ? ' --json' : ''}`, r, json);
      }
    }
  });

  it('in etl_runs and etl_rejects', async () => {
    const t = await tablesText();
    // The runs above that reached the database: three loads and two S3 refusals.
    expect(t.runCount).toBeGreaterThanOrEqual(5);
    expect(t.runs).toMatch(/S3 refused the credentials/);
    expect(t.rejectCount).toBe(1);
    expectNoSecret('etl_runs', t.runs);
    expectNoSecret('etl_rejects', t.rejects);
    expect(checked.length).toBeGreaterThanOrEqual(30);
  });
});
