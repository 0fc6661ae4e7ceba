/**
 * Graceful stop: SIGINT or SIGTERM in the middle of a load rolls back the
 * objects in flight, records the run as interrupted and exits 130 or 143;
 * no object is left half-loaded, and the next run ends with exactly the
 * tables of an uninterrupted load. A second signal exits at once, even when
 * the graceful stop cannot finish (here: a warehouse that stopped answering).
 *
 * The load is made long enough to interrupt by an S3 proxy that delays every
 * object (test/faults/s3-fault-proxy.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { pgAdminUrl, s3Endpoint } from './support/services.ts';
import { spawnCli, json, runCli, s3Env } from './support/cli.ts';
import { output, signalled, until, type Output } from './support/wait.ts';
import { generatedBucket } from './support/generated-bucket.ts';
import { starTables } from './support/star-tables.ts';
import { startS3FaultProxy, type S3FaultProxy } from './faults/s3-fault-proxy.ts';
import { startPgFaultProxy, type PgFaultProxy } from './faults/pg-fault-proxy.ts';

const OBJECTS = 220;
let url: string;
let bucket: string;
let client: pg.Client;
let reference: Record<string, unknown[]>;
let slowS3: S3FaultProxy;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ({ url, bucket, client, reference } = await generatedBucket('signals', { songs: 200, days: 20, users: 100, events: 40_000, seed: 3 }));
  // ~150 ms per object, 8 at a time: the load takes several seconds.
  slowS3 = await startS3FaultProxy({ upstream: s3Endpoint(), objectDelayMs: 150 });
  closers.push(() => slowS3.close());
}, 120_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await client?.end();
});

const sources = () => ['--songs', `s3://${bucket}/song_data`, '--logs', `s3://${bucket}/log_data`, '--s3-path-style'];

interface Running {
  child: ChildProcess;
  stderr: Output;
  stdout: Output;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function start(args: string[]): Running {
  const child = spawnCli(args, { env: { PATH: process.env.PATH, ...s3Env() } });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, at: Date.now() })));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  void exited.then(() => clearTimeout(timer));
  return { child, stderr: output(child.stderr), stdout: output(child.stdout), exited };
}

/** Once the first objects are committed: a stop then lands in the middle of the load. */
const firstCommitted = (schema: string) => until('a first committed object', async () => (await count(`SELECT count(*) AS n FROM "${schema}".etl_objects`)) > 0);

async function count(sql: string): Promise<number> {
  return Number((await client.query(sql)).rows[0].n);
}

/** Every etl_objects row matches its staged rows, and every staged row has its etl_objects row. */
async function expectNoHalfLoadedObject(schema: string): Promise<number> {
  const s = `"${schema}"`;
  const mismatched = await client.query(
    `SELECT o.source_key, o.rows_staged, (SELECT count(*) FROM ${s}.stg_events e WHERE e.source_key = o.source_key) + (SELECT count(*) FROM ${s}.stg_songs g WHERE g.source_key = o.source_key) AS staged
     FROM ${s}.etl_objects o`,
  );
  expect(mismatched.rows.filter((r) => Number(r.rows_staged) !== Number(r.staged))).toEqual([]);
  for (const table of ['stg_events', 'stg_songs']) {
    expect(await count(`SELECT count(*) AS n FROM ${s}.${table} t WHERE NOT EXISTS (SELECT 1 FROM ${s}.etl_objects o WHERE o.source_key = t.source_key)`), `${table} rows without their etl_objects row`).toBe(0);
  }
  return mismatched.rows.length;
}

async function lastRun(schema: string): Promise<{ status: string; error: string | null }> {
  return (await client.query(`SELECT status, error FROM "${schema}".etl_runs ORDER BY run_id DESC LIMIT 1`)).rows[0];
}

/** Interrupts a slowed load with `signal` once an object or two are committed, and checks what it leaves. */
async function interrupt(schema: string, signal: 'SIGINT' | 'SIGTERM'): Promise<{ code: number | null; loaded: number; stderr: string; stdout: string }> {
  const run = start(['run', '--target', url, '--schema', schema, ...sources(), '--s3-endpoint', slowS3.endpoint, '--json']);
  await run.stderr.waitFor(/^plan: \d+ to load/m);
  await firstCommitted(schema);
  run.child.kill(signal);
  const { code } = await run.exited;
  const loaded = await expectNoHalfLoadedObject(schema);
  return { code, loaded, stderr: run.stderr.text(), stdout: run.stdout.text() };
}

describe('graceful stop', () => {
  it('SIGINT in the middle of a load exits 130, leaves no half-loaded object, and the next run finishes the job', async () => {
    const r = await interrupt('sigint', 'SIGINT');
    expect(r.code, r.stderr).toBe(130);
    expect(r.loaded, 'objects committed before the stop').toBeGreaterThan(0);
    expect(r.loaded, 'the stop came before the end of the load').toBeLessThan(OBJECTS);
    expect(r.stderr).toMatch(/^warning: SIGINT: stopping/m);
    expect(json({ ...r, signal: null })).toMatchObject({ status: 'interrupted' });
    expect(await lastRun('sigint')).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/interrupted by SIGINT/) });

    const again = await runCli(['etl', '--target', url, '--schema', 'sigint', ...sources(), '--s3-endpoint', s3Endpoint(), '--json'], { env: s3Env() });
    expect(again.code, again.stderr).toBe(0);
    expect(json(again)).toMatchObject({ status: 'ok', objects: { listed: OBJECTS, loaded: OBJECTS - r.loaded, skipped: r.loaded, failed: 0 } });
    expect(await lastRun('sigint')).toMatchObject({ status: 'ok' });
    expect(await starTables(client, 'sigint')).toEqual(reference);
  });

  it('SIGTERM exits 143 and records the run as interrupted', async () => {
    const r = await interrupt('sigterm', 'SIGTERM');
    expect(r.code, r.stderr).toBe(143);
    expect(r.loaded).toBeLessThan(OBJECTS);
    expect(await lastRun('sigterm')).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/interrupted by SIGTERM/) });
    const again = await runCli(['etl', '--target', url, '--schema', 'sigterm', ...sources(), '--s3-endpoint', s3Endpoint(), '--json'], { env: s3Env() });
    expect(again.code, again.stderr).toBe(0);
    expect(await starTables(client, 'sigterm')).toEqual(reference);
  });

  it('SIGINT while listing is an interrupted run too, not a failed listing', async () => {
    // The listing is answered 10 s late: the stop comes once the loader's listing request is at the server.
    const listing = signalled();
    const slowListing = await startS3FaultProxy({ upstream: s3Endpoint(), listDelayMs: 10_000, beforeAnswer: (_req, kind) => void (kind === 'list' && listing.fire()) });
    closers.push(() => slowListing.close());
    const run = start(['run', '--target', url, '--schema', 'listing', ...sources(), '--s3-endpoint', slowListing.endpoint, '--json']);
    await run.stderr.waitFor(/^run \d+: loading/m);
    await listing.promise;
    const sent = Date.now();
    run.child.kill('SIGINT');
    const { code, at } = await run.exited;
    expect(code, run.stderr.text()).toBe(130);
    // The listing in flight is abandoned, not waited for.
    expect(at - sent).toBeLessThan(5000);
    expect(run.stderr.text()).not.toMatch(/cannot list/);
    expect(await lastRun('listing')).toMatchObject({ status: 'interrupted', error: 'interrupted by SIGINT' });
    expect(await count(`SELECT count(*) AS n FROM "listing".etl_objects`)).toBe(0);
  });

  it('a second SIGINT exits at once, even while the graceful stop is stuck', async () => {
    const pgProxy: PgFaultProxy = await startPgFaultProxy({ upstreamUrl: url, adminUrl: pgAdminUrl() });
    closers.push(() => pgProxy.close());
    const run = start(['run', '--target', pgProxy.url(), '--schema', 'twice', ...sources(), '--s3-endpoint', slowS3.endpoint, '--json']);
    await run.stderr.waitFor(/^plan: \d+ to load/m);
    await firstCommitted('twice');
    // The warehouse stops answering: rolling back the objects in flight now waits forever.
    pgProxy.freeze();
    run.child.kill('SIGINT');
    await run.stderr.waitFor(/SIGINT: stopping/, 5000);
    // Not a wait for an event but a window in which none may happen: the loader must not exit on its own.
    const stillRunning = await Promise.race([run.exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 1500))]);
    expect(stillRunning, `the graceful stop should be stuck, but the loader exited:\n${run.stderr.text()}`).toBe(true);
    const sent = Date.now();
    run.child.kill('SIGINT');
    const { code, at } = await run.exited;
    expect(code).toBe(130);
    expect(at - sent).toBeLessThan(2000);
    expect(run.stderr.text()).toMatch(/^error: SIGINT again: exiting now/m);
    pgProxy.resume();
  });
});
