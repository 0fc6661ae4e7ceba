/**
 * Shared set-up of the Redshift path's integration tests: the real sample in
 * a bucket, a staging bucket, stand-in clusters of any flavour in front of
 * fresh databases, and the CLI flags that point a run at them.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { startRedshiftStandin, type RedshiftStandin, type StandinOptions } from '../redshift-standin/index.ts';
import { createBucket, createDatabase, S3_TEST_CREDENTIALS, s3Endpoint, SAMPLE_DIR, testS3Client, uploadDirectory } from '../support/services.ts';
import { s3Flags } from '../support/cli.ts';

export const ROLE = 'arn:aws:iam::123456789012:role/sparkifyRedshiftRole';

export interface StandinCluster {
  standin: RedshiftStandin;
  /** The loader's --target (TLS off: the stand-in has no certificate worth verifying). */
  target: string;
  /** The database behind it, for reading results directly. */
  upstream: string;
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
}

export interface RedshiftTestBed {
  s3: S3Client;
  dataBucket: string;
  stagingBucket: string;
  cluster(label: string, options?: Partial<StandinOptions>): Promise<StandinCluster>;
  /** Keys left under a staging prefix. */
  stagedKeys(prefix: string): Promise<string[]>;
  /** etl flags: the sample in both data sets, the staging prefix, a schema and a mode. */
  flags(target: string, prefix: string, mode: 'stage' | 'direct', extra?: string[]): string[];
  close(): Promise<void>;
}

export async function redshiftTestBed(withSample = true): Promise<RedshiftTestBed> {
  const s3 = testS3Client();
  const dataBucket = await createBucket(s3, 'udacity-dend');
  const stagingBucket = await createBucket(s3, 'staging');
  if (withSample) await uploadDirectory(s3, dataBucket, '', SAMPLE_DIR);
  const standins: RedshiftStandin[] = [];
  return {
    s3,
    dataBucket,
    stagingBucket,
    async cluster(label, options = {}) {
      const upstream = await createDatabase(label);
      const standin = await startRedshiftStandin({ upstreamUrl: upstream, s3: { endpoint: s3Endpoint(), region: 'us-east-1', credentials: S3_TEST_CREDENTIALS }, ...options });
      standins.push(standin);
      return {
        standin,
        target: `${standin.url()}?sslmode=disable`,
        upstream,
        async query(sql, values) {
          const client = new pg.Client({ connectionString: upstream });
          await client.connect();
          try {
            return (await client.query(sql, values)).rows;
          } finally {
            await client.end();
          }
        },
      };
    },
    async stagedKeys(prefix) {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: stagingBucket, Prefix: prefix }));
      return (out.Contents ?? []).map((o) => o.Key!);
    },
    flags: (target, prefix, mode, extra = []) => [
      '--target', target, '--schema', 'dwh', '--iam-role', ROLE, '--staging-prefix', `s3://${stagingBucket}/${prefix}`, '--redshift-mode', mode,
      '--songs', `s3://${dataBucket}/song_data`, '--logs', `s3://${dataBucket}/log_data`, ...s3Flags(), '--json', ...extra,
    ],
    async close() {
      for (const s of standins) await s.close();
      s3.destroy();
    },
  };
}
