/**
 * One client connection: SSL negotiation, startup parameters (Redshift
 * refuses the ones it does not know), MD5 password authentication, then the
 * simple and extended query protocols, each statement run by statement-runner
 * on this session's own upstream connection. ReadyForQuery reports the
 * upstream transaction status, so BEGIN/COMMIT/ROLLBACK and the failed-
 * transaction state behave as on the server.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';
import pg from 'pg';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Cluster } from './cluster.ts';
import { StandinError, UpstreamFailure, type ErrorFields } from './errors.ts';
import { ExtendedQuery } from './extended-query.ts';
import { codePointLength, isWord, significant, splitStatements } from './sql-lexer.ts';
import { checkRefusals } from './sql-refusals.ts';
import type { CopyFunctionValues } from './sql-rewrite.ts';
import { md5Response, redshiftParameterStatus, refusedParameter, upstreamSettings } from './startup.ts';
import { runStatement, type Outcome, type RunnerContext } from './statement-runner.ts';
import { Upstream, type UpstreamNotice } from './upstream.ts';
import * as wire from './wire.ts';

export interface SessionServices {
  user: string;
  password: string;
  tls?: { key: string | Buffer; cert: string | Buffer };
  s3: S3Client;
  region: string;
  cluster: Cluster;
  defaultDatabase: string;
  /** Connection settings for the upstream database of that name. */
  upstreamConfig(database: string): pg.ClientConfig;
  /** The bookkeeping pool of that database, bootstrapped. */
  bookkeeping(database: string): Promise<pg.Pool>;
  /** Called when the session ends, so the server can forget it. */
  closed(session: Session): void;
}

/** Redshift's userid for the admin user, as STL tables show it. */
const USER_ID = 100;

type Phase = 'startup' | 'auth' | 'ready' | 'closed';

export class Session {
  private socket: net.Socket;
  private readonly services: SessionServices;
  private readonly buffer = new wire.MessageBuffer();
  private phase: Phase = 'startup';
  private busy = false;
  private params = new Map<string, string>();
  private salt = randomBytes(4);
  private upstream: Upstream | undefined;
  private pool: pg.Pool | undefined;
  private ended: Promise<void> | undefined;
  private readonly lastCopy: CopyFunctionValues = { lastCopyId: -1, lastCopyCount: 0 };
  private readonly extended = new ExtendedQuery({
    send: (...messages) => this.send(...messages),
    run: (stmt, values) => runStatement(stmt, values, this.runnerContext()),
    sendOutcome: (outcome, describe) => this.sendOutcome(outcome, describe),
    reportError: (err, sql) => this.reportError(err, sql, 0),
  });

  constructor(socket: net.Socket, services: SessionServices) {
    this.socket = socket;
    this.services = services;
    this.attach(socket);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buffer.push(chunk);
    void this.pump();
  };

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** Handles queued messages one at a time; each handler may await the upstream. */
  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (;;) {
        if (this.phase === 'closed') return;
        const msg = this.buffer.next(this.phase === 'startup');
        if (!msg) return;
        // Batch this message's replies; keep the socket in hand, the handler may swap it for TLS.
        const socket = this.socket;
        socket.cork();
        try {
          await this.handle(msg);
        } finally {
          socket.uncork();
        }
      }
    } catch (err) {
      // A bug or a lost upstream: tell the client, then hang up.
      this.sendError({ severity: 'FATAL', code: 'XX000', message: `Redshift stand-in: ${(err as Error).message}` });
      this.close();
    } finally {
      this.busy = false;
    }
  }

  private send(...messages: Buffer[]): void {
    if (this.phase !== 'closed' && !this.socket.destroyed) this.socket.write(messages.length === 1 ? messages[0] : Buffer.concat(messages));
  }

  private sendError(fields: ErrorFields): void {
    this.send(wire.errorResponse(fields));
  }

  private fatal(code: string, message: string): void {
    this.sendError({ severity: 'FATAL', code, message });
    this.socket.end();
    this.close();
  }

  close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    if (!this.socket.destroyed) this.socket.end();
    const up = this.upstream;
    this.upstream = undefined;
    // The session is over either way; a failure to say goodbye to Postgres changes nothing.
    this.ended = up?.end().catch((err: unknown) => void err);
    this.services.closed(this);
  }

  /** Hard stop, used when the server closes; resolves once the upstream connection has ended. */
  async destroy(): Promise<void> {
    this.socket.destroy();
    this.close();
    await this.ended;
  }

  private async handle(msg: wire.FrontendMessage): Promise<void> {
    if (this.phase === 'startup') return this.handleStartup(msg.body);
    if (this.phase === 'auth') return this.handlePassword(msg);
    switch (msg.type) {
      case 'Q':
        return this.simpleQuery(new wire.BodyReader(msg.body).cstring());
      case 'P':
      case 'B':
      case 'D':
      case 'E':
      case 'C':
        return this.extended.handle(msg);
      case 'S':
        this.extended.sync();
        this.sendReady();
        return;
      case 'H':
        return;
      case 'X':
        this.close();
        return;
      case 'd':
      case 'c':
      case 'f':
        return; // CopyData/CopyDone/CopyFail: the stand-in never starts a client-side COPY.
      default:
        this.fatal('08P01', `invalid frontend message type ${msg.type.charCodeAt(0)}`);
    }
  }

  private sendReady(): void {
    this.send(wire.readyForQuery(this.upstream?.status ?? 'I'));
  }

  // ---- startup and authentication ----

  private handleStartup(body: Buffer): void {
    const reader = new wire.BodyReader(body);
    const code = reader.int32();
    if (code === wire.SSL_REQUEST) {
      if (this.services.tls && !(this.socket instanceof tls.TLSSocket)) {
        this.send(Buffer.from('S'));
        this.upgrade();
      } else this.send(Buffer.from('N'));
      return;
    }
    if (code === wire.GSSENC_REQUEST) {
      this.send(Buffer.from('N'));
      return;
    }
    if (code === wire.CANCEL_REQUEST) {
      // Cancel requests are not emulated: the connection that carries one just closes.
      this.close();
      return;
    }
    if (code !== wire.PROTOCOL_3) return this.fatal('0A000', `unsupported frontend protocol ${code >> 16}.${code & 0xffff}`);
    this.params = wire.parseStartupParameters(reader);
    const refused = refusedParameter(this.params);
    if (refused !== undefined) return this.fatal('42704', `unrecognized configuration parameter "${refused}"`);
    if (!this.params.get('user')) return this.fatal('28000', 'no PostgreSQL user name specified in startup packet');
    // Redshift asks for an MD5 password (authentication code 5), or code 13 for a
    // user whose password is a SHA-256 digest [REDSHIFT-FACTS §8].
    this.phase = 'auth';
    this.send(this.services.cluster.auth === 'sha256' ? wire.authenticationSha256(this.salt) : wire.authenticationMd5(this.salt));
  }

  private upgrade(): void {
    const raw = this.socket;
    raw.removeListener('data', this.onData);
    const { key, cert } = this.services.tls as { key: string | Buffer; cert: string | Buffer };
    const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: tls.createSecureContext({ key, cert }) });
    this.socket = secure;
    this.attach(secure);
  }

  private async handlePassword(msg: wire.FrontendMessage): Promise<void> {
    const user = this.params.get('user') as string;
    if (msg.type !== 'p') return this.fatal('08P01', 'expected password response');
    const given = new wire.BodyReader(msg.body).cstring();
    if (this.services.cluster.auth !== 'md5') return this.fatal('28P01', `password authentication failed for user "${user}"`);
    const temporary = this.services.cluster.credentials?.valid(user).some((p) => given === md5Response(user, p, this.salt));
    const stored = user === this.services.user && given === md5Response(this.services.user, this.services.password, this.salt);
    if (!stored && !temporary) return this.fatal('28P01', `password authentication failed for user "${user}"`);
    if (temporary) this.services.cluster.credentials!.recordLogin(user);
    const database = this.params.get('database') || this.services.defaultDatabase;
    try {
      this.pool = await this.services.bookkeeping(database);
      const config = { ...this.services.upstreamConfig(database), ...upstreamSettings(this.params) };
      this.upstream = await Upstream.connect(config, (n) => this.relayNotice(n), () => this.close());
    } catch (err) {
      const e = err as { code?: string; message?: string };
      return this.fatal(e.code ?? '08006', e.message ?? String(err));
    }
    this.phase = 'ready';
    this.send(
      wire.authenticationOk(),
      ...redshiftParameterStatus(user).map(([k, v]) => wire.parameterStatus(k, v)),
      wire.backendKeyData(this.upstream.processId, randomInt(1, 2 ** 31 - 1)),
    );
    this.sendReady();
  }

  private relayNotice(n: UpstreamNotice): void {
    this.send(wire.noticeResponse({ severity: n.severity ?? 'NOTICE', code: n.code ?? '00000', message: n.message ?? '', detail: n.detail, hint: n.hint, where: n.where }));
  }

  private runnerContext(): RunnerContext {
    const upstream = this.upstream as Upstream;
    return {
      upstream,
      cluster: this.services.cluster,
      lastCopy: this.lastCopy,
      copyEnvironment: () => ({
        upstream,
        s3: this.services.s3,
        bookkeeping: this.pool as pg.Pool,
        region: this.services.region,
        bucketRegions: this.services.cluster.bucketRegions,
        sessionId: upstream.processId,
        userId: USER_ID,
        info: (message) => this.send(wire.noticeResponse({ severity: 'INFO', code: '00000', message })),
        setLastCopy: (id, count) => {
          this.lastCopy.lastCopyId = id;
          this.lastCopy.lastCopyCount = count;
        },
      }),
    };
  }

  // ---- simple query protocol ----

  /**
   * Runs every statement of a Query message. Several statements run in one
   * implicit transaction, as on Postgres (and Redshift's Postgres 8 base):
   * an error stops the message and undoes what it did, unless the message
   * itself committed.
   */
  private async simpleQuery(sql: string): Promise<void> {
    const statements = splitStatements(sql);
    if (statements.length === 0) {
      this.send(wire.emptyQueryResponse());
      return this.sendReady();
    }
    const up = this.upstream as Upstream;
    // The whole string is parsed before any of it runs: a refused statement anywhere runs nothing.
    for (const s of statements) {
      try {
        checkRefusals(significant(s.tokens));
      } catch (err) {
        await this.reportError(err, sql, s.start);
        return this.sendReady();
      }
    }
    const ctx = this.runnerContext();
    let implicit = false;
    for (const s of statements) {
      const sig = significant(s.tokens);
      const txControl = isWord(sig[0], 'begin', 'start', 'commit', 'end', 'rollback', 'abort');
      if (statements.length > 1 && up.status === 'I' && !txControl) {
        await up.run('BEGIN');
        implicit = true;
      }
      if (implicit && isWord(sig[0], 'begin', 'start')) {
        // BEGIN turns the implicit block into the client's own transaction.
        implicit = false;
        this.send(wire.commandComplete('BEGIN'));
        continue;
      }
      try {
        this.sendOutcome(await runStatement(s, undefined, ctx), true);
      } catch (err) {
        await this.reportError(err, sql, s.start);
        if (implicit && up.status !== 'I') await up.run('ROLLBACK');
        return this.sendReady();
      }
      if (up.status === 'I') implicit = false;
    }
    if (implicit && up.status === 'T') await up.run('COMMIT');
    if (implicit && up.status === 'E') await up.run('ROLLBACK');
    this.sendReady();
  }

  private sendOutcome(outcome: Outcome, describe: boolean): void {
    if (outcome.tag === undefined) {
      this.send(wire.emptyQueryResponse());
      return;
    }
    const messages: Buffer[] = [];
    if (describe && outcome.fields) messages.push(wire.rowDescription(outcome.fields));
    for (const row of outcome.rows) messages.push(wire.dataRow(row));
    messages.push(wire.commandComplete(outcome.tag));
    this.send(...messages);
  }

  /**
   * Sends the ErrorResponse for a failed statement (`start`: where the statement
   * begins in `sql`). An error the stand-in raised itself also aborts an open
   * upstream transaction, as any error does on the server.
   */
  private async reportError(err: unknown, sql: string, start: number): Promise<void> {
    const position = (offset: number | undefined): number | undefined =>
      offset === undefined ? undefined : codePointLength(sql.slice(0, start + offset)) + 1;
    if (err instanceof UpstreamFailure) {
      this.sendError({ ...err.fields, position: position(err.offset) });
      return;
    }
    if (!(err instanceof StandinError)) throw err;
    this.sendError({ severity: err.severity, code: err.code, message: err.message, detail: err.detail, hint: err.hint, position: position(err.offset) });
    await this.abortTransaction();
  }

  private async abortTransaction(): Promise<void> {
    const up = this.upstream;
    if (!up || up.status !== 'T') return;
    try {
      await up.run(`DO $$BEGIN RAISE EXCEPTION 'Redshift stand-in: transaction aborted by an earlier error'; END$$`);
    } catch (err) {
      // The exception is the point: the upstream transaction is now in the failed state.
      if (!(err instanceof pg.DatabaseError)) throw err;
    }
  }
}
