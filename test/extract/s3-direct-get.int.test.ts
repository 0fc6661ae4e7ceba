/**
 * Direct GETs (src/extract/s3-direct-get.ts) against a real S3-compatible
 * server: after the SDK's first GET, objects are read without it, byte for
 * byte and version for version as the SDK reads them, whatever their keys
 * spell; what the direct way does not reproduce (checksum validation) or does
 * not get a 200 for (a missing key) is read by the SDK, with its errors.
 * s3rver checks no signatures: that direct requests are signed as the SDK
 * signs them is what adopting a template checks (the SDK's own signature of
 * its first GET, made again here), and the counts below show it was adopted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { makeS3Client } from '../../src/extract/s3-client.ts';
import { Sha256 } from '../../src/extract/sha256.ts';
import { s3Source } from '../../src/extract/s3-source.ts';
import { keyPath, signingScope } from '../../src/extract/s3-direct-get.ts';
import type { Source, SourceObject } from '../../src/extract/source.ts';
import { createBucket, s3Endpoint, S3_TEST_CREDENTIALS, testS3Client } from '../support/services.ts';

/** A loader's client for the test server, and the GETs that went through the SDK's pipeline. */
function loaderClient(overrides: Partial<S3ClientConfig> = {}): { client: S3Client; sdkGets: string[] } {
  const client = makeS3Client(
    { endpoint: s3Endpoint(), region: 'us-east-1', regionConfigured: true, forcePathStyle: true, anonymous: false },
    { maxAttempts: 2, timeoutMs: 10_000 },
    { credentials: S3_TEST_CREDENTIALS, ...overrides },
  );
  const sdkGets: string[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = (args as { request: { method: string; path: string } }).request;
      if (request.method === 'GET' && !('list-type' in ((args as { request: { query?: object } }).request.query ?? {}))) sdkGets.push(request.path);
      return next(args);
    },
    { step: 'deserialize', priority: 'low', name: 'countSdkGets' },
  );
  return { client, sdkGets };
}

async function listAll(source: Source): Promise<SourceObject[]> {
  const out: SourceObject[] = [];
  for await (const o of source.list()) out.push(o);
  return out;
}

async function readAll(source: Source, object: SourceObject): Promise<{ text: string; etag?: string; size?: number }> {
  const opened = await source.open(object);
  const chunks: Buffer[] = [];
  for await (const c of opened.body) chunks.push(c as Buffer);
  return { text: Buffer.concat(chunks).toString('utf8'), etag: opened.version?.etag, size: opened.version?.size };
}

describe('direct GETs', () => {
  let s3: S3Client;
  beforeAll(() => {
    s3 = testS3Client();
  });
  afterAll(() => s3.destroy());

  it('read every object after the first without the SDK, with the bytes and versions the SDK reads, whatever the keys spell', async () => {
    const bucket = await createBucket(s3, 'direct');
    const keys = ['song_data/a.json', 'song_data/a b/c+d=e&f;g,h.json', "song_data/(x)!'*~$@.json", 'song_data/é/ü😀.json', 'song_data/%41%2F.json', 'song_data/deep/er/still/z.json'];
    for (const [i, Key] of keys.entries()) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `{"n":${i},"key":${JSON.stringify(Key)}}` }));
    const { client, sdkGets } = loaderClient();
    try {
      const source = s3Source('songs', client, bucket, 'song_data/');
      const listed = await listAll(source);
      expect(listed.map((o) => o.key).sort()).toEqual([...keys].sort());
      for (const o of listed) {
        const read = await readAll(source, o);
        const sdk = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.key }));
        expect(read.text).toBe(await sdk.Body!.transformToString());
        expect(read.etag).toBe(sdk.ETag);
        expect(read.etag).toBe(o.etag);
        expect(read.size).toBe(Buffer.byteLength(read.text));
      }
      // The first GET taught the template; the rest went direct.
      expect(sdkGets).toHaveLength(1);
    } finally {
      client.destroy();
    }
  });

  it('read any key as the SDK does (its path escaping, property)', async () => {
    const bucket = await createBucket(s3, 'direct-keys');
    const { client, sdkGets } = loaderClient();
    const segment = fc.string({ unit: fc.constantFrom(...'aZ09-_.~ !$&\'()*+,;=:@%#?[]{}^`|"<>é€😀'.split(/(?:)/u)), minLength: 1, maxLength: 12 }).filter((s) => s !== '.' && s !== '..');
    try {
      const source = s3Source('songs', client, bucket, 'p/');
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'p/first.json', Body: '{}' }));
      await readAll(source, { dataset: 'songs', key: 'p/first.json', size: 2, fingerprint: '' });
      await fc.assert(
        fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 3 }), async (segments) => {
          const key = `p/${segments.join('/')}.json`;
          const body = JSON.stringify({ key });
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
          const before = sdkGets.length;
          expect((await readAll(source, { dataset: 'songs', key, size: body.length, fingerprint: '' })).text).toBe(body);
          expect(sdkGets.length).toBe(before); // read directly: a wrong path would have been a 404 and an SDK GET
          await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        }),
        { numRuns: 60 },
      );
      expect(sdkGets).toHaveLength(1);
    } finally {
      client.destroy();
    }
  });

  it('leave a GET that does not answer 200 to the SDK, which names the missing object', async () => {
    const bucket = await createBucket(s3, 'direct-gone');
    for (const Key of ['p/a.json', 'p/b.json']) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: '{}' }));
    const { client, sdkGets } = loaderClient();
    try {
      const source = s3Source('songs', client, bucket, 'p/');
      const [a, b] = await listAll(source);
      await readAll(source, a);
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: b.key }));
      await expect(readAll(source, b)).rejects.toThrow(`cannot read s3://${bucket}/p/b.json: the object no longer exists`);
      expect(sdkGets).toEqual([`/${bucket}/p/a.json`, `/${bucket}/p/b.json`]);
    } finally {
      client.destroy();
    }
  });

  // The SDK reads every object (and they read right) when its first GET holds what the direct way does not reproduce.
  const everyGetWithTheSdk = async (label: string, keys: string[], overrides: Partial<S3ClientConfig>) => {
    const bucket = await createBucket(s3, label);
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: '{}' }));
    const { client, sdkGets } = loaderClient(overrides);
    try {
      const source = s3Source('songs', client, bucket, 'p/');
      for (const o of await listAll(source)) expect((await readAll(source, o)).text).toBe('{}');
      expect(sdkGets).toHaveLength(keys.length);
    } finally {
      client.destroy();
    }
  };

  it('stay with the SDK when it validates response checksums (its default on AWS)', async () => {
    await everyGetWithTheSdk('direct-checksums', ['p/a.json', 'p/b.json', 'p/c.json'], { responseChecksumValidation: 'WHEN_SUPPORTED' });
  });

  it('stay with the SDK when its signature of the first GET cannot be made again here', async () => {
    // A signer that escapes paths a second time (as for services other than S3): the same headers, another signature.
    const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: S3_TEST_CREDENTIALS, sha256: Sha256, uriEscapePath: true });
    await everyGetWithTheSdk('direct-signer', ['p/a b.json', 'p/c d.json'], { signer });
  });

  it('send unsigned requests for a public bucket (--no-sign-request)', async () => {
    const bucket = await createBucket(s3, 'direct-anon');
    for (const Key of ['p/a.json', 'p/b.json', 'p/c.json']) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `"${Key}"` }));
    const client = makeS3Client({ endpoint: s3Endpoint(), region: 'us-east-1', regionConfigured: true, forcePathStyle: true, anonymous: true }, { maxAttempts: 2, timeoutMs: 10_000 });
    const seen: string[] = [];
    client.middlewareStack.add((next) => async (args) => (seen.push((args as { request: { path: string } }).request.path), next(args)), { step: 'deserialize', priority: 'low', name: 'countSdkRequests' });
    try {
      const source = s3Source('songs', client, bucket, 'p/');
      const listed = await listAll(source);
      for (const o of listed) expect((await readAll(source, o)).text).toBe(`"${o.key}"`);
      expect(seen.filter((p) => p !== `/${bucket}/`)).toEqual([`/${bucket}/p/a.json`]);
    } finally {
      client.destroy();
    }
  });
});

describe('what a learned request must hold', () => {
  it('reads the scope of a Signature V4 header, and nothing else', () => {
    const sig = 'a'.repeat(64);
    expect(signingScope(`AWS4-HMAC-SHA256 Credential=AKID/20261206/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${sig}`)).toEqual({ accessKeyId: 'AKID', region: 'eu-west-1', service: 's3' });
    expect(signingScope(`AWS4-ECDSA-P256-SHA256 Credential=AKID/20261206/s3/aws4_request, SignedHeaders=host, Signature=${sig}`)).toBeUndefined();
    expect(signingScope(`AWS4-HMAC-SHA256 Credential=AKID/20261206/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=zz`)).toBeUndefined();
  });

  it('escapes a key per segment as the SDK does', () => {
    expect(keyPath("a b/c+d/(x)!'*~é")).toBe('a%20b/c%2Bd/%28x%29%21%27%2A~%C3%A9');
    expect(keyPath('plain/Key_1-2.json')).toBe('plain/Key_1-2.json');
  });
});
