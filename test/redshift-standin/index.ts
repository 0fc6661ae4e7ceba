/**
 * A Redshift stand-in for tests: a Postgres-wire-protocol server on
 * 127.0.0.1 that runs each client session on its own connection to a real
 * Postgres, and behaves like Amazon Redshift where the loader can tell:
 * MD5 login, Redshift's startup parameters and version, its DDL dialect, its
 * refusals, TRUNCATE's implicit commit, and COPY from S3 (CSV and JSON) with
 * STL_LOAD_ERRORS. The facts it follows are in ../shared/REDSHIFT-FACTS.md.
 *
 * Test-only: it is not part of the product.
 */
import net from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { makeCluster, type Cluster, type ClusterOptions } from './cluster.ts';
import { bootstrap } from './load-errors.ts';
import { Session } from './session.ts';

export interface StandinOptions extends ClusterOptions {
  /** postgres://… of the real database the stand-in executes on. */
  upstreamUrl: string;
  /** The S3-compatible endpoint COPY reads from; `region` is the emulated cluster's region. */
  s3: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /** What clients must log in with (default 'awsuser' / 'Redshift1'). */
  user?: string;
  password?: string;
  /** 0 = pick a free one (default). */
  port?: number;
  /** When given, SSLRequest is answered 'S' and the connection upgraded; otherwise 'N'. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface RedshiftStandin {
  host: string;
  port: number;
  /** `redshift://user:password@127.0.0.1:port/<db>`; the database defaults to the upstream one. */
  url(database?: string): string;
  /** The flavour its sessions share (Serverless, collation, credentials…). */
  cluster: Cluster;
  /** The next `times` statements matching `pattern` fail with Redshift's serialization conflict (error 1023). */
  forceConflict(pattern: RegExp, times?: number): void;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startRedshiftStandin(opts: StandinOptions): Promise<RedshiftStandin> {
  const user = opts.user ?? 'awsuser';
  const password = opts.password ?? 'Redshift1';
  const upstream = new URL(opts.upstreamUrl);
  const defaultDatabase = decodeURIComponent(upstream.pathname.replace(/^\//, '')) || 'postgres';
  const s3 = new S3Client({
    endpoint: opts.s3.endpoint,
    region: opts.s3.region,
    credentials: opts.s3.credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const urlFor = (database: string): string => {
    const u = new URL(opts.upstreamUrl);
    u.pathname = `/${encodeURIComponent(database)}`;
    return u.toString();
  };
  // One autocommit pool per database for STL rows and query ids, bootstrapped once.
  const pools = new Map<string, { pool: pg.Pool; ready: Promise<pg.Pool> }>();
  const allPools: pg.Pool[] = [];
  const cluster = makeCluster(opts);
  const bookkeeping = (database: string): Promise<pg.Pool> => {
    let entry = pools.get(database);
    if (!entry) {
      const pool = new pg.Pool({ connectionString: urlFor(database), max: 2 });
      allPools.push(pool);
      const ready = bootstrap(pool, cluster).then(() => pool);
      entry = { pool, ready };
      pools.set(database, entry);
      // A failed bootstrap (e.g. no such database) is retried by the next session; this session reports it.
      ready.catch(() => pools.delete(database));
    }
    return entry.ready;
  };
  const sessions = new Set<Session>();
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const session = new Session(socket, {
      user,
      password,
      tls: opts.tls,
      s3,
      region: opts.s3.region,
      cluster,
      defaultDatabase,
      upstreamConfig: (database) => ({ connectionString: urlFor(database) }),
      bookkeeping,
      closed: (s) => sessions.delete(s),
    });
    sessions.add(session);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, HOST, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: HOST,
    port,
    url: (database = defaultDatabase) =>
      `redshift://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${HOST}:${port}/${encodeURIComponent(database)}`,
    cluster,
    forceConflict: (pattern, times = 1) => cluster.conflicts.add(pattern, times),
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...sessions].map((s) => s.destroy()));
      await stopped;
      await Promise.all(allPools.map((p) => p.end()));
      s3.destroy();
    },
  };
}
