/**
 * A stall on someone else's lock cannot hang the loader (issue #15, item 8):
 * lock waits are bounded by --timeout, with an error naming the table and the
 * session that holds it; a signal cancels the waiting statement at once; and
 * a second signal's hard exit leaves the run recorded as interrupted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase, SAMPLE_DIR } from './support/services.ts';
import { spawnCli, json, runCli } from './support/cli.ts';
import { until } from './support/wait.ts';

let url: string;
let admin: pg.Client;
const logs = ['--logs', `${SAMPLE_DIR}log_data`];

beforeAll(async () => {
  url = await createDatabase('lock_wait');
  expect((await runCli(['create-tables', '--target', url])).code).toBe(0);
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
});

/** Another session holding LOCK TABLE stg_events until released. */
async function holdStagingLock(): Promise<{ pid: number; release(): Promise<void> }> {
  const holder = new pg.Client({ connectionString: url, application_name: 'analyst-migration' });
  await holder.connect();
  const pid = Number((await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE stg_events IN ACCESS EXCLUSIVE MODE');
  return {
    pid,
    async release() {
      await holder.query('ROLLBACK');
      await holder.end();
    },
  };
}

/** True once a loader session of this file's database waits on a lock (other files' loaders wait on theirs). */
const loaderWaits = async () =>
  Number((await admin.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name LIKE 'sparkify %'`)).rows[0].n) > 0;

const lastRun = async () => (await admin.query(`SELECT status, error FROM etl_runs ORDER BY run_id DESC LIMIT 1`)).rows[0];

function start(args: string[]) {
  const child = spawnCli(args, { env: { PATH: process.env.PATH } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('close', (code) => resolve({ code, at: Date.now() })));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  void exited.then(() => clearTimeout(timer));
  return { child, exited, stderr: () => stderr };
}

describe('lock waits', () => {
  it('give up after --timeout, naming the table and the session that holds it', async () => {
    const lock = await holdStagingLock();
    try {
      const started = Date.now();
      const r = await runCli(['etl', '--target', url, ...logs, '--timeout', '2', '--json']);
      expect(r.code, r.stderr).toBe(1);
      expect(Date.now() - started).toBeLessThan(20_000);
      const error = json(r).error as string;
      expect(error).toMatch(new RegExp(`waited 2 s for a lock on stg_events, held by backend ${lock.pid} \\(application "analyst-migration", user [^,]+, from 127\\.0\\.0\\.1, in a transaction since [0-9 :-]+ UTC, holding AccessExclusiveLock; its last statement: LOCK TABLE stg_events IN ACCESS EXCLUSIVE MODE\\)`));
      expect(error).toMatch(/--timeout sets how long the loader waits for a lock/);
      expect(await lastRun()).toMatchObject({ status: 'failed' });
    } finally {
      await lock.release();
    }
    expect(Number((await admin.query('SELECT count(*) AS n FROM stg_events')).rows[0].n)).toBe(0);
  });

  it('are cancelled at once by a signal', async () => {
    const lock = await holdStagingLock();
    try {
      const run = start(['etl', '--target', url, ...logs]);
      await until('the loader to wait on the lock', loaderWaits);
      const sent = Date.now();
      run.child.kill('SIGTERM');
      const { code, at } = await run.exited;
      expect(code, run.stderr()).toBe(143);
      // Not when the other session lets go (the lock is still held here), nor after --timeout (60 s).
      expect(at - sent).toBeLessThan(5_000);
      expect(await lastRun()).toMatchObject({ status: 'interrupted', error: 'interrupted by SIGTERM' });
    } finally {
      await lock.release();
    }
  });

  it("leave the run interrupted, not running, after a second signal's hard exit", async () => {
    const lock = await holdStagingLock();
    try {
      const run = start(['etl', '--target', url, ...logs]);
      await until('the loader to wait on the lock', loaderWaits);
      run.child.kill('SIGTERM');
      run.child.kill('SIGTERM');
      const { code } = await run.exited;
      expect(code, run.stderr()).toBe(143);
      expect((await lastRun()).status).toBe('interrupted');
    } finally {
      await lock.release();
    }
  });
});
