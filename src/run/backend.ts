/**
 * Which staging backend a run uses (stage/): COPY FROM STDIN on Postgres;
 * on Redshift, gzipped CSV parts under the staging prefix (stage mode) or
 * COPY … JSON of the sources themselves (direct mode). Chosen, and its
 * settings checked, before anything is locked, listed or written.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/index.ts';
import type { Dataset } from '../common/datasets.ts';
import { ConfigError, UsageError } from '../common/errors.ts';
import { parseSourceUrl } from '../extract/source-url.ts';
import { copyRegion, validateIamRole, validateS3Url } from '../dialect/redshift-copy.ts';
import type { StagingBackend } from '../stage/index.ts';
import { postgresBackend } from '../stage/postgres-backend.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { s3Limits } from './limits.ts';

/** Builds the staging backend of a run; `neverLoaded` holds the keys to load that had no ledger row. */
export type BackendFactory = (wh: Warehouse, runId: number, s3: S3Client | undefined, neverLoaded: Set<string>) => StagingBackend;

/** The staging backend for the warehouse and mode; validates its settings now. */
export async function chooseBackend(config: Config): Promise<BackendFactory> {
  if (config.target.kind !== 'redshift') return (w, runId, _s3, neverLoaded) => postgresBackend(w, runId, neverLoaded, { workers: config.load.workers });
  const { parseStagingPrefix, StagingArea } = await import('../stage/s3-staging.ts');
  const { redshiftStageBackend } = await import('../stage/redshift-backend.ts');
  const { redshiftDirectBackend } = await import('../stage/redshift-direct.ts');
  const iamRole = validateIamRole(config.redshift.iamRole);
  const prefix = parseStagingPrefix(config.redshift.stagingPrefix);
  const clusterRegion = config.target.kind === 'redshift' ? config.target.redshift.region : undefined;
  const sourceRegion = config.s3.regionConfigured ? config.s3.region : undefined;
  const stagingRegion = config.redshift.stagingRegion;
  // The staging bucket may live in another region than the sources: it gets a client of its own.
  const { makeS3Client } = await import('../extract/s3-client.ts');
  const withStagingClient = (s3: S3Client, make: (staging: S3Client) => StagingBackend): StagingBackend => {
    if (stagingRegion === undefined || stagingRegion === config.s3.region) return make(s3);
    const client = makeS3Client({ ...config.s3, region: stagingRegion }, s3Limits(config));
    const backend = make(client);
    return { ...backend, close: async () => {
      try {
        await backend.close?.();
      } finally {
        client.destroy();
      }
    } };
  };
  if (config.redshift.mode === 'stage') {
    // Stage mode's COPYs read the staging bucket only.
    const region = copyRegion(stagingRegion, clusterRegion);
    // A shard leaves its parts for the coordinator, which loads every shard's with one COPY per table.
    return (w, runId, s3, neverLoaded) => withStagingClient(s3!, (staging) => redshiftStageBackend(w, runId, staging, { iamRole, staging: prefix, region, defer: config.load.shard }, neverLoaded));
  }
  // Direct mode's COPYs read the sources and a manifest in the staging bucket: with REGION, all
  // of them must be in that one region; without it, in the cluster's [DG:copy-parameters-data-source-s3].
  if ((stagingRegion ?? clusterRegion) !== (sourceRegion ?? clusterRegion)) {
    throw new ConfigError(`Redshift direct mode: the sources are in ${sourceRegion ?? clusterRegion ?? 'the cluster\'s region'} but the staging bucket, which holds each COPY's manifest, is in ${stagingRegion ?? clusterRegion ?? 'the cluster\'s region'}; one COPY reads all its files from one region`, {
      hint: 'put the staging prefix in the sources\' region, or use --redshift-mode stage (the default), whose COPYs read only the staging bucket',
    });
  }
  const region = copyRegion(sourceRegion ?? stagingRegion, clusterRegion);
  const buckets = new Map<Dataset, string>();
  for (const [dataset, url] of [['songs', config.sources.songs], ['events', config.sources.logs]] as const) {
    if (!url) continue;
    const loc = parseSourceUrl(url);
    if (loc.kind !== 's3') throw new UsageError(`Redshift direct mode reads the sources from S3 itself, but the ${dataset} come from a local folder`, { hint: 'use --redshift-mode stage (the default), which reads local folders too' });
    buckets.set(dataset, loc.bucket);
  }
  const jsonPaths = config.redshift.jsonPaths ? validateS3Url(config.redshift.jsonPaths, 'JSONPaths file') : undefined;
  const { s3Source } = await import('../extract/s3-source.ts');
  return (w, runId, s3, neverLoaded) =>
    withStagingClient(s3!, (staging) =>
      redshiftDirectBackend(w, runId, new StagingArea(staging, prefix, runId), {
        iamRole,
        staging: prefix,
        region,
        jsonPaths,
        maxError: 100000,
        sourceUrl: (o) => `s3://${buckets.get(o.dataset)!}/${o.key}`,
        open: (o) => s3Source(o.dataset, s3!, buckets.get(o.dataset)!, '').open(o),
      }, neverLoaded),
    );
}
