/**
 * An S3 (or S3-compatible) prefix as a source: paginated ListObjectsV2 and
 * streamed GetObject. The client is passed in (s3-client.ts builds it from config).
 */
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { Dataset } from '../common/datasets.ts';
import { SourceError } from '../common/errors.ts';
import { isTransientStatus } from '../common/retry.ts';
import { directTransportOf } from './s3-client.ts';
import { DirectGets } from './s3-direct-get.ts';
import { isDataKey, type OpenedObject, type Source, type SourceObject } from './source.ts';

export function s3Source(dataset: Dataset, client: S3Client, bucket: string, prefix: string): Source {
  const description = `s3://${bucket}/${prefix}`;
  // GETs without the SDK's pipeline once its first GET has shown how (s3-direct-get.ts); the SDK reads whatever they cannot.
  const transport = directTransportOf(client);
  const direct = transport && new DirectGets(client, transport);
  return {
    dataset,
    description,
    keyPrefix: prefix,
    async *list(signal?: AbortSignal) {
      try {
        // Extra arguments reach client.send: a stop abandons the page in flight.
        const pages = paginateListObjectsV2({ client, pageSize: 1000 }, { Bucket: bucket, Prefix: prefix }, { abortSignal: signal });
        for await (const page of pages) {
          signal?.throwIfAborted();
          for (const o of page.Contents ?? []) {
            if (!o.Key || !isDataKey(o.Key)) continue;
            const etag = detach(o.ETag ?? '');
            yield { dataset, key: detach(o.Key), size: o.Size ?? 0, etag, lastModified: o.LastModified?.getTime(), fingerprint: etag || `${o.Size}:${o.LastModified?.getTime()}` } satisfies SourceObject;
          }
        }
      } catch (err) {
        // A stop (SIGINT/SIGTERM) is the run's interruption, not a listing failure.
        if (signal?.aborted) throw signal.reason;
        throw s3Error(err, `cannot list ${description}`);
      }
    },
    async open(object: SourceObject, signal?: AbortSignal): Promise<OpenedObject> {
      try {
        const read = await direct?.get(object.key, object.size, signal);
        if (read) return read;
        const command = new GetObjectCommand({ Bucket: bucket, Key: object.key });
        const learnt = direct?.learn(command.middlewareStack, object.key);
        const out = await client.send(command, { abortSignal: signal }).finally(learnt);
        if (!out.Body) throw new SourceError(`s3://${bucket}/${object.key} has no body`, object.key);
        // The ledger records the version this GET returned, not the listed one: an object
        // overwritten since the listing is loaded as it is now, and known as such.
        const etag = out.ETag ? detach(out.ETag) : undefined;
        const version = etag ? { etag, fingerprint: etag, size: out.ContentLength ?? object.size, lastModified: out.LastModified?.getTime() } : undefined;
        return { body: out.Body as Readable, contentEncoding: out.ContentEncoding, version };
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        throw s3Error(err, `cannot read s3://${bucket}/${object.key}`, object.key);
      }
    },
  };
}

/**
 * A copy of `s` that owns its characters. Strings cut out of a listing page's
 * XML can keep the whole page alive (V8 sliced strings): 100,000 keys would
 * hold a hundred pages of XML.
 */
function detach(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** Turns an SDK error into one line that says what to check. */
export function s3Error(err: unknown, what: string, key?: string): SourceError {
  if (err instanceof SourceError) return err;
  const e = err as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? e.Code ?? e.code ?? 'Error';
  let reason: string;
  let hint: string | undefined;
  let retryable = false;
  switch (name) {
    case 'NoSuchBucket':
      reason = 'the bucket does not exist';
      hint = 'check the bucket name and the region/endpoint';
      break;
    case 'NoSuchKey':
      reason = 'the object no longer exists';
      break;
    case 'AccessDenied':
    case 'Forbidden':
      reason = 'access denied';
      hint = 'check the credentials and the bucket policy';
      break;
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'ExpiredToken':
    case 'InvalidToken':
    case 'CredentialsProviderError':
      reason = `S3 refused the credentials (${name})`;
      hint = 'check AWS_ACCESS_KEY_ID / AWS_PROFILE, or use --no-sign-request for a public bucket';
      break;
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'TimeoutError':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      reason = `cannot reach S3 (${name})`;
      retryable = true;
      break;
    default:
      reason = status ? `${name} (HTTP ${status})` : `${name}: ${(e.message ?? '').split('\n')[0]}`;
      retryable = isTransientStatus(status);
  }
  return new SourceError(`${what}: ${reason}`, key, { cause: err, hint, retryable });
}
