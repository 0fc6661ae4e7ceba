/**
 * Redshift stage mode writes validated rows as gzipped CSV parts under a
 * run-unique S3 prefix, lists them in a manifest (every entry mandatory: a
 * missing part must fail the COPY, not be skipped — REDSHIFT-FACTS §1), and
 * removes everything once the COPY has committed or failed.
 *
 * Parts are uploaded with @aws-sdk/lib-storage while they are written, so
 * memory per writer is bounded by `queueSize × partSize` of the multipart
 * upload plus one gzip window, whatever the size of the data.
 */
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createGzip, type Gzip } from 'node:zlib';
import { ConfigError } from '../common/errors.ts';
import { BUCKET_PATTERN } from '../common/aws-names.ts';
import { s3Error } from '../extract/s3-source.ts';

export interface StagingLocation {
  bucket: string;
  prefix: string;
}

const STAGING_URL = new RegExp(`^s3://(${BUCKET_PATTERN})(?:/(.*))?$`);

/** `s3://bucket/prefix` of the staging area, validated (it ends up inside COPY statements). */
export function parseStagingPrefix(url: string | undefined): StagingLocation {
  if (!url) throw new ConfigError('Redshift needs a staging prefix for its COPY files', { hint: 'set [S3] STAGING_PREFIX in dwh.cfg or --staging-prefix s3://bucket/prefix' });
  const m = STAGING_URL.exec(url);
  if (!m) throw new ConfigError(`staging prefix ${JSON.stringify(url)} must be s3://bucket/prefix`);
  const prefix = (m[2] ?? '').replace(/\/+$/, '');
  // Keys are quoted into COPY statements: keep them to characters that need no thought.
  if (!/^[A-Za-z0-9!\-_.*()/]*$/.test(prefix)) throw new ConfigError(`staging prefix ${JSON.stringify(url)} may only use letters, digits and !-_.*()/`);
  return { bucket: m[1], prefix };
}

export interface PartOptions {
  /** Uncompressed bytes per part (default 64 MiB): Redshift loads parts in parallel. */
  partBytes?: number;
}

/** A run-unique folder in the staging bucket. */
export class StagingArea {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;

  constructor(client: S3Client, location: StagingLocation, runId: number) {
    this.client = client;
    this.bucket = location.bucket;
    this.prefix = `${location.prefix ? `${location.prefix}/` : ''}sparkify-run-${runId}-${randomBytes(4).toString('hex')}`;
  }

  url(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** A sub-folder for one load unit. */
  unit(name: string): string {
    return `${this.prefix}/${name}`;
  }

  /** Writes a manifest of mandatory entries and returns its URL. */
  async manifest(folder: string, name: string, urls: readonly string[]): Promise<string> {
    const key = `${folder}/${name}.manifest`;
    const body = JSON.stringify({ entries: urls.map((url) => ({ url, mandatory: true })) });
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }));
    } catch (err) {
      throw s3Error(err, `cannot write ${this.url(key)}`);
    }
    return this.url(key);
  }

  /** Writes a small uncompressed object (a JSONPaths file) and returns its URL. */
  async put(key: string, body: string): Promise<string> {
    const full = `${this.prefix}/${key}`;
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: full, Body: body }));
    } catch (err) {
      throw s3Error(err, `cannot write ${this.url(full)}`);
    }
    return this.url(full);
  }

  writer(folder: string, name: string, options: PartOptions = {}): PartWriter {
    return new PartWriter(this.client, this.bucket, `${folder}/${name}`, options.partBytes ?? 64 * 1024 * 1024);
  }

  /** Deletes every object under `folder` (default: the whole area). */
  async remove(folder = this.prefix): Promise<void> {
    await removeFolder(this.client, this.bucket, folder);
  }

  /** Deletes every object under a folder given as `s3://bucket/folder` (another run's area). */
  async removeUrl(url: string): Promise<void> {
    const { bucket, key } = parseS3Url(url);
    await removeFolder(this.client, bucket, key);
  }
}

/** `s3://bucket/key` → its bucket and key. */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!m) throw new ConfigError(`${JSON.stringify(url)} is not an s3://bucket/key URL`);
  return { bucket: m[1], key: m[2] };
}

/** Lists the keys under `folder/`, page by page. */
export async function* listFolder(client: S3Client, bucket: string, folder: string): AsyncGenerator<string[]> {
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${folder}/`, ContinuationToken: token }));
    yield (page.Contents ?? []).map((o) => o.Key!);
    token = page.NextContinuationToken;
  } while (token);
}

async function removeFolder(client: S3Client, bucket: string, folder: string): Promise<void> {
  for await (const keys of listFolder(client, bucket, folder)) {
    if (keys.length) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
  }
}

/** CSV text in, gzipped parts of bounded size out, uploaded as they fill. */
export class PartWriter {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly base: string;
  private readonly partBytes: number;
  private readonly parts: string[] = [];
  private current: { gzip: Gzip; upload: Promise<unknown>; bytes: number } | undefined;
  rows = 0;

  constructor(client: S3Client, bucket: string, base: string, partBytes: number) {
    this.client = client;
    this.bucket = bucket;
    this.base = base;
    this.partBytes = partBytes;
  }

  /** Appends CSV text (whole rows), waiting when the upload is behind. */
  async write(csv: string | Buffer): Promise<void> {
    if (csv.length === 0) return;
    if (!this.current) this.open();
    const part = this.current!;
    part.bytes += csv.length;
    if (!part.gzip.write(csv)) await Promise.race([once(part.gzip, 'drain'), part.upload]);
    if (part.bytes >= this.partBytes) await this.close();
  }

  /** Finishes the last part; returns the URLs of every part written. */
  async finish(): Promise<string[]> {
    await this.close();
    return this.parts.map((key) => `s3://${this.bucket}/${key}`);
  }

  private open(): void {
    const key = `${this.base}-${String(this.parts.length).padStart(4, '0')}.csv.gz`;
    // Level 1: most of gzip's gain on CSV for a fraction of its CPU.
    const gzip = createGzip({ level: 1 });
    const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key: key, Body: gzip }, queueSize: 2, partSize: 8 * 1024 * 1024 })
      .done()
      .catch((err: unknown) => {
        throw s3Error(err, `cannot upload s3://${this.bucket}/${key}`);
      });
    upload.catch(() => undefined); // observed in close(); avoid an unhandled rejection meanwhile
    this.parts.push(key);
    this.current = { gzip, upload, bytes: 0 };
  }

  private async close(): Promise<void> {
    const part = this.current;
    if (!part) return;
    this.current = undefined;
    part.gzip.end();
    await part.upload;
  }
}
