/**
 * A Postgres proxy for fault injection: `node:net` on 127.0.0.1, forwarding
 * the wire protocol byte for byte to the test Postgres. It reads just enough
 * of it to learn each session's backend pid (BackendKeyData, 'K') and to see
 * the client's CopyData ('d'), CopyDone ('c') and CopyFail ('f') messages.
 * When the schedule says so, it holds the client's bytes after the n-th
 * CopyData of a COPY and calls `pg_terminate_backend(pid)` over an admin
 * connection: the loader's connection dies in the middle of its COPY, before
 * the COPY (let alone the transaction) can complete.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

export interface PgProxyOptions {
  /** postgres://… of the real server (any database): where sessions are forwarded. */
  upstreamUrl: string;
  /** Admin connection (superuser) used to terminate backends. */
  adminUrl: string;
  /**
   * Asked once per COPY, with the first `source_key` found in its CopyData
   * (or '' when the first three name none): after how many more CopyData
   * messages (1 = this one) to kill it, if at all.
   */
  killAfter?: (copyKey: string) => number | undefined;
  /** Told about every backend actually terminated. */
  onKill?: (copyKey: string, pid: number) => void;
}

export interface PgFaultProxy {
  readonly port: number;
  /** The upstream URL with host and port replaced by the proxy's. */
  url(database?: string): string;
  /** Stops forwarding in both directions (bytes are held, connections stay open); `resume` lets them go. */
  freeze(): void;
  resume(): void;
  /** COPYs seen (first CopyData of each). */
  readonly copies: number;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

/** A source key inside staged rows, in CSV (`"song_data/….json",`) or binary COPY (length-prefixed bytes) alike. */
const SOURCE_KEY = /(?:song_data|log_data)\/[^"\x00-\x1f]*?\.json(?:\.gz)?/;

export async function startPgFaultProxy(options: PgProxyOptions): Promise<PgFaultProxy> {
  const upstream = new URL(options.upstreamUrl);
  const admin = new pg.Pool({ connectionString: options.adminUrl, max: 2 });
  const sessions = new Set<Session>();
  let frozen = false;
  let copies = 0;

  class Session {
    readonly client: net.Socket;
    readonly server: net.Socket;
    pid: number | undefined;
    /** Client bytes not yet parsed into whole messages. */
    private fromClient = Buffer.alloc(0);
    /** Server bytes not yet parsed (only for BackendKeyData). */
    private fromServer = Buffer.alloc(0);
    private startup = true;
    /** The server answers SSLRequest/GSSENCRequest with one untyped byte. */
    private serverSingleBytes = 0;
    private serverParsing = true;
    private copy: { messages: number; killAt: number | undefined; key: string | undefined } | undefined;
    private held = false;
    private pendingToServer: Buffer[] = [];
    private pendingToClient: Buffer[] = [];

    constructor(client: net.Socket) {
      this.client = client;
      this.server = net.connect({ host: upstream.hostname, port: Number(upstream.port || 5432) });
      client.setNoDelay(true);
      this.server.setNoDelay(true);
      const end = () => this.destroy();
      client.on('error', end).on('close', end);
      this.server.on('error', end).on('close', end);
      client.on('data', (d: Buffer) => this.onClientData(d));
      this.server.on('data', (d: Buffer) => this.onServerData(d));
    }

    destroy(): void {
      this.client.destroy();
      this.server.destroy();
      sessions.delete(this);
    }

    flush(): void {
      for (const b of this.pendingToServer.splice(0)) this.server.write(b);
      for (const b of this.pendingToClient.splice(0)) this.client.write(b);
    }

    private toServer(b: Buffer): void {
      if (frozen) this.pendingToServer.push(b);
      else this.server.write(b);
    }

    private toClient(b: Buffer): void {
      if (frozen) this.pendingToClient.push(b);
      else this.client.write(b);
    }

    private onServerData(d: Buffer): void {
      // Forward at once; parse a copy only to learn the pid.
      this.toClient(d);
      if (!this.serverParsing) return;
      this.fromServer = Buffer.concat([this.fromServer, d]);
      for (;;) {
        if (this.serverSingleBytes > 0) {
          if (this.fromServer.length < 1) return;
          const answer = this.fromServer[0];
          this.fromServer = this.fromServer.subarray(1);
          this.serverSingleBytes--;
          // 'S': TLS from here on; nothing more to read in clear.
          if (answer === 0x53 || answer === 0x47) {
            this.serverParsing = false;
            return;
          }
          continue;
        }
        if (this.fromServer.length < 5) return;
        const length = this.fromServer.readInt32BE(1);
        if (this.fromServer.length < 1 + length) return;
        const type = String.fromCharCode(this.fromServer[0]);
        if (type === 'K') this.pid = this.fromServer.readInt32BE(5);
        this.fromServer = this.fromServer.subarray(1 + length);
        // After ReadyForQuery nothing more of interest comes from the server.
        if (type === 'Z' && this.pid !== undefined) {
          this.serverParsing = false;
          this.fromServer = Buffer.alloc(0);
          return;
        }
      }
    }

    private onClientData(d: Buffer): void {
      if (this.held) return; // the backend is being killed: nothing more reaches it
      this.fromClient = Buffer.concat([this.fromClient, d]);
      for (;;) {
        if (this.startup) {
          if (this.fromClient.length < 8) return;
          const length = this.fromClient.readInt32BE(0);
          if (this.fromClient.length < length) return;
          const code = this.fromClient.readInt32BE(4);
          const message = this.fromClient.subarray(0, length);
          this.fromClient = this.fromClient.subarray(length);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) this.serverSingleBytes++;
          else if (code !== CANCEL_REQUEST) this.startup = false;
          this.toServer(message);
          continue;
        }
        if (this.fromClient.length < 5) return;
        const length = this.fromClient.readInt32BE(1);
        if (this.fromClient.length < 1 + length) return;
        const type = String.fromCharCode(this.fromClient[0]);
        const message = this.fromClient.subarray(0, 1 + length);
        this.fromClient = this.fromClient.subarray(1 + length);
        if (type === 'd') {
          if (!this.copy) {
            copies++;
            this.copy = { messages: 0, killAt: undefined, key: undefined };
          }
          const copy = this.copy;
          copy.messages++;
          // Decide once the COPY names its first object (a binary COPY starts with a header-only message).
          if (copy.key === undefined) {
            const key = SOURCE_KEY.exec(message.subarray(5).toString('latin1'))?.[0];
            if (key !== undefined || copy.messages >= 3) {
              copy.key = key ?? '';
              const after = options.killAfter?.(copy.key);
              copy.killAt = after === undefined ? undefined : copy.messages + after - 1;
            }
          }
          if (copy.killAt !== undefined && copy.messages >= copy.killAt && this.pid !== undefined) {
            // Hold this message and everything after it: the COPY cannot finish.
            this.held = true;
            this.fromClient = Buffer.alloc(0);
            void this.kill(copy.key ?? '', this.pid);
            return;
          }
        } else if (type === 'c' || type === 'f') {
          this.copy = undefined;
        }
        this.toServer(message);
      }
    }

    private async kill(key: string, pid: number): Promise<void> {
      try {
        const { rows } = await admin.query('SELECT pg_terminate_backend($1) AS ok', [pid]);
        if (rows[0].ok) options.onKill?.(key, pid);
      } catch {
        this.destroy();
      }
    }
  }

  const server = net.createServer((socket) => {
    sessions.add(new Session(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url(database?: string) {
      const u = new URL(options.upstreamUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      if (database !== undefined) u.pathname = `/${database}`;
      return u.toString();
    },
    freeze() {
      frozen = true;
    },
    resume() {
      frozen = false;
      for (const s of sessions) s.flush();
    },
    get copies() {
      return copies;
    },
    async close() {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await admin.end();
    },
  };
}
