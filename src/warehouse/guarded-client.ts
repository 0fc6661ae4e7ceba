/**
 * node-postgres' protocol parser throws, from inside a socket 'data'
 * listener, when the server asks for an authentication method it does not
 * know: Redshift's SHA-256 request (code 13) for users created with
 * PASSWORD 'sha256|…' [REDSHIFT-FACTS §8; pg-protocol parser.js]. Thrown
 * there, the error is uncaught and would kill the process. This client makes
 * it an error of its own connection instead, which connect() then reports
 * (connect.ts says what to do about it).
 */
import type { Duplex } from 'node:stream';
import pg from 'pg';

const UNKNOWN_AUTH = /^Unknown authenticationOk message type/;

interface Connection {
  attachListeners(stream: Duplex): void;
}

export class GuardedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const connection = (this as unknown as { connection: Connection }).connection;
    const attach = connection.attachListeners.bind(connection);
    // Both the plain socket and, after the SSL upgrade, the TLS socket get the parser's listener.
    connection.attachListeners = (stream: Duplex) => {
      const emit = stream.emit;
      stream.emit = function guardedEmit(this: Duplex, event: string | symbol, ...args: unknown[]): boolean {
        if (event !== 'data') return emit.call(this, event, ...args);
        try {
          return emit.call(this, event, ...args);
        } catch (err) {
          if (!(err instanceof Error) || !UNKNOWN_AUTH.test(err.message)) throw err;
          stream.destroy(err);
          return false;
        }
      } as typeof stream.emit;
      attach(stream);
    };
  }
}
