import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createBucket, createDatabase, testS3Client, uploadDirectory, SAMPLE_DIR } from './services.ts';

describe('test services', () => {
  it('gives a database and a bucket', async () => {
    const url = await createDatabase('smoke');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('select 1 as one');
    await client.end();
    expect(rows[0].one).toBe(1);
    const s3 = testS3Client();
    const bucket = await createBucket(s3, 'smoke');
    const n = await uploadDirectory(s3, bucket, 'udacity', SAMPLE_DIR);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'udacity/log_data/' }));
    s3.destroy();
    expect(n).toBe(102);
    expect(listed.KeyCount).toBe(30);
  });
});
