/**
 * The shapes of AWS names the loader accepts, written once: config checks
 * them when it resolves settings, and the Redshift COPY checks them again
 * before quoting them into a statement (COPY takes no bind parameters), so
 * both must give the same answer.
 */
import { ConfigError } from './errors.ts';

/**
 * An AWS region code (`us-west-2`, `eu-central-1`, `us-gov-west-1`): what
 * COPY's `REGION 'aws-region'` takes [DG:copy-parameters-data-source-s3].
 * There is one rule for every region setting: a region the S3 client could
 * use but COPY could not (`auto`) would pass config and fail every COPY. An
 * S3-compatible server that ignores regions takes any code, e.g. us-east-1.
 */
export const REGION_PATTERN = '[a-z]{2}(?:-[a-z0-9]+)+-\\d+';

/**
 * An S3 bucket name as the S3 naming rules allow: 3–63 lower-case letters,
 * digits, dots and hyphens, starting and ending with a letter or digit. The
 * rule also keeps a bucket name out of any SQL or URL trouble.
 */
export const BUCKET_PATTERN = '[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]';

const REGION = new RegExp(`^${REGION_PATTERN}$`);
const BUCKET = new RegExp(`^${BUCKET_PATTERN}$`);

export function isRegion(text: string): boolean {
  return REGION.test(text);
}

export function isBucketName(text: string): boolean {
  return BUCKET.test(text);
}

/** `region`, or a ConfigError `<subject> must look like us-west-2, got "…"`; `subject` names the setting (`--s3-region: S3 region`). */
export function validateRegion(region: string, subject: string): string {
  if (!isRegion(region)) {
    throw new ConfigError(`${subject} must look like us-west-2, got ${JSON.stringify(region)}`);
  }
  return region;
}
