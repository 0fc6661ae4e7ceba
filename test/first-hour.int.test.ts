/**
 * A data engineer's first hour (issue #16), through the built CLI against the
 * test Postgres and S3 server: no silent success on a wrong source, dry runs
 * that write nothing, dwh.cfg as documented, status that says what failed and
 * where it reads, and what a run does not read.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateSample } from '../src/generate/index.ts';
import { spawn } from 'node:child_process';
import { CLI, json, runCli, s3Env, s3Flags } from './support/cli.ts';
import { createBucket, createDatabase, testS3Client, uploadDirectory } from './support/services.ts';

let url: string;
let sample: string;
let client: pg.Client;

beforeAll(async () => {
  url = await createDatabase('first_hour');
  sample = mkdtempSync(join(tmpdir(), 'sparkify-first-hour-'));
  await generateSample({ outDir: sample, songs: 20, days: 3, users: 10, seed: 16, startDate: '2018-11-01' });
  client = new pg.Client({ connectionString: url });
  await client.connect();
  return () => client.end();
});

/** A copy of the generated sample that a test may change. */
function copySample(): { songs: string; logs: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sparkify-copy-'));
  cpSync(sample, dir, { recursive: true });
  return { dir, songs: join(dir, 'song_data'), logs: join(dir, 'log_data') };
}

const count = async (sql: string, params: unknown[] = []) => Number((await client.query(sql, params)).rows[0].n);

describe('a source that lists nothing is an error', () => {
  it('names an empty folder and exits 1, unless --allow-empty', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sparkify-empty-'));
    const r = await runCli(['run', '--target', url, '--schema', 'empty', '--logs', empty, '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`error: ${empty} lists no log objects (check the bucket, prefix or folder (a typo lists nothing); pass --allow-empty if an empty source is expected)`);
    expect(json(r)).toMatchObject({ status: 'failed', error: expect.stringContaining('lists no log objects') });
    const allowed = await runCli(['etl', '--target', url, '--schema', 'empty', '--logs', empty, '--allow-empty', '--json']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(json(allowed)).toMatchObject({ status: 'ok', objects: { listed: 0 } });
  });

  it('names a typo\'d S3 prefix and exits 1', async () => {
    const s3 = testS3Client();
    const bucket = await createBucket(s3, 'typo');
    await uploadDirectory(s3, bucket, 'log_data', join(sample, 'log_data'));
    s3.destroy();
    const r = await runCli(['run', '--target', url, '--schema', 'typo', '--logs', `s3://${bucket}/log_dta`, ...s3Flags()], { env: s3Env() });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: s3://${bucket}/log_dta lists no log objects`, 'm'));
    expect(r.stdout).not.toContain('status: ok');
  });
});

describe('what a run reads', () => {
  it('reads only JSON, JSON Lines and NDJSON (plain or gzipped) by default and says how many objects it skipped', async () => {
    const s = copySample();
    writeFileSync(join(s.logs, 'readme.txt'), 'not data\n');
    writeFileSync(join(s.logs, 'data.csv'), 'a,b\n1,2\n');
    const r = await runCli(['run', '--target', url, '--schema', 'filters', '--logs', s.logs, '--songs', s.songs, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ status: 'ok', objects: { listed: 23, excluded: 2 }, records: { rejected: 0 } });
    expect(r.stderr).toMatch(/listed 3 objects in \S+log_data \(2 skipped by the --include\/--exclude filters, e\.g\. log_data\/data\.csv, log_data\/readme\.txt\)/);
  });

  it('applies --include/--exclude in the order given, * matching across folders', async () => {
    const s = copySample();
    const r = await runCli(['run', '--target', url, '--schema', 'filters2', '--logs', s.logs, '--exclude', '*', '--include', '2018/11/2018-11-02*', '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).dryRun.load).toEqual(['log_data/2018/11/2018-11-02-events.json']);
    const csv = await runCli(['run', '--target', url, '--schema', 'filters2', '--logs', s.logs, '--include', '*.csv', '--exclude', '*-11-0[13]-*', '--dry-run', '--json']);
    expect(json(csv).dryRun.load).toEqual(['log_data/2018/11/2018-11-02-events.json']);
  });
});

describe('a dry run writes nothing', () => {
  it('run --dry-run on a new database creates no table, no schema, no run row', async () => {
    const fresh = await createDatabase('dry');
    const r = await runCli(['run', '--target', fresh, '--schema', 'dry', '--logs', join(sample, 'log_data'), '--songs', join(sample, 'song_data'), '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ status: 'ok', objects: { listed: 23, loaded: 0 }, tables: {} });
    expect(json(r).dryRun.load).toHaveLength(23);
    expect(r.stderr).toContain('`sparkify run` would create them');
    const c = new pg.Client({ connectionString: fresh });
    await c.connect();
    try {
      const { rows } = await c.query(`SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`);
      expect(rows[0].n).toBe(0);
      expect((await c.query(`SELECT COUNT(*)::int AS n FROM pg_namespace WHERE nspname = 'dry'`)).rows[0].n).toBe(0);
    } finally {
      await c.end();
    }
  });

  it('run --dry-run on the embedded default does not even create the embedded Postgres', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sparkify-dry-embedded-'));
    const r = await runCli(['run', '--logs', join(sample, 'log_data'), '--dry-run', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ status: 'ok', objects: { listed: 3, loaded: 0 }, dryRun: { load: expect.any(Array) } });
    expect(r.stderr).toContain(`the embedded Postgres in ${cwd}/.sparkify does not exist yet: \`sparkify run\` would create it`);
    expect(existsSync(join(cwd, '.sparkify'))).toBe(false);
  });

  it('etl --dry-run on a loaded schema adds no etl_runs row', async () => {
    const s = copySample();
    expect((await runCli(['run', '--target', url, '--schema', 'dry2', '--logs', s.logs])).code).toBe(0);
    const runs = await count('SELECT COUNT(*) AS n FROM dry2.etl_runs');
    writeFileSync(join(s.logs, '2018', '11', '2018-11-09-events.json'), '{"ts":1541721600000,"sessionId":1,"itemInSession":0,"page":"Home","userId":""}\n');
    const r = await runCli(['etl', '--target', url, '--schema', 'dry2', '--logs', s.logs, '--dry-run', '--json']);
    expect(json(r).dryRun.load).toEqual(['log_data/2018/11/2018-11-09-events.json']);
    expect(await count('SELECT COUNT(*) AS n FROM dry2.etl_runs')).toBe(runs);
    expect(await count('SELECT COUNT(*) AS n FROM dry2.etl_objects')).toBe(3);
  });
});

describe('dwh.cfg as documented', () => {
  it('takes an inline comment after whitespace, and status says which database and schema it reads and why', async () => {
    const u = new URL(url);
    const dir = mkdtempSync(join(tmpdir(), 'sparkify-cfg-'));
    writeFileSync(
      join(dir, 'dwh.cfg'),
      `[CLUSTER]\nHOST = ${u.hostname}   # my local pg\nDB_PORT = ${u.port} ; the test server\nDB_NAME = ${u.pathname.slice(1)}\nDB_USER = ${u.username}\nDB_PASSWORD = ${u.password}\nSCHEMA = cfg # mine\n[S3]\nLOG_DATA = ${join(sample, 'log_data')}\n`,
    );
    const r = await runCli(['run'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    // (The test server's password is "postgres", so that word is masked wherever it appears.)
    expect(r.stderr).toContain(`@${u.hostname}:${u.port}${u.pathname} (from dwh.cfg:2), schema cfg (from dwh.cfg:7)`);
    // DATABASE_URL wins over [CLUSTER] for the target; SCHEMA still comes from the file, and status says both.
    const status = await runCli(['status'], { cwd: dir, env: { DATABASE_URL: url } });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout.split('\n')[0]).toMatch(/^Warehouse: \S+:\/\/\S+@127\.0\.0\.1:\d+\/\w+ \(from DATABASE_URL\), schema cfg \(from dwh\.cfg:7\)$/);
  });

  it('refuses a bad port and a host without a database name with file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparkify-cfg-'));
    writeFileSync(join(dir, 'dwh.cfg'), '[CLUSTER]\nHOST = 127.0.0.1\nDB_NAME = x\nDB_PORT = 54 32\n');
    const port = await runCli(['status'], { cwd: dir });
    expect(port.code).toBe(1);
    expect(port.stderr.trim()).toBe('error: dwh.cfg:4 [CLUSTER] DB_PORT must be an integer from 1 to 65535, got "54 32"');
    writeFileSync(join(dir, 'dwh.cfg'), '[CLUSTER]\n\nHOST = 127.0.0.1\nDB_USER = me\n');
    const db = await runCli(['status'], { cwd: dir });
    expect(db.code).toBe(1);
    expect(db.stderr.trim()).toBe('error: dwh.cfg:3: [CLUSTER] has a HOST but no DB_NAME (add DB_NAME = the database to load into (create it first: createdb NAME))');
  });
});

describe('status and etl say what the user needs', () => {
  it('status shows a failed run\'s error; etl mentions objects that vanished from the source', async () => {
    const s = copySample();
    expect((await runCli(['run', '--target', url, '--schema', 'st', '--logs', s.logs, '--songs', s.songs])).code).toBe(0);
    const empty = mkdtempSync(join(tmpdir(), 'sparkify-empty-'));
    expect((await runCli(['etl', '--target', url, '--schema', 'st', '--logs', empty])).code).toBe(1);
    const status = await runCli(['status', '--target', url, '--schema', 'st']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`Errors of the last runs\\n  run 2 \\(failed, [\\d-]+ [\\d:]+\\): ${empty.replace(/[/.]/g, '\\$&')} lists no log objects`));
    expect(status.stdout.split('\n')[0]).toMatch(/^Warehouse: \S+:\/\/\S+ \(from --target\), schema st \(from --schema\)$/);

    rmSync(join(s.logs, '2018', '11', '2018-11-03-events.json'));
    const r = await runCli(['etl', '--target', url, '--schema', 'st', '--logs', s.logs, '--songs', s.songs, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).objects).toMatchObject({ vanished: 1, pruned: 0 });
    expect(r.stderr).toContain('1 object(s) loaded earlier are no longer in the source; their rows stay until a run with --prune');
  });

  it('a day-range --full-refresh reloads only the log objects of those days', async () => {
    const s = copySample();
    expect((await runCli(['run', '--target', url, '--schema', 'fr', '--logs', s.logs, '--songs', s.songs])).code).toBe(0);
    const loadedAt = async () => Object.fromEntries((await client.query('SELECT source_key, loaded_at::text AS at FROM fr.etl_objects')).rows.map((o) => [o.source_key, o.at]));
    const before = await loadedAt();
    const r = await runCli(['etl', '--target', url, '--schema', 'fr', '--logs', s.logs, '--songs', s.songs, '--since', '2018-11-02', '--until', '2018-11-02', '--full-refresh', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ status: 'ok', objects: { listed: 23, loaded: 1, skipped: 22 }, model: { mode: 'incremental' } });
    const after = await loadedAt();
    expect(Object.keys(after).filter((k) => after[k] !== before[k])).toEqual(['log_data/2018/11/2018-11-02-events.json']);
  });

  it('create-tables --reset asks on a terminal and needs --yes elsewhere', async () => {
    expect((await runCli(['run', '--target', url, '--schema', 'rs', '--logs', join(sample, 'log_data')])).code).toBe(0);
    const refused = await runCli(['create-tables', '--target', url, '--schema', 'rs', '--reset']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toMatch(/^error: create-tables --reset drops every sparkify table in schema rs of \S+:\/\/\S+, and nobody is at a terminal to confirm it \(add --yes to go ahead\)$/);
    expect(await count('SELECT COUNT(*) AS n FROM rs.etl_objects')).toBe(3);
    // On a terminal (a pty from util-linux `script`) it asks; anything but "yes" drops nothing.
    const onTty = (answer: string) =>
      new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const child = spawn('script', ['-qec', [process.execPath, CLI, 'create-tables', '--target', url, '--schema', 'rs', '--reset'].map((a) => `'${a}'`).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, out }));
        child.stdin.end(`${answer}\n`);
      });
    const no = await onTty('no');
    expect(no.out).toContain('all loaded data is lost. Type "yes" to go on:');
    expect(no.out).toContain('error: create-tables --reset cancelled: nothing was dropped');
    expect(no.code).toBe(2);
    expect(await count('SELECT COUNT(*) AS n FROM rs.etl_objects')).toBe(3);
    expect((await onTty('yes')).code).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM rs.etl_objects')).toBe(0);
    expect((await runCli(['run', '--target', url, '--schema', 'rs', '--logs', join(sample, 'log_data')])).code).toBe(0);
    const yes = await runCli(['create-tables', '--target', url, '--schema', 'rs', '--reset', '--yes']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM rs.etl_objects')).toBe(0);
  });
});
