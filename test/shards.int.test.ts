/**
 * More than one machine (issue #17): `etl --shard I/N` runs stage their
 * shares of one bucket at once, as separate processes, and `sparkify model`
 * builds the star schema once after them. The result equals a single-process
 * run row for row — also when one shard is killed mid-run and rerun alone,
 * and for a later incremental round with --prune. While a shard runs, a
 * model build, a second run of the same shard, a shard of another count and
 * an unsharded run are refused, each naming the shard that holds the lock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { json, runCli, s3Env, s3Flags, startCli } from './support/cli.ts';
import { generatedBucket } from './support/generated-bucket.ts';
import { etl, withWarehouse } from './support/in-process.ts';
import { s3Endpoint, testS3Client } from './support/services.ts';
import { starTables } from './support/star-tables.ts';
import { until } from './support/wait.ts';
import { startS3FaultProxy } from './faults/s3-fault-proxy.ts';
import { createTables } from '../src/warehouse/tables.ts';
import { shardOfKey } from '../src/common/shard.ts';

let url: string;
let bucket: string;
let sources: string[];
let client: pg.Client;
let reference: Record<string, unknown[]>;
/** Every object key of the bucket, and the shard of 3 that owns it. */
let owners: Map<string, number>;

beforeAll(async () => {
  // Day objects of ~1000 events (~450 KB) are streamed, one transaction each: a shard commits several units.
  ({ url, bucket, client, reference, sourceFlags: sources } = await generatedBucket('shards', { songs: 60, days: 9, users: 60, events: 9_000, seed: 17 }));
  const keys = (await client.query<{ source_key: string }>('SELECT source_key FROM reference.etl_objects')).rows.map((r) => r.source_key);
  owners = new Map(keys.map((k) => [k, shardOfKey(k, 3)]));
}, 120_000);
afterAll(() => client?.end());

/** A load through S3 (by default the test server), printing its --json summary. */
const start = (args: string[], endpoint = s3Endpoint(), env: Record<string, string> = {}) => startCli([...args, '--s3-endpoint', endpoint, '--s3-path-style', '--json'], { env: { ...s3Env(), ...env } });

const etlArgs = (schema: string, extra: string[] = []) => ['etl', '--target', url, '--schema', schema, ...sources, ...extra];

async function expectReference(schema: string, expected = reference): Promise<void> {
  const after = await starTables(client, schema);
  for (const table of Object.keys(expected)) expect(after[table].length, `${schema}.${table}`).toBe(expected[table].length);
  // Compared as JSON text first (deep equality takes seconds on thousands of rows), its diff only on a difference.
  if (JSON.stringify(after) !== JSON.stringify(expected)) expect(after).toEqual(expected);
}

describe('a load split into shards', () => {
  it('three shard processes at once, then `sparkify model`, build the star schema of a single-process run', async () => {
    await withWarehouse({ target: url, schema: 'sharded' }, (wh) => createTables(wh));
    // Shard 0 by flag; shards 1 and 2 as a Kubernetes Indexed Job's and an AWS Batch array job's would learn theirs.
    const shards = await Promise.all([
      start(etlArgs('sharded', ['--shard', '0/3'])).done,
      start(etlArgs('sharded', ['--shards', '3']), s3Endpoint(), { JOB_COMPLETION_INDEX: '1' }).done,
      start(etlArgs('sharded', ['--shards', '3']), s3Endpoint(), { AWS_BATCH_JOB_ARRAY_INDEX: '2' }).done,
    ]);
    let staged = 0;
    for (const [i, r] of shards.entries()) {
      expect(r.code, r.stderr).toBe(0);
      const s = json(r);
      const share = [...owners.values()].filter((o) => o === i).length;
      expect(s).toMatchObject({ status: 'ok', shard: { name: `${i}/3`, otherShards: owners.size - share }, objects: { listed: share, loaded: share, failed: 0 } });
      // A shard stages only: no model step, and no checks of a star schema it left behind.
      expect(s.model).toBeUndefined();
      expect(s.checks).toBeUndefined();
      staged += s.objects.loaded;
    }
    expect(staged).toBe(owners.size);
    expect(Number((await client.query('SELECT COUNT(*) AS n FROM sharded.songplays')).rows[0].n)).toBe(0);

    const model = await runCli(['model', '--target', url, '--schema', 'sharded', '--json']);
    expect(model.code, model.stderr).toBe(0);
    expect(json(model)).toMatchObject({ status: 'ok', model: { mode: 'full' } });
    expect(json(model).checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
    await expectReference('sharded');
  }, 120_000);

  it('a shard killed mid-run and rerun alone gives the same result; meanwhile the lock refuses what must wait, naming the shard', async () => {
    const schema = 'killed';
    await withWarehouse({ target: url, schema }, (wh) => createTables(wh));
    // The victim: a shard with at least two day objects, which are streamed one transaction each.
    const days = (i: number) => [...owners].filter(([k, o]) => o === i && k.includes('log_data/')).length;
    const victim = [0, 1, 2].find((i) => days(i) >= 2)!;
    expect(victim).toBeDefined();
    // Its reads go through a proxy that lets its first day object through and then stalls: the
    // run has committed some objects, not all, and stays in the middle until it is killed.
    let logGets = 0;
    let stalled = false;
    const proxy = await startS3FaultProxy({
      upstream: s3Endpoint(),
      decide: (req) => (req.method === 'GET' && req.key.includes('log_data/') && ++logGets > 1 ? { kind: 'stall', at: 0.5 } : undefined),
      onFault: () => (stalled = true),
    });
    try {
      const runs = [0, 1, 2].map((i) => (i === victim ? start(etlArgs(schema, ['--shard', `${i}/3`, '--concurrency', '1']), proxy.endpoint) : start(etlArgs(schema, ['--shard', `${i}/3`]))));
      const committed = async () =>
        Number((await client.query(`SELECT COUNT(*) AS n FROM ${schema}.etl_objects o JOIN ${schema}.etl_runs r ON r.run_id = o.run_id WHERE r.command = $1`, [`etl --shard ${victim}/3`])).rows[0].n);
      await until('the victim shard to commit a unit and stall', async () => stalled && (await committed()) > 0, { timeoutMs: 60_000 });

      // While the victim runs: a model build, the same shard again, a shard of another count and an
      // unsharded run are all refused, naming it.
      const holder = new RegExp(`shard ${victim}/3: loader \\S+:\\d+`);
      const [model, same, otherCount, unsharded] = await Promise.all([
        runCli(['model', '--target', url, '--schema', schema]),
        runCli([...etlArgs(schema, ['--shard', `${victim}/3`]), ...s3Flags()], { env: s3Env() }),
        runCli([...etlArgs(schema, ['--shard', '0/2']), ...s3Flags()], { env: s3Env() }),
        runCli([...etlArgs(schema), ...s3Flags()], { env: s3Env() }),
      ]);
      expect(model.code, model.stderr).toBe(1);
      expect(model.stderr).toMatch(/^error: \d sparkify shard runs? holds? the lock on schema killed: /m);
      expect(model.stderr).toMatch(holder);
      expect(unsharded.code, unsharded.stderr).toBe(1);
      expect(unsharded.stderr).toMatch(holder);
      expect(same.code, same.stderr).toBe(1);
      expect(same.stderr).toMatch(new RegExp(`^error: shard ${victim} of schema killed is already being loaded: ${holder.source}`, 'm'));
      expect(otherCount.code, otherCount.stderr).toBe(1);
      expect(otherCount.stderr).toMatch(new RegExp(`^error: shards of another count are loading schema killed: .*${holder.source}.*; this run is shard 0/2`, 'm'));

      const killedAt = await committed();
      runs[victim].kill();
      const ended = await Promise.all(runs.map((r) => r.done));
      expect(ended[victim].signal).toBe('SIGKILL');
      for (const [i, r] of ended.entries()) if (i !== victim) expect(r.code, r.stderr).toBe(0);
      // Killed in the middle: some of its objects are committed, not all.
      const share = [...owners.values()].filter((o) => o === victim).length;
      expect(killedAt).toBeGreaterThan(0);
      expect(await committed()).toBe(killedAt);
      expect(killedAt).toBeLessThan(share);

      // The victim alone, again: it loads what the killed run did not commit, and marks that run crashed.
      const rerun = await runCli([...etlArgs(schema, ['--shard', `${victim}/3`, '--json']), ...s3Flags()], { env: s3Env() });
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(json(rerun)).toMatchObject({ status: 'ok', objects: { listed: share, loaded: share - killedAt, skipped: killedAt } });
      const statuses = (await client.query(`SELECT status FROM ${schema}.etl_runs WHERE command = $1 ORDER BY run_id`, [`etl --shard ${victim}/3`])).rows.map((r) => r.status);
      expect(statuses).toEqual(['crashed', 'ok']);
    } finally {
      await proxy.close();
    }
    const model = await runCli(['model', '--target', url, '--schema', schema, '--json']);
    expect(model.code, model.stderr).toBe(0);
    await expectReference(schema);
  }, 150_000);

  it('a later round of shards with --prune, then the model, equals a full load of the changed bucket', async () => {
    // The bucket changes: a day is re-delivered under a new key (its events' later copies win),
    // a song changes, a day disappears.
    const s3 = testS3Client();
    const keys = [...owners.keys()].sort();
    const days = keys.filter((k) => k.includes('log_data/'));
    const song = keys.find((k) => k.includes('song_data/'))!;
    const text = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: days[0].replace(/\d\d-events\.json$/, '30-events.json'), Body: await text(days[0]) }));
    const changed = JSON.parse(await text(song));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: song, Body: JSON.stringify({ ...changed, title: `${changed.title} (remastered)` }) }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: days[1] }));
    s3.destroy();
    const [, songs, , logs] = sources;
    await etl({ target: url, schema: 'reference_after', songs, logs }, { reset: true });

    const shards = await Promise.all([0, 1, 2].map((i) => start(etlArgs('sharded', ['--shard', `${i}/3`, '--prune'])).done));
    const summaries = shards.map((r) => (expect(r.code, r.stderr).toBe(0), json(r)));
    // Each shard prunes the vanished objects it owns, and only those.
    expect(summaries.reduce((n, s) => n + s.objects.pruned, 0)).toBe(1);
    expect(summaries[owners.get(days[1])!].objects.pruned).toBe(1);
    expect(summaries.reduce((n, s) => n + s.objects.loaded, 0)).toBe(2);
    // `etl --model-only` is `sparkify model`.
    const model = await runCli(['etl', '--model-only', '--target', url, '--schema', 'sharded', '--json']);
    expect(model.code, model.stderr).toBe(0);
    expect(json(model)).toMatchObject({ status: 'ok', objects: { listed: 0, loaded: 0 }, model: { mode: 'incremental' } });
    await expectReference('sharded', await starTables(client, 'reference_after'));
  }, 120_000);
});
