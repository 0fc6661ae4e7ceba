/**
 * Opens the warehouse a run works on: a pg.Pool on Postgres, Redshift or the
 * embedded default, with TLS settings applied and connection failures turned
 * into one clear line (never a password, never a stack).
 */
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { describeTarget, type Config, type ConnectionSettings } from '../config/index.ts';
import { dialectFor, TableNames, type Dialect } from '../dialect/index.ts';
import { CANCEL_BACKEND_SQL } from '../dialect/catalog.ts';
import { OTHER_LOADER_SESSIONS_SQL } from '../dialect/postgres-catalog.ts';
import { describeError, SparkifyError, WarehouseError, pgFields } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { openEmbedded, type EmbeddedServer } from './embedded.ts';

const TIMESTAMP_OID = 1114;

export interface Warehouse {
  readonly dialect: Dialect;
  readonly names: TableNames;
  readonly pool: pg.Pool;
  /** Display form of the target, without secrets. */
  readonly description: string;
  readonly embedded?: EmbeddedServer;
  /**
   * Statements to run when the command is interrupted (see `signal`), on a
   * connection of their own, right after the statements in flight are cancelled.
   */
  onInterrupt?(sql: string, params?: unknown[]): void;
  /** Settles when an interruption's cancels and statements are done; undefined until a signal. */
  readonly interrupting?: Promise<void> | undefined;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /**
   * A stop (SIGINT/SIGTERM): every statement in flight is cancelled at once —
   * one waiting on another session's lock included — so the run's rollbacks
   * and bookkeeping follow without delay.
   */
  signal?: AbortSignal;
}

/** Connects to the configured target and checks the connection works. */
export async function openWarehouse(config: Config, log: Logger, options: OpenOptions = {}): Promise<Warehouse> {
  const target = config.target;
  let embedded: EmbeddedServer | undefined;
  let settings: ConnectionSettings;
  if (target.kind === 'embedded') {
    embedded = await openEmbedded(target.dir, log);
    settings = embedded.connection;
  } else {
    settings = target.connection;
  }
  const dialect = dialectFor(target.kind === 'redshift' ? 'redshift' : 'postgres');
  // The embedded server's data may live elsewhere than its folder (root in a private folder): say where.
  const description = embedded && embedded.dataDir !== join(target.kind === 'embedded' ? target.dir : '', 'pg') ? `${describeTarget(target)} (data in ${embedded.dataDir})` : describeTarget(target);
  // The pool's sockets, so that a connection refused mid-handshake can be closed at once: after a
  // failed SCRAM exchange (no password given) the server holds the socket for authentication_timeout
  // (60 s), and pool.end() and the process would wait for it.
  const sockets = new Set<Socket>();
  const login = target.kind === 'redshift' && target.redshift.iam ? await iamLogin(target, config, description) : { user: settings.user, password: settings.password };
  const pool = new pg.Pool({
    stream: () => {
      const socket = new Socket();
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      return socket;
    },
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: login.user,
    password: login.password,
    ssl: sslOptions(settings),
    max: options.poolSize ?? 10,
    // Redshift may ask for an authentication node-postgres cannot answer: a clear error, not a crash.
    ...(target.kind === 'redshift' ? { Client: (await import('./guarded-client.ts')).GuardedClient } : {}),
    application_name: `sparkify ${config.runner.host}:${config.runner.pid}`,
    connectionTimeoutMillis: config.load.timeoutSeconds * 1000,
    // No lock wait outlasts --timeout: another session's LOCK fails the statement (55P03, explained
    // by explain.ts) instead of hanging the run, where the warehouse has the setting.
    lock_timeout: dialect.lockTimeoutMs(config.load.timeoutSeconds),
    // A server that vanishes mid-COPY is noticed by TCP keepalive instead of hanging the run.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // TIMESTAMP columns hold UTC without a zone: keep their text rather than reading them as local time.
    types: { getTypeParser: ((oid: number, format?: string) => (oid === TIMESTAMP_OID ? (v: string) => v : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser },
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', (err) => log.debug(`idle connection error: ${err.message}`));
  // Clients in use, whose statements an interruption cancels.
  const busy = new Set<pg.PoolClient>();
  pool.on('acquire', (c) => busy.add(c));
  pool.on('release', (_err, c) => busy.delete(c));
  pool.on('remove', (c) => busy.delete(c as pg.PoolClient));
  const onInterrupt: { sql: string; params?: unknown[] }[] = [];
  let interrupting: Promise<void> | undefined;
  const interrupt = () => {
    interrupting ??= cancelAndRecord(pool, [...busy], onInterrupt).catch((err: unknown) => log.debug(`interrupting: ${describeError(err)}`));
  };
  if (options.signal?.aborted) interrupt();
  else options.signal?.addEventListener('abort', interrupt, { once: true });
  try {
    const client = await pool.connect();
    try {
      if (await dialect.caseInsensitive(client)) throw caseInsensitiveError(description);
    } finally {
      client.release();
    }
  } catch (err) {
    for (const socket of sockets) socket.destroy();
    await pool.end().catch(() => undefined);
    if (embedded?.startedHere) await embedded.stop().catch(() => undefined);
    throw connectionError(err, description, target.kind === 'redshift' ? settings : undefined);
  }
  return {
    dialect,
    names: new TableNames(config.schema),
    pool,
    description,
    embedded,
    onInterrupt(sql, params) {
      onInterrupt.push({ sql, params });
    },
    get interrupting() {
      return interrupting;
    },
    async close() {
      options.signal?.removeEventListener('abort', interrupt);
      let othersConnected = 0;
      if (embedded) {
        // Leave the embedded server up while another sparkify run still uses it.
        const r = await pool
          .query(OTHER_LOADER_SESSIONS_SQL, [`sparkify ${config.runner.host}:${config.runner.pid}`])
          .catch(() => ({ rows: [{ n: 0 }] }));
        othersConnected = r.rows[0].n;
      }
      await pool.end();
      if (embedded && othersConnected === 0) await embedded.stop();
    },
  };
}

/**
 * The user and password of IAM sign-in: the first credentials name the
 * database user (it follows from the IAM identity or DB_USER, and stays the
 * same); every new connection then asks for a password that is still valid.
 */
async function iamLogin(target: Extract<Config['target'], { kind: 'redshift' }>, config: Config, description: string): Promise<{ user: string; password: () => Promise<string> }> {
  const iam = target.redshift.iam!;
  const { awsCredentialsFetcher, CredentialsCache } = await import('./iam-credentials.ts');
  const cache = new CredentialsCache(
    awsCredentialsFetcher(iam, { database: target.connection.database, serverless: target.redshift.serverless, timeoutMs: config.load.timeoutSeconds * 1000, maxAttempts: config.load.retries + 1 }),
  );
  const first = await cache.get();
  return {
    user: first.user,
    password: async () => {
      const c = await cache.get();
      if (c.user !== first.user) throw new WarehouseError('CONNECTION', `cannot connect to ${description}: IAM sign-in now issues credentials for ${c.user}, not ${first.user}`);
      return c.password;
    },
  };
}

/**
 * A case-insensitive database (Redshift `COLLATE CASE_INSENSITIVE`) would
 * make 'Song' and 'song' one song, one winning copy, one match. The loader's
 * rules are case-exact, so such a database is refused rather than silently
 * given other results.
 */
function caseInsensitiveError(description: string): WarehouseError {
  return new WarehouseError('CONNECTION', `${description} is a case-insensitive database (COLLATE CASE_INSENSITIVE): the loader's keys, winning copies and song matches are case-exact and would silently differ there`, {
    hint: 'load into a database created with the default collation (case_sensitive)',
  });
}

function sslOptions(c: ConnectionSettings): pg.ClientConfig['ssl'] {
  const ca = c.sslRootCert ? readFileSync(c.sslRootCert, 'utf8') : undefined;
  switch (c.sslMode) {
    case 'disable':
    case 'prefer': // pg has no opportunistic TLS; prefer behaves as disable (documented in the README)
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ca };
  }
}

/**
 * One line saying why we could not connect, and what to check. `redshift`
 * (the connection settings of a Redshift target) adds Redshift's usual causes.
 */
export function connectionError(err: unknown, description: string, redshift?: ConnectionSettings): SparkifyError {
  if (err instanceof SparkifyError) return err;
  const e = err as NodeJS.ErrnoException & { code?: string };
  const fields = pgFields(err);
  const at = `cannot connect to ${description}`;
  if (/authenticationOk message type 1[34]\b/.test(e.message ?? '')) {
    // Redshift asks for code 13 (or 14) for users whose password was set as a SHA-256 digest [REDSHIFT-FACTS §8].
    return new WarehouseError('CONNECTION', `${at}: the server asks for SHA-256 password authentication (a user created with PASSWORD 'sha256|…'), which node-postgres cannot answer`, {
      cause: err,
      hint: "sign in with IAM instead (IAM_AUTH = true, or --iam-auth), or give the user an MD5 or plain-text password (ALTER USER name PASSWORD '…')",
    });
  }
  if (redshift && (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /does not match certificate's altnames/.test(e.message ?? ''))) {
    return new WarehouseError('CONNECTION', `${at}: the server's TLS certificate is not issued for ${redshift.host}`, {
      cause: err,
      hint: "Redshift's certificate names the cluster's own endpoint: connect through that name, or, for a VPC endpoint or a custom DNS name, set SSLMODE = verify-ca (the certificate is still checked against its CA, not its name)",
    });
  }
  switch (fields?.code ?? e.code) {
    case 'ECONNREFUSED':
      return new WarehouseError('CONNECTION', `${at}: connection refused`, { cause: err, hint: 'is the server running and the port right?' });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new WarehouseError('CONNECTION', `${at}: host not found`, { cause: err });
    case 'ETIMEDOUT':
      return new WarehouseError('CONNECTION', `${at}: timed out`, { cause: err, retryable: true });
    case '28P01':
    case '28000':
      return new WarehouseError('CONNECTION', `${at}: authentication failed`, { cause: err, sqlState: fields?.code, hint: 'check the user and password' });
    case '3D000':
      return new WarehouseError('CONNECTION', `${at}: the database does not exist`, { cause: err, sqlState: '3D000' });
    default: {
      // node-postgres says "SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string" when the server asks for a password and none was given.
      if (/client password must be a string/.test(e.message ?? '')) {
        return new WarehouseError('CONNECTION', `${at}: the server asks for a password and none was given`, { cause: err, hint: 'set PGPASSWORD, or put the password in the URL or [CLUSTER] DB_PASSWORD' });
      }
      const message = e.message?.includes('timeout') ? 'timed out' : (e.message ?? String(err)).split('\n')[0];
      return new WarehouseError('CONNECTION', `${at}: ${message}`, { cause: err, sqlState: fields?.code });
    }
  }
}

/**
 * Cancels what the clients in use are running (a statement waiting on a lock
 * included), from a connection of its own since the pool may be all busy, then
 * runs `statements` (e.g. marking the run interrupted) on it.
 */
async function cancelAndRecord(pool: pg.Pool, clients: pg.PoolClient[], statements: readonly { sql: string; params?: unknown[] }[]): Promise<void> {
  const pids = clients.map((c) => (c as unknown as { processID: number | null }).processID).filter((pid): pid is number => !!pid);
  const client = new pg.Client(pool.options);
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (const pid of pids) await client.query(CANCEL_BACKEND_SQL, [pid]);
    for (const s of statements) await client.query(s.sql, s.params);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs `work` inside BEGIN … COMMIT on one pooled client; rolls back on any error. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // pg-pool takes its idle 'error' listener off a client it hands out: without
  // one, a connection the server drops mid-transaction (a terminated backend,
  // a failover) is an unhandled 'error' event that kills the process. The
  // query in flight fails anyway, and so does the next one.
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true; // the connection is gone: do not return it to the pool
    });
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
