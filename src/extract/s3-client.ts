/** Builds the S3 client from resolved settings (the only place one is created). */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Settings } from '../config/index.ts';
import type { DirectTransport } from './s3-direct-get.ts';
import { Sha256 } from './sha256.ts';

/**
 * Sockets per host: the reads in flight (up to 256 with --concurrency, 128 when
 * it adapts), the streamed objects, the listings and staging uploads. The SDK's
 * own default of 50 would queue reads inside the SDK, where latency is not hidden.
 */
const MAX_SOCKETS = 300;

export interface S3ClientLimits {
  /** Attempts per request, the first included (the SDK retries 5xx, throttling and resets with backoff). */
  maxAttempts: number;
  /** Connection and idle-socket timeout in ms: a stalled body fails instead of hanging. */
  timeoutMs: number;
}

/** The connection pools of the clients made here, which direct GETs share (s3-direct-get.ts); the client's destroy() closes them. */
const transports = new WeakMap<S3Client, DirectTransport>();

/** What direct GETs send on for `client`: undefined for a client not made here (or given its own request handler). */
export function directTransportOf(client: S3Client): DirectTransport | undefined {
  return transports.get(client);
}

export function makeS3Client(settings: S3Settings, limits: S3ClientLimits = { maxAttempts: 5, timeoutMs: 60_000 }, overrides: Partial<S3ClientConfig> = {}): S3Client {
  // Made here, not by the SDK, so that direct GETs share them (the SDK's own are keep-alive pools of the same kind);
  // none when the caller brings its own request handler.
  const transport: DirectTransport | undefined = overrides.requestHandler ? undefined : { http: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }), https: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }), timeoutMs: limits.timeoutMs };
  const config: S3ClientConfig = {
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    maxAttempts: limits.maxAttempts,
    requestHandler: { connectionTimeout: limits.timeoutMs, socketTimeout: limits.timeoutMs, httpAgent: transport?.http, httpsAgent: transport?.https },
    // Request signing with its HMAC keys made once (sha256.ts): the SDK's makes them on every request.
    sha256: Sha256,
  };
  if (settings.endpoint) {
    config.endpoint = settings.endpoint;
    // Many S3-compatible servers reject the SDK's default CRC checksums.
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  // A named profile of the shared config and credentials files (~/.aws/config, ~/.aws/credentials), like `aws --profile`.
  if (settings.profile && !settings.anonymous) config.profile = settings.profile;
  if (settings.anonymous) {
    // Public buckets: send requests unsigned (aws-sdk-js-v3#2321), like `aws s3 --no-sign-request`.
    config.credentials = { accessKeyId: '', secretAccessKey: '' };
    config.signer = { sign: async (request) => request };
  }
  const client = new S3Client({ ...config, ...overrides });
  if (transport) transports.set(client, transport);
  return client;
}
