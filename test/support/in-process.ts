/** Runs the loader in the test process (fast enough for hundreds of runs). */
import { resolveConfig, type Flags } from '../../src/config/index.ts';
import { runEtl } from '../../src/run/etl.ts';
import type { EtlSummary } from '../../src/run/summary.ts';
import { silentLogger, type Logger } from '../../src/common/log.ts';
import { openWarehouse, type Warehouse } from '../../src/warehouse/connect.ts';
import { createTables } from '../../src/warehouse/tables.ts';
import { S3_TEST_CREDENTIALS, s3Endpoint } from './services.ts';

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
