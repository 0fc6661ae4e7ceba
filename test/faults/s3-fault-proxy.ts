/**
 * An S3 proxy for fault injection: plain `node:http` on 127.0.0.1 in front of
 * the test S3 server (path-style requests). For each request it asks the
 * schedule whether to misbehave, and then:
 *
 * - `s3-503` / `s3-500`: answers with S3's XML error body (SlowDown, InternalError);
 * - `reset-before`: resets the connection before any byte of a response;
 * - `reset-mid-body`: sends the headers and part of the body, then resets;
 * - `stall`: sends the headers and part of the body, then nothing, ever
 *   (the client's own timeout has to end it).
 *
 * Everything else is forwarded unchanged (the body is buffered: test objects are small).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { S3Fault } from './schedule.ts';

export interface S3Request {
  method: string;
  bucket: string;
  /** Object key ('' for bucket-level requests such as a listing). */
  key: string;
  /** The query string, e.g. `list-type=2&prefix=…`. */
  query: URLSearchParams;
}

export interface S3ProxyOptions {
  /** http://host:port of the real S3-compatible server. */
  upstream: string;
  /** Which fault (if any) this request gets; `at` (in [0, 1)) is where a mid-body fault cuts the body. */
  decide?: (req: S3Request) => { kind: S3Fault; at: number } | undefined;
  /** Told about every fault actually injected. */
  onFault?: (kind: S3Fault, req: S3Request) => void;
  /** Extra delay before answering a GetObject (slows a load down). */
  objectDelayMs?: number;
  /** Extra delay before answering a listing. */
  listDelayMs?: number;
  /** Called once the upstream server answered a request, before the proxy answers it; the answer waits for what it returns. */
  beforeAnswer?: (req: S3Request, kind: 'list' | 'get' | 'other') => unknown;
}

export interface S3FaultProxy {
  readonly endpoint: string;
  /** Requests seen, by method and whether they were listings. */
  readonly requests: { list: number; get: number; other: number };
  /** Stop answering anything, and drop every connection (stalled ones included). */
  close(): Promise<void>;
}

const ERROR_BODIES: Record<'s3-503' | 's3-500', { status: number; code: string; message: string }> = {
  's3-503': { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
  's3-500': { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
};

export async function startS3FaultProxy(options: S3ProxyOptions): Promise<S3FaultProxy> {
  const upstream = new URL(options.upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set<Socket>();
  const requests = { list: 0, get: 0, other: 0 };

  const server = http.createServer((req, res) => {
    void handle(req, res).catch(() => req.socket.destroy());
  });
  // The SDK keeps connections alive; do not close them under it between requests.
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await collect(req);
    const url = new URL(req.url ?? '/', 'http://proxy');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const s3req: S3Request = { method: req.method ?? 'GET', bucket, key: decodeURIComponent(rest.join('/')), query: url.searchParams };
    const isList = s3req.method === 'GET' && s3req.key === '' && url.searchParams.has('list-type');
    const isGet = s3req.method === 'GET' && s3req.key !== '';
    if (isList) requests.list++;
    else if (isGet) requests.get++;
    else requests.other++;

    const decision = isList || isGet ? options.decide?.(s3req) : undefined;
    const fault = decision?.kind;
    if (fault === 'reset-before') {
      options.onFault?.(fault, s3req);
      req.socket.resetAndDestroy();
      return;
    }
    if (fault === 's3-503' || fault === 's3-500') {
      options.onFault?.(fault, s3req);
      const e = ERROR_BODIES[fault];
      const requestId = randomBytes(8).toString('hex').toUpperCase();
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${e.message}</Message><Resource>/${bucket}/${s3req.key}</Resource><RequestId>${requestId}</RequestId></Error>`;
      res.writeHead(e.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml), 'x-amz-request-id': requestId });
      res.end(xml);
      return;
    }

    const answer = await forward(req, body);
    await options.beforeAnswer?.(s3req, isList ? 'list' : isGet ? 'get' : 'other');
    const delay = isGet ? options.objectDelayMs : isList ? options.listDelayMs : undefined;
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    delete headers.connection;
    headers['content-length'] = String(answer.body.length);
    if ((fault === 'reset-mid-body' || fault === 'stall') && answer.status === 200 && answer.body.length >= 2) {
      options.onFault?.(fault, s3req);
      res.writeHead(answer.status, headers);
      // Somewhere strictly inside the body: at least one byte sent, at least one missing.
      const cut = 1 + Math.floor(decision!.at * (answer.body.length - 1));
      res.write(answer.body.subarray(0, cut), () => {
        // Let the headers and the first bytes reach the client before the reset.
        if (fault === 'reset-mid-body') setTimeout(() => res.socket?.resetAndDestroy(), 20);
        // A stall sends nothing more; close() drops the socket at the end.
      });
      return;
    }
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  }

  function forward(req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const up = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host }, agent },
        (res) => {
          collect(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
