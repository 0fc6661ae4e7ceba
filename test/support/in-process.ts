/** Runs the loader in the test process (fast enough for hundreds of runs). */
import { resolveConfig, type Flags } from '../../src/config/index.ts';
import { runEtl } from '../../src/run/etl.ts';
import type { EtlSummary } from '../../src/run/summary.ts';
import { silentLogger, type Logger } from '../../src/common/log.ts';
import { openWarehouse, type Warehouse } from '../../src/warehouse/connect.ts';
import { createTables } from '../../src/warehouse/tables.ts';
import pg from 'pg';
import { createDatabase, S3_TEST_CREDENTIALS, SAMPLE_DIR, s3Endpoint } from './services.ts';

/** The S3 SDK in this process reads the test server's key from the environment. */
export function useTestS3Credentials(): void {
  process.env.AWS_ACCESS_KEY_ID = S3_TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3_TEST_CREDENTIALS.secretAccessKey;
}

export function testConfig(flags: Flags) {
  return resolveConfig({ ignoreConfigFile: true, s3Endpoint: s3Endpoint(), s3PathStyle: true, s3Region: 'us-east-1', ...flags }, {});
}

export async function etl(flags: Flags, options: { reset?: boolean; log?: Logger } = {}): Promise<EtlSummary> {
  const config = testConfig(flags);
  const log = options.log ?? silentLogger;
  const wh = await openWarehouse(config, log);
  try {
    await createTables(wh, { reset: options.reset });
    return await runEtl(wh, config, 'etl', { log });
  } finally {
    await wh.close();
  }
}

export async function withWarehouse<T>(flags: Flags, work: (wh: Warehouse) => Promise<T>): Promise<T> {
  const wh = await openWarehouse(testConfig(flags), silentLogger);
  try {
    return await work(wh);
  } finally {
    await wh.close();
  }
}

/**
 * A database with the sample loaded, then 300 of its plays staged again as if from a later object:
 * some stay plays, some became other pages (then no songplay). Its star tables are the first load's.
 */
export async function sampleWithLaterCopies(label: string): Promise<{ target: string; db: pg.Client }> {
  const target = await createDatabase(label);
  const summary = await etl({ target, songs: `${SAMPLE_DIR}song_data`, logs: `${SAMPLE_DIR}log_data` });
  if (summary.status !== 'ok') throw new Error(`loading the sample into ${label}: ${summary.status} ${summary.error ?? ''}`);
  const db = new pg.Client({ connectionString: target });
  await db.connect();
  await db.query(`INSERT INTO stg_events SELECT * FROM stg_events WHERE page = 'NextSong' ORDER BY source_key, source_line LIMIT 300`);
  await db.query(`UPDATE stg_events SET source_key = source_key || '~again', page = CASE WHEN source_line % 3 = 0 THEN 'Home' ELSE page END
    WHERE ctid IN (SELECT ctid FROM stg_events ORDER BY ctid DESC LIMIT 300)`);
  // Each object the loader stages has its row in the ledger, in the same transaction.
  await db.query(`INSERT INTO etl_objects (source_key, dataset, fingerprint, rows_staged, rejects, loaded_at)
    SELECT source_key, 'events', 'later copies', count(*), 0, now() FROM stg_events WHERE source_key LIKE '%~again' GROUP BY source_key`);
  return { target, db };
}
