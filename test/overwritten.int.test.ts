/**
 * An object overwritten between listing and reading: the ledger records the
 * version whose bytes were loaded (the GET's ETag), so the next run reloads
 * exactly when it must — here, when the object is put back to the listed bytes.
 */
import { describe, expect, it } from 'vitest';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { createBucket, createDatabase, s3Endpoint, testS3Client } from './support/services.ts';
import { json, runCli, s3Env } from './support/cli.ts';
import { startS3FaultProxy } from './faults/s3-fault-proxy.ts';

const E = (i: number) => `{"ts":${1541030400000 + i},"sessionId":1,"itemInSession":${i},"page":"NextSong","userId":"5","level":"free"}`;
const KEY = 'log_data/2018-11-01-events.json';

describe('an object overwritten between listing and reading', () => {
  it('is recorded with the ETag of the bytes loaded, and reloaded when it changes back', async () => {
    const s3 = testS3Client();
    const bucket = await createBucket(s3, 'overwritten');
    const v1 = `${E(0)}\n${E(1)}\n`;
    const v2 = `${E(0)}\n${E(1)}\n${E(2)}\n`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: v1 }));
    let overwritten: Promise<unknown> | undefined;
    // Once the server listed v1, and before the loader hears of it, the object becomes v2.
    const proxy = await startS3FaultProxy({
      upstream: s3Endpoint(),
      beforeAnswer: (req, kind) => {
        if (kind === 'list' && !overwritten) overwritten = s3.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: v2 }));
        return overwritten;
      },
    });
    const url = await createDatabase('overwritten');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const flags = (endpoint: string) => ['--target', url, '--logs', `s3://${bucket}/log_data`, '--s3-endpoint', endpoint, '--s3-path-style', '--json'];
      const first = await runCli(['run', ...flags(proxy.endpoint)], { env: s3Env() });
      expect(first.code, first.stderr).toBe(0);
      await overwritten;
      const etag2 = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: KEY }))).ETag;
      expect(json(first)).toMatchObject({ records: { staged: 3 }, tables: { stg_events: 3 } });
      expect((await client.query('SELECT fingerprint, etag FROM etl_objects')).rows).toEqual([{ fingerprint: etag2, etag: etag2 }]);

      // Unchanged since: nothing to do.
      const second = await runCli(['etl', ...flags(s3Endpoint())], { env: s3Env() });
      expect(json(second)).toMatchObject({ objects: { loaded: 0, skipped: 1 } });
      // Put back to the listed bytes (the listed ETag): staging holds other bytes, so it reloads.
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: v1 }));
      const third = await runCli(['etl', ...flags(s3Endpoint())], { env: s3Env() });
      expect(json(third)).toMatchObject({ objects: { loaded: 1 }, tables: { stg_events: 2, songplays: 2 } });
    } finally {
      await client.end();
      await proxy.close();
      s3.destroy();
    }
  });
});
