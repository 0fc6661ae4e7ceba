/**
 * PartWriter (Redshift stage mode): CSV text in, gzipped parts of bounded
 * size out, uploaded to S3 (the test server) as they fill.
 */
import { describe, expect, it } from 'vitest';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { StagingArea, parseS3Url } from '../../src/stage/s3-staging.ts';
import { createBucket, testS3Client } from '../support/services.ts';

const s3 = testS3Client();

async function read(url: string): Promise<Buffer> {
  const { bucket, key } = parseS3Url(url);
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

describe('PartWriter', () => {
  it('cuts the text into gzipped parts of at least partBytes (but the last), numbered, that give it back whole', async () => {
    const bucket = await createBucket(s3, 'parts');
    const area = new StagingArea(s3, { bucket, prefix: 'tmp/staging' }, 42);
    const folder = area.unit('u1');
    const writer = area.writer(folder, 'rows', { partBytes: 1000 });
    const rows = Array.from({ length: 250 }, (_, i) => `"k${i}",${i},"é, ""quoted"""\n`);
    // Rows written as strings and as Buffers, one or several at a time, and an empty write.
    for (let i = 0; i < rows.length; i += 3) await writer.write(i % 2 ? rows.slice(i, i + 3).join('') : Buffer.from(rows.slice(i, i + 3).join('')));
    await writer.write('');
    const urls = await writer.finish();
    expect(urls.length).toBeGreaterThan(3);
    expect(urls).toEqual(urls.map((_, i) => `s3://${bucket}/${area.prefix}/u1/rows-${String(i).padStart(4, '0')}.csv.gz`));
    expect(area.prefix).toMatch(/^tmp\/staging\/sparkify-run-42-[0-9a-f]{8}$/);
    const parts = await Promise.all(urls.map(async (u) => gunzipSync(await read(u)).toString('utf8')));
    expect(parts.join('')).toBe(rows.join(''));
    // A part closes once it holds partBytes: each but the last has at least that, and whole writes.
    for (const p of parts.slice(0, -1)) {
      expect(Buffer.byteLength(p)).toBeGreaterThanOrEqual(1000);
      expect(p.endsWith('\n')).toBe(true);
    }
    await area.remove(folder);
    expect(await keysUnder(bucket, folder)).toEqual([]);
  });

  it('writes no part at all for no text', async () => {
    const bucket = await createBucket(s3, 'parts-empty');
    const area = new StagingArea(s3, { bucket, prefix: '' }, 1);
    const writer = area.writer(area.unit('u1'), 'rejects');
    await writer.write('');
    expect(await writer.finish()).toEqual([]);
    expect(await keysUnder(bucket, '')).toEqual([]);
  });

  it('fails naming the part when the upload fails (a bucket that does not exist)', async () => {
    const area = new StagingArea(s3, { bucket: 'no-such-bucket-for-parts', prefix: 'x' }, 1);
    const writer = area.writer(area.unit('u1'), 'rows', { partBytes: 10 });
    const failed = (async () => {
      await writer.write('"a",1\n"b",2\n');
      return writer.finish();
    })();
    await expect(failed).rejects.toMatchObject({ code: 'SOURCE', message: expect.stringMatching(/^cannot upload s3:\/\/no-such-bucket-for-parts\/x\/sparkify-run-1-[0-9a-f]{8}\/u1\/rows-0000\.csv\.gz/) });
  });
});
