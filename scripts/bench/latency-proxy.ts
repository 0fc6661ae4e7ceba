/**
 * Real S3 latency in front of a local S3 server: a plain `node:http` proxy on
 * 127.0.0.1 (path-style requests) that holds every request for `delayMs`
 * before forwarding it, as a GET to S3 takes 20–50 ms before its first byte
 * where s3rver answers in a fraction of one. Bodies stream through both ways
 * (nothing is buffered), and the proxy counts the requests in flight by class
 * (object GETs, listings, the rest, or the caller's own classes) with the
 * most there ever were at once: what a loader really asks of S3.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the proxy sees it. */
export interface ProxiedRequest {
  method: string;
  bucket: string;
  /** Object key ('' for bucket-level requests such as a listing). */
  key: string;
  query: URLSearchParams;
}

export interface LatencyProxyOptions {
  /** http://host:port of the S3-compatible server. */
  upstream: string;
  /** Delay before each request is forwarded, ms (changeable later through `delayMs`). */
  delayMs: number;
  /** Delay of listings instead, ms (default: `delayMs`): slow pages show whether a loader waits for the whole listing. */
  listDelayMs?: number;
  /** The class a request is counted in (default: `get` for object GETs, `list` for listings, `other`). */
  classify?: (req: ProxiedRequest) => string;
  /** Told when each request arrives and when its answer has been sent (or the request failed). */
  observe?: (req: ProxiedRequest, phase: 'start' | 'end', cls: string) => void;
}

export interface LatencyProxy {
  readonly endpoint: string;
  delayMs: number;
  /** By class: requests seen, in flight now, and the most in flight at once. */
  readonly counts: Map<string, { total: number; inFlight: number; peak: number }>;
  /** Forgets the counts (between two runs through the same proxy). */
  resetCounts(): void;
  close(): Promise<void>;
}

/** The default classes: object GETs, listings, everything else. */
export function requestClass(req: ProxiedRequest): string {
  if (req.method === 'GET' && req.key !== '') return 'get';
  if (req.method === 'GET' && req.query.has('list-type')) return 'list';
  return 'other';
}

export async function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  const upstream = new URL(options.upstream);
  // As many sockets to the server as the loader opens to the proxy.
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const sockets = new Set<Socket>();
  const counts = new Map<string, { total: number; inFlight: number; peak: number }>();
  const classify = options.classify ?? requestClass;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const info: ProxiedRequest = { method: req.method ?? 'GET', bucket, key: decodeURIComponent(rest.join('/')), query: url.searchParams };
    const cls = classify(info);
    const count = counts.get(cls) ?? { total: 0, inFlight: 0, peak: 0 };
    counts.set(cls, count);
    count.total++;
    count.peak = Math.max(count.peak, ++count.inFlight);
    options.observe?.(info, 'start', cls);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      count.inFlight--;
      options.observe?.(info, 'end', cls);
    };
    res.on('close', end);
    setTimeout(() => {
      const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host }, agent }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    }, requestClass(info) === 'list' && options.listDelayMs !== undefined ? options.listDelayMs : proxy.delayMs);
  });
  // The SDK keeps connections alive; do not close them under it between requests.
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: LatencyProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    delayMs: options.delayMs,
    counts,
    resetCounts: () => counts.clear(),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
  return proxy;
}
