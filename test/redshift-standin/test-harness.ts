/**
 * Shared set-up for the stand-in's integration tests: a fresh upstream
 * database, a stand-in in front of it, and plain pg clients connected to
 * the stand-in's redshift:// URL (pg needs the postgres:// scheme).
 */
import pg from 'pg';
import { createDatabase, s3Endpoint, S3_TEST_CREDENTIALS } from '../support/services.ts';
import { startRedshiftStandin, type RedshiftStandin, type StandinOptions } from './index.ts';

export interface Harness {
  standin: RedshiftStandin;
  upstreamUrl: string;
  /** A connected pg client (closed by `close()` unless ended earlier). */
  connect(config?: Partial<pg.ClientConfig>): Promise<pg.Client>;
  /** A direct connection to the upstream Postgres, bypassing the stand-in. */
  direct(): Promise<pg.Client>;
  close(): Promise<void>;
}

export const asPostgresUrl = (url: string): string => url.replace(/^redshift:/, 'postgres:');

export async function startHarness(label: string, extra: Partial<StandinOptions> = {}): Promise<Harness> {
  const upstreamUrl = await createDatabase(label);
  const standin = await startRedshiftStandin({
    upstreamUrl,
    s3: { endpoint: s3Endpoint(), region: 'us-east-1', credentials: S3_TEST_CREDENTIALS },
    ...extra,
  });
  const clients: pg.Client[] = [];
  const connectionErrors: Error[] = [];
  const open = async (config: pg.ClientConfig): Promise<pg.Client> => {
    const client = new pg.Client(config);
    // Tests assert on query errors; a dropped connection also fails the next query, so this only keeps it from being unhandled.
    client.on('error', (err) => connectionErrors.push(err));
    await client.connect();
    clients.push(client);
    return client;
  };
  return {
    standin,
    upstreamUrl,
    connect: (config = {}) => open({ connectionString: asPostgresUrl(standin.url()), ...config }),
    direct: () => open({ connectionString: upstreamUrl }),
    async close() {
      // Clients a test already ended (or the server closed) reject here; that is not this test's failure.
      await Promise.allSettled(clients.map((c) => c.end()));
      await standin.close();
    },
  };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function errorOf(p: Promise<unknown>): Promise<pg.DatabaseError> {
  try {
    await p;
  } catch (err) {
    return err as pg.DatabaseError;
  }
  throw new Error('expected the query to fail, but it succeeded');
}
