/**
 * The configured sources (a bucket prefix or a folder each), opened: what a
 * run lists and reads, and what `doctor` probes.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/index.ts';
import type { Dataset } from '../common/datasets.ts';
import { ConfigError, SparkifyError, UsageError } from '../common/errors.ts';
import { localSource } from '../extract/local-source.ts';
import type { S3ClientLimits } from '../extract/s3-client.ts';
import { parseSourceUrl } from '../extract/source-url.ts';
import type { Source } from '../extract/source.ts';

/** The sources the config names, as [name, url]: `songs`, then `logs`. */
export function configuredSources(config: Config): [string, string][] {
  return Object.entries(config.sources).filter((e): e is [string, string] => !!e[1]);
}

/** The configured sources (checked before any connection is opened). */
export function requireSources(config: Config): [string, string][] {
  const urls = configuredSources(config);
  if (urls.length === 0) {
    throw new UsageError('no source to load', { hint: 'give --logs and/or --songs (s3://bucket/prefix or a folder), or set LOG_DATA / SONG_DATA under [S3] in dwh.cfg' });
  }
  for (const [name, url] of urls) {
    try {
      parseSourceUrl(url);
    } catch (err) {
      // A source from dwh.cfg names its file and line.
      const origin = config.origins[name as 'songs' | 'logs'];
      if (!origin || origin.startsWith('--') || !(err instanceof SparkifyError)) throw err;
      throw new ConfigError(`${origin}: ${err.message}`, { cause: err });
    }
  }
  return urls;
}

/** The data set a configured source holds (`songs`, or `logs`: the events). */
export function datasetOf(name: string): Dataset {
  return name === 'songs' ? 'songs' : 'events';
}

/**
 * The sources by data set, and the S3 client when something lives in S3 (a
 * source, or Redshift's staging): the caller destroys it. The AWS SDK is
 * loaded only then (it costs ~35 MB and 70 ms).
 */
export async function openSources(config: Config, urls: readonly (readonly [string, string])[], limits: S3ClientLimits): Promise<{ sources: Map<Dataset, Source>; s3?: S3Client }> {
  const needsS3 = urls.some(([, url]) => parseSourceUrl(url).kind === 's3') || config.target.kind === 'redshift';
  const aws = needsS3 ? { ...(await import('../extract/s3-client.ts')), ...(await import('../extract/s3-source.ts')) } : undefined;
  const s3 = aws?.makeS3Client(config.s3, limits);
  const sources = new Map<Dataset, Source>();
  for (const [name, url] of urls) {
    const dataset = datasetOf(name);
    const loc = parseSourceUrl(url);
    sources.set(dataset, loc.kind === 's3' ? aws!.s3Source(dataset, s3!, loc.bucket, loc.prefix) : localSource(dataset, loc.dir));
  }
  return { sources, s3 };
}
