/**
 * The coordinator's first step on Redshift: load what shard runs left in the
 * staging prefix (stage/shard-parts.ts), with the settings of this run. On
 * Postgres shards COPY straight into the staging tables, and there is
 * nothing to do.
 */
import type { Config } from '../config/index.ts';
import { copyRegion, validateIamRole } from '../dialect/redshift-copy.ts';
import type { Logger } from '../common/log.ts';
import type { MergeResult } from '../stage/shard-parts.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { pendingShardAreas } from '../ledger/index.ts';
import { runRetry, s3Limits } from './limits.ts';

/**
 * Loads every complete unit the shards left, in one transaction with one
 * COPY per table; undefined when there was none (or the warehouse is not
 * Redshift). Needs the IAM role and staging prefix the shards used.
 */
export async function mergeShards(wh: Warehouse, config: Config, runId: number, deps: { log: Logger; signal?: AbortSignal }): Promise<MergeResult | undefined> {
  // Shards leave parts in S3 only on Redshift (the warehouse's dialect follows the target).
  if (config.target.kind !== 'redshift') return undefined;
  const areas = await pendingShardAreas(wh.pool, wh.names);
  if (areas.length === 0) return undefined;
  const { mergeShardParts } = await import('../stage/shard-parts.ts');
  const { parseStagingPrefix } = await import('../stage/s3-staging.ts');
  const { makeS3Client } = await import('../extract/s3-client.ts');
  const iamRole = validateIamRole(config.redshift.iamRole);
  const staging = parseStagingPrefix(config.redshift.stagingPrefix);
  const stagingRegion = config.redshift.stagingRegion;
  const s3 = makeS3Client({ ...config.s3, region: stagingRegion ?? config.s3.region }, s3Limits(config));
  try {
    deps.log.info(`loading what ${areas.length} shard run(s) staged (${areas.map((a) => `shard ${a.shard}`).join(', ')}), one COPY per table`);
    const merged = await mergeShardParts(wh, s3, runId, { iamRole, staging, region: copyRegion(stagingRegion, config.target.redshift.region), retry: runRetry(config), signal: deps.signal }, deps.log);
    if (merged) deps.log.info(`loaded ${merged.objects} object(s) the shards staged: ${merged.rows} rows, ${merged.rejects} rejects, from ${merged.units} unit(s)`, { event: 'shard-parts', ...merged });
    return merged;
  } finally {
    s3.destroy();
  }
}
