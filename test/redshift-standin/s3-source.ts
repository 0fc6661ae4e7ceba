/**
 * The S3 side of COPY: which objects a FROM value names (a key prefix, or a
 * manifest's entries), and their bytes, decompressed when COPY says so.
 * [REDSHIFT-FACTS §1 "Manifest JSON format", §9 "Files and manifests"]
 */
import { pipeline, type Readable } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { internalError } from './errors.ts';
import type { Compression } from './copy-options.ts';

export interface S3Location {
  bucket: string;
  key: string;
}

/** One object to load, with the URL Redshift records in stl_load_errors.filename. */
export interface SourceFile extends S3Location {
  url: string;
  mandatory: boolean;
}

export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw internalError(`Invalid S3 URL: '${url}'`);
  return { bucket: m[1], key: m[2] };
}

const isMissing = (err: unknown): boolean => {
  const name = (err as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound';
};

/** Redshift reports S3 failures as `S3ServiceException:<message>,Status <code>,Error <name>`. */
export function s3Failure(err: unknown, url: string): Error {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return internalError(`S3ServiceException:${e.message ?? String(err)},Status ${e.$metadata?.httpStatusCode ?? 0},Error ${e.name ?? 'Unknown'}`, `while reading ${url}`);
}

/** Every key starting with the prefix, sorted (Redshift loads them all, `custdata.backup` included). */
export async function listPrefix(s3: S3Client, url: string): Promise<SourceFile[]> {
  const { bucket, key } = parseS3Url(url);
  const files: SourceFile[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }));
    } catch (err) {
      throw s3Failure(err, url);
    }
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      files.push({ bucket, key: o.Key, url: `s3://${bucket}/${o.Key}`, mandatory: true });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (files.length === 0) throw internalError(`The specified S3 prefix '${key}' does not exist`, `FROM '${url}'`);
  return files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Reads a whole small object (manifest, JSONPaths); undefined when it does not exist. */
export async function readSmallObject(s3: S3Client, url: string): Promise<Buffer | undefined> {
  const { bucket, key } = parseS3Url(url);
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw s3Failure(err, url);
  }
}

/**
 * The files a manifest lists, in manifest order (a URL listed twice loads twice).
 * `mandatory` defaults to false [DG:loading-data-files-using-manifest].
 */
export async function readManifest(s3: S3Client, url: string): Promise<SourceFile[]> {
  const raw = await readSmallObject(s3, url);
  if (raw === undefined) throw internalError(`Manifest file '${url}' does not exist (S3ServiceException:The specified key does not exist.,Status 404,Error NoSuchKey)`);
  let doc: unknown;
  try {
    // Manifests must not be compressed: gzip bytes simply fail to parse, as on Redshift.
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (err) {
    throw internalError(`Manifest file '${url}' is not in correct json format`, (err as Error).message);
  }
  const entries = (doc as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) throw internalError(`Manifest file '${url}' is not in correct json format`, 'it has no "entries" array');
  return entries.map((e: unknown, n) => {
    const entry = e as { url?: unknown; mandatory?: unknown };
    if (typeof entry.url !== 'string' || !entry.url.startsWith('s3://')) {
      throw internalError(`Manifest file '${url}' is not in correct json format`, `entry ${n} has no s3:// url`);
    }
    if (entry.mandatory !== undefined && typeof entry.mandatory !== 'boolean') {
      throw internalError(`Manifest file '${url}' is not in correct json format`, `entry ${n}: mandatory must be true or false`);
    }
    const loc = parseS3Url(entry.url);
    if (loc.key === '' || loc.key.endsWith('/')) {
      // Load error 8001 [DG:r_Load_Error_Reference].
      throw internalError('COPY with MANIFEST parameter requires full path of an S3 object', `entry ${n}: ${entry.url}`);
    }
    return { ...loc, url: entry.url, mandatory: entry.mandatory === true };
  });
}

/** Opens an object's body, decompressed; undefined when it does not exist. */
export async function openObject(s3: S3Client, file: SourceFile, compression: Compression): Promise<AsyncIterable<Buffer> | undefined> {
  let body: Readable;
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: file.bucket, Key: file.key }));
    body = res.Body as Readable;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw s3Failure(err, file.url);
  }
  if (compression === 'none') return body;
  const inflate = compression === 'gzip' ? createGunzip() : createZstdDecompress();
  // pipeline() destroys `inflate` with any error of either side, so the
  // consumer's for-await loop throws it; the callback has nothing to add.
  return pipeline(body, inflate, () => {});
}
