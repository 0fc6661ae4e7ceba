/**
 * A Postgres server of a test's own (the machine's stock PostgreSQL 15
 * binaries, run as the `postgres` user), which the test may stop, restart or
 * starve of disk — what the shared test server must never go through.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

const BIN = '/usr/lib/postgresql/15/bin';

export interface PgCluster {
  readonly port: number;
  /** URL of database `postgres` (trust authentication). */
  readonly url: string;
  /** pg_ctl stop: `fast` terminates sessions (an orderly shutdown), `immediate` is a crash. */
  stop(mode: 'fast' | 'immediate'): void;
  start(): void;
  /** A tablespace on a tmpfs of `megabytes` MB; null when this machine cannot mount one (not root). */
  smallTablespace(name: string, megabytes: number): { dir: string; resize(megabytes: number): void } | null;
  /** Stops the server and removes everything it had (tmpfs mounts included). */
  destroy(): void;
}

const uid = () => Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
const gid = () => Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
const asPostgres = (cmd: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args], { stdio: 'pipe' });

export async function startPgCluster(label: string): Promise<PgCluster> {
  const root = mkdtempSync(join(tmpdir(), `sparkify-${label}-`));
  chownSync(root, uid(), gid());
  const data = join(root, 'data');
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100`;
  const start = () => asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', join(root, 'log'), '-w', 'start']);
  const mounts: string[] = [];
  start();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: (mode) => asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']),
    start,
    smallTablespace(name, megabytes) {
      const dir = join(root, name);
      mkdirSync(dir);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m,uid=${uid()},gid=${gid()},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
      } catch {
        return null;
      }
      mounts.push(dir);
      return { dir, resize: (mb) => execFileSync('mount', ['-o', `remount,size=${mb}m`, dir], { stdio: 'pipe' }) };
    },
    destroy() {
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already stopped.
      }
      for (const m of mounts) execFileSync('umount', [m], { stdio: 'pipe' });
      rmSync(root, { recursive: true, force: true });
    },
  };
}
