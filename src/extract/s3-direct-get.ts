/**
 * GetObject without the SDK's request pipeline, for S3-compatible endpoints.
 *
 * Song data are tens of thousands of one-record objects, and the SDK spends
 * ~0.5 ms of CPU on each GET before a byte moves (its middleware stack,
 * endpoint rules, schema serde, retry bookkeeping), more than the object's
 * parsing and COPY together: on a local server the loader's main thread is the
 * bound, and against S3's latency, with 128 reads in flight, so is its CPU.
 * Here a GET is signed with the SDK's own Signature V4 signer and sent on the
 * SDK's own connection pool: ~0.18 ms of CPU (50,000 objects from s3rver).
 *
 * Nothing is guessed. The first GET of a bucket goes through the SDK, and the
 * request it sent (endpoint, path, query, signed headers, signing scope) is
 * kept; the direct way is used only when re-signing that request here gives
 * byte for byte the SDK's Authorization header, and when the request holds no
 * header it does not know: response checksum validation (`x-amz-checksum-mode`,
 * the SDK's default on AWS), S3 Express session tokens, requester-pays, SigV4a
 * and anything else leave every GET to the SDK. A direct GET that does not
 * answer 200 (a redirect, throttling, an expired credential, a missing key) or
 * cannot connect is dropped and the SDK reads the object, with its retries and
 * its errors, so failures read the same either way.
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomUUID } from 'node:crypto';
import type { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildQueryString, extendedEncodeURIComponent } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { OpenedObject } from './source.ts';
import { Sha256 } from './sha256.ts';

/** The connection pools the S3 client sends on (s3-client.ts makes them), and its socket timeout. */
export interface DirectTransport {
  http: HttpAgent;
  https: HttpAgent;
  timeoutMs: number;
}

/** Headers of a learned request that signing makes again for each request. */
const SIGNING = new Set(['authorization', 'x-amz-date', 'x-amz-security-token']);
/** Headers of a learned request that are sent as they are (the SDK's invocation id is made new for each request). */
const KEPT = new Set(['host', 'x-amz-content-sha256', 'amz-sdk-request', 'amz-sdk-invocation-id', 'user-agent', 'x-amz-user-agent']);
/** How many SDK GETs may try to teach the template before the direct way is given up. */
const LEARNING_ATTEMPTS = 3;

/** A request as the SDK hands it to its HTTP handler (@smithy's HttpRequest). */
interface HttpRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | (string | null)[] | null>;
  headers: Record<string, string>;
  body?: unknown;
  fragment?: string;
}

/** What every direct GET of a bucket shares: where, and how it is signed. */
interface Template {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number | undefined;
  /** The path before the object's key (`/bucket/` path-style, `/` virtual-hosted). */
  pathPrefix: string;
  query: Record<string, string>;
  queryString: string;
  headers: Record<string, string>;
  /** Undefined: the SDK sent the request unsigned (--no-sign-request). */
  signer: SignatureV4 | undefined;
  region: string;
  service: string;
}

/** A key as the SDK writes it into a GetObject path (each `/`-separated segment escaped). */
export function keyPath(key: string): string {
  return key.split('/').map(extendedEncodeURIComponent).join('/');
}

/** The scope of an `AWS4-HMAC-SHA256` Authorization header: its region and service, or undefined for any other kind. */
export function signingScope(authorization: string): { accessKeyId: string; region: string; service: string } | undefined {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request, SignedHeaders=[^,\s]+, Signature=[0-9a-f]{64}$/.exec(authorization);
  return m ? { accessKeyId: m[1], region: m[2], service: m[3] } : undefined;
}

/**
 * The direct GETs of one source (its bucket). `learn` goes on the SDK command of a GET
 * while the template is unknown; `get` then reads an object directly, or
 * answers undefined when the SDK must (not learned yet, not usable, or this
 * request did not come back 200).
 */
export class DirectGets {
  private template: Template | undefined;
  private learning = false;
  private attempts = 0;
  /** Set when the learned request cannot be reproduced: every GET stays with the SDK. */
  private refused = false;
  private readonly client: S3Client;
  private readonly transport: DirectTransport;

  constructor(client: S3Client, transport: DirectTransport) {
    this.client = client;
    this.transport = transport;
  }

  /**
   * Lets the SDK GET of `key` about to be sent teach the template, when one
   * is still to be learned and no other GET is teaching it: adds a middleware
   * to its command and returns what to call once the GET has settled.
   */
  learn(stack: GetObjectCommand['middlewareStack'], key: string): (() => void) | undefined {
    if (this.template || this.refused || this.learning || this.attempts >= LEARNING_ATTEMPTS) return undefined;
    this.learning = true;
    this.attempts++;
    stack.add(
      (next) => async (args) => {
        // The request as it goes on the wire: serialized, endpoint resolved, signed (each attempt's; the last one counts).
        const sent = (args as { request?: HttpRequest }).request;
        const out = await next(args);
        const status = (out.response as { statusCode?: number } | undefined)?.statusCode;
        if (status === 200 && sent) await this.adopt(sent, key);
        return out;
      },
      { step: 'deserialize', priority: 'low', name: 'sparkifyLearnDirectGet' },
    );
    return () => {
      this.learning = false;
    };
  }

  /** Keeps `sent` as the template when it holds nothing unknown and re-signing it gives the SDK's signature. */
  private async adopt(sent: HttpRequest, key: string): Promise<void> {
    const template = templateOf(sent, key, this.client);
    if (!template) {
      this.refused = true;
      return;
    }
    const authorization = sent.headers.authorization;
    if (template.signer && authorization !== undefined) {
      const date = sent.headers['x-amz-date'];
      const again = await this.sign(template, sent.path, parseAmzDate(date), template.headers['amz-sdk-invocation-id']).catch(() => undefined);
      if (again?.headers.authorization !== authorization) {
        this.refused = true;
        return;
      }
    }
    this.template = template;
  }

  /**
   * Reads `key` directly: the object when the server answered 200, undefined when the SDK must
   * read it. `listedSize` stands in for a size the answer does not give (as the SDK path does).
   */
  async get(key: string, listedSize: number, signal?: AbortSignal): Promise<OpenedObject | undefined> {
    const t = this.template;
    if (!t) return undefined;
    const path = t.pathPrefix + keyPath(key);
    let headers: Record<string, string> = t.headers;
    if (t.signer) {
      const offset = (this.client.config as { systemClockOffset?: number }).systemClockOffset ?? 0;
      const signed = await this.sign(t, path, new Date(Date.now() + offset), randomUUID()).catch(() => undefined);
      if (!signed) return undefined; // no credentials now: the SDK says why
      headers = signed.headers;
    }
    const res = await this.send(t, path, headers, signal);
    if (!res) return undefined;
    if (res.statusCode !== 200) {
      res.resume();
      return undefined;
    }
    const etag = res.headers.etag;
    const length = Number(res.headers['content-length']);
    const modified = res.headers['last-modified'] ? Date.parse(res.headers['last-modified']) : NaN;
    return {
      body: res,
      contentEncoding: res.headers['content-encoding'],
      version: etag ? { etag, fingerprint: etag, size: res.headers['content-length'] !== undefined && Number.isFinite(length) ? length : listedSize, lastModified: Number.isNaN(modified) ? undefined : modified } : undefined,
    };
  }

  private sign(t: Template, path: string, signingDate: Date, invocationId: string | undefined): Promise<{ headers: Record<string, string> }> {
    const headers = { ...t.headers };
    if (invocationId !== undefined && 'amz-sdk-invocation-id' in headers) headers['amz-sdk-invocation-id'] = invocationId;
    const request: HttpRequest = { protocol: t.protocol, hostname: t.hostname, port: t.port, method: 'GET', path, query: t.query, headers };
    return t.signer!.sign(request as Parameters<SignatureV4['sign']>[0], { signingDate, signingRegion: t.region, signingService: t.service });
  }

  /** The response, or undefined when the request failed before one came (the SDK tries again, and reports). */
  private send(t: Template, path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage | undefined> {
    const https = t.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send({ agent: https ? this.transport.https : this.transport.http, protocol: t.protocol, hostname: t.hostname, port: t.port, method: 'GET', path: t.queryString ? `${path}?${t.queryString}` : path, headers, signal });
      req.setTimeout(this.transport.timeoutMs, () => req.destroy(Object.assign(new Error(`no data from S3 for ${this.transport.timeoutMs} ms`), { name: 'TimeoutError' })));
      req.once('response', (res) => resolve(res));
      // (`on`: an error after the response belongs to the body's reader, and must not go unheard here)
      req.on('error', () => {
        if (signal?.aborted) reject(signal.reason as Error);
        else resolve(undefined);
      });
      req.end();
    });
  }
}

/** The template of a request the SDK sent for `key`, or undefined when it holds what the direct way does not reproduce. */
function templateOf(sent: HttpRequest, key: string, client: S3Client): Template | undefined {
  if (sent.method !== 'GET' || (sent.protocol !== 'http:' && sent.protocol !== 'https:') || sent.body !== undefined) return undefined;
  const suffix = keyPath(key);
  if (!sent.path.endsWith(suffix) || sent.fragment) return undefined;
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(sent.query ?? {})) {
    if (typeof v !== 'string') return undefined;
    query[k] = v;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(sent.headers)) {
    const lower = name.toLowerCase();
    if (SIGNING.has(lower)) continue;
    if (!KEPT.has(lower)) return undefined;
    headers[lower] = value;
  }
  const authorization = sent.headers.authorization;
  let signer: SignatureV4 | undefined;
  let region = '';
  let service = '';
  if (authorization !== undefined) {
    const scope = signingScope(authorization);
    if (!scope || sent.headers['x-amz-date'] === undefined) return undefined;
    ({ region, service } = scope);
    // S3 signs paths as they are (no second escaping), as the SDK's S3 signer does.
    signer = new SignatureV4({ service, region, credentials: client.config.credentials, sha256: Sha256, uriEscapePath: false });
  }
  return {
    protocol: sent.protocol,
    hostname: sent.hostname,
    port: sent.port,
    pathPrefix: sent.path.slice(0, sent.path.length - suffix.length),
    query,
    queryString: buildQueryString(query),
    headers,
    signer,
    region,
    service,
  };
}

/** `20261206T131320Z` as a Date. */
function parseAmzDate(s: string | undefined): Date {
  const m = s === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return new Date(NaN);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}
