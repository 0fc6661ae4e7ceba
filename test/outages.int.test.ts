/**
 * The warehouse itself goes away (issue #15, "also prove"): a Postgres server
 * of the test's own is stopped and started in the middle of the COPYs, and
 * crashed in the middle of the model step; its disk (a tablespace on a small
 * tmpfs) fills up during a load. Each time the run retries or fails cleanly,
 * no object is half-loaded, and the next run ends exactly where a clean run ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { s3Endpoint } from './support/services.ts';
import { spawnCli, json, runCli, s3Env } from './support/cli.ts';
import { output, until } from './support/wait.ts';
import { generatedBucket } from './support/generated-bucket.ts';
import { starTables } from './support/star-tables.ts';
import { startPgCluster, type PgCluster } from './support/pg-cluster.ts';
import { startS3FaultProxy, type S3FaultProxy } from './faults/s3-fault-proxy.ts';

let cluster: PgCluster;
let bucket: string;
let reference: Record<string, unknown[]>;
let slowS3: S3FaultProxy;
let referenceClient: pg.Client;

beforeAll(async () => {
  ({ bucket, reference, client: referenceClient } = await generatedBucket('outages', { songs: 60, days: 12, users: 50, events: 12_000, seed: 11 }));
  cluster = await startPgCluster('outages');
  // ~120 ms per object, 8 at a time: the COPYs last a few seconds.
  slowS3 = await startS3FaultProxy({ upstream: s3Endpoint(), objectDelayMs: 120 });
}, 120_000);

afterAll(async () => {
  await slowS3?.close();
  await referenceClient?.end();
  cluster?.destroy();
});

/** A database on the test's own server; returns its URL and a client (the caller ends it). */
async function database(name: string): Promise<{ url: string; client: pg.Client }> {
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = cluster.url.replace(/\/postgres$/, `/${name}`);
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined); // the server goes away under it on purpose
  await client.connect();
  return { url, client };
}

const sources = (endpoint: string) => ['--songs', `s3://${bucket}/song_data`, '--logs', `s3://${bucket}/log_data`, '--s3-endpoint', endpoint, '--s3-path-style'];

function start(args: string[]) {
  const child = spawnCli(args, { env: { PATH: process.env.PATH, ...s3Env() } });
  const err = output(child.stderr);
  const out = output(child.stdout);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  void exited.then(() => clearTimeout(timer));
  /** Once the loader noticed the outage (it retries), or gave up and exited. */
  const noticed = (retry: RegExp) => Promise.race([err.waitFor(retry, 60_000), exited]);
  return { exited, noticed, stderr: err.text, stdout: out.text, stderrOutput: err };
}

/** Every etl_objects row has exactly its staged rows, and no staged row lacks its etl_objects row. */
async function expectNoHalfLoadedObject(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const objects = (await client.query(
      `SELECT o.source_key, o.rows_staged::int AS rows, (SELECT count(*) FROM stg_events e WHERE e.source_key = o.source_key)::int + (SELECT count(*) FROM stg_songs g WHERE g.source_key = o.source_key)::int AS staged FROM etl_objects o`,
    )).rows;
    expect(objects.filter((o) => o.rows !== o.staged)).toEqual([]);
    for (const table of ['stg_events', 'stg_songs']) {
      const orphans = (await client.query(`SELECT count(*)::int AS n FROM ${table} t WHERE NOT EXISTS (SELECT 1 FROM etl_objects o WHERE o.source_key = t.source_key)`)).rows[0].n;
      expect(orphans, `${table} rows without their etl_objects row`).toBe(0);
    }
    return objects.length;
  } finally {
    await client.end();
  }
}

/** The next run loads what is left and the star schema equals a clean load. */
async function expectNextRunEndsClean(url: string): Promise<void> {
  const again = await runCli(['etl', '--target', url, ...sources(s3Endpoint()), '--json'], { env: s3Env() });
  expect(again.code, again.stderr).toBe(0);
  expect(json(again)).toMatchObject({ status: 'ok', objects: { failed: 0 } });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    expect(await starTables(client, 'public')).toEqual(reference);
  } finally {
    await client.end();
  }
}

describe('warehouse outages', () => {
  it('a server stopped and started in the middle of the COPYs: the run retries or fails cleanly, and the next run ends where a clean one does', async () => {
    const { url, client } = await database('copies');
    const run = start(['run', '--target', url, ...sources(slowS3.endpoint), '--retries', '8', '--json']);
    await until('a first committed object', async () => Number((await client.query('SELECT count(*) AS n FROM etl_objects')).rows[0].n) > 0);
    await client.end();
    cluster.stop('fast');
    // The server stays down until the loader has noticed.
    await run.noticed(/retrying in \d+ ms/);
    cluster.start();
    const code = await run.exited;
    // Retried through the outage (0), or gave up naming what failed (1): never a hang or a crash.
    expect([0, 1], run.stderr()).toContain(code);
    console.log(`restart during the COPYs: exit ${code}, ${(run.stderr().match(/retrying in/g) ?? []).length} retries, ${await expectNoHalfLoadedObject(url)} objects committed`);
    if (code === 1) expect(json({ code, signal: null, stdout: run.stdout(), stderr: run.stderr() })).toMatchObject({ status: 'failed' });
    else expect(run.stderr()).toMatch(/retrying in \d+ ms/);
    await expectNoHalfLoadedObject(url);
    await expectNextRunEndsClean(url);
  });

  it('a server crash in the middle of the model step: the step is retried or fails cleanly, and the next run ends where a clean one does', async () => {
    const { url, client } = await database('model');
    expect((await runCli(['create-tables', '--target', url])).code).toBe(0);
    // An analyst's open transaction keeps the full build from swapping its tables in: the model step waits there.
    await client.query('BEGIN');
    await client.query('SELECT count(*) FROM songplays');
    const run = start(['etl', '--target', url, ...sources(s3Endpoint()), '--retries', '8', '--json']);
    await run.stderrOutput.waitFor(/model: full build started/);
    await until('the swap to wait', async () => {
      const waiting = await new pg.Client({ connectionString: url });
      await waiting.connect();
      try {
        return Number((await waiting.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name LIKE 'sparkify %'`)).rows[0].n) > 0;
      } finally {
        await waiting.end();
      }
    });
    cluster.stop('immediate');
    await client.end().catch(() => undefined);
    await run.noticed(/model step: .*retrying in/);
    cluster.start();
    const code = await run.exited;
    expect([0, 1], run.stderr()).toContain(code);
    console.log(`crash during the model step: exit ${code}, ${(run.stderr().match(/model step: .*retrying in/g) ?? []).length} model retries${code ? `; error: ${json({ code, signal: null, stdout: run.stdout(), stderr: run.stderr() }).error}` : ''}`);
    await expectNoHalfLoadedObject(url);
    await expectNextRunEndsClean(url);
  });

  it('a full disk: a clear error naming the table, nothing half-loaded, and the next run finishes once space is back', async (ctx) => {
    const { url, client } = await database('diskfull');
    const small = cluster.smallTablespace('small', 2);
    if (!small) {
      ctx.skip('cannot mount a tmpfs here (mounting needs root): the full-disk case is not tested on this machine');
      return;
    }
    await client.query(`CREATE TABLESPACE small LOCATION '${small.dir}'`);
    await client.query(`ALTER DATABASE diskfull SET default_tablespace = small`);
    await client.end();
    const r = await runCli(['run', '--target', url, ...sources(s3Endpoint()), '--json'], { env: s3Env() });
    expect(r.code, r.stderr).toBe(1);
    const error = json(r).error as string;
    // Postgres says which write failed: one that wrote nothing (ENOSPC), or one cut short ("wrote only 4096 of 8192 bytes").
    expect(error).toMatch(/COPY into stg_events from log_data\/\S+ failed: could not extend file .*(No space left on device|wrote only \d+ of \d+ bytes)/);
    expect(error).toMatch(/the warehouse is out of disk space: free some/);
    await expectNoHalfLoadedObject(url);
    small.resize(64);
    await expectNextRunEndsClean(url);
  });
});
