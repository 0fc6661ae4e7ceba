/**
 * A generated data set in a bucket of its own, a database for the test file,
 * and a fault-free reference load of it into schema `reference`: the setup of
 * every test that compares a troubled run with an untroubled one.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateSample, type GenerateOptions } from '../../src/generate/index.ts';
import { createBucket, createDatabase, testS3Client, uploadDirectory } from './services.ts';
import { etl, useTestS3Credentials } from './in-process.ts';
import { starTables } from './star-tables.ts';
import type { EtlSummary } from '../../src/run/summary.ts';

export interface GeneratedBucket {
  bucket: string;
  /** Database of the test file; the reference load is in its schema `reference`. */
  url: string;
  /** Connected to `url`; the caller ends it. */
  client: pg.Client;
  /** Every table of the reference load, as starTables reads them. */
  reference: Record<string, unknown[]>;
  /** The reference load's summary (its timings: how long a load of this set lasts on this machine). */
  referenceRun: EtlSummary;
  /** `--songs s3://… --logs s3://…` of the bucket. */
  sourceFlags: string[];
}

export async function generatedBucket(label: string, data: Omit<GenerateOptions, 'outDir'>): Promise<GeneratedBucket> {
  useTestS3Credentials();
  const dir = mkdtempSync(join(tmpdir(), `sparkify-${label}-`));
  await generateSample({ outDir: dir, ...data });
  const s3 = testS3Client();
  const bucket = await createBucket(s3, label);
  await uploadDirectory(s3, bucket, '', dir);
  s3.destroy();
  const url = await createDatabase(label);
  const songs = `s3://${bucket}/song_data`;
  const logs = `s3://${bucket}/log_data`;
  const referenceRun = await etl({ target: url, schema: 'reference', songs, logs });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return { bucket, url, client, reference: await starTables(client, 'reference'), referenceRun, sourceFlags: ['--songs', songs, '--logs', logs] };
}
