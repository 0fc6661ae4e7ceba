/**
 * Redshift's COPY from S3, the one statement Postgres has no form of. Values
 * cannot be bind parameters here (COPY goes through the simple protocol,
 * REDSHIFT-FACTS §8), so every value is validated first and then quoted.
 */
import { ConfigError } from '../common/errors.ts';
import { BUCKET_PATTERN, validateRegion } from '../common/aws-names.ts';
import { quoteRedshiftLiteral as quote } from './sql.ts';

const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=.@/-]{1,512}$/;

/**
 * An IAM role for COPY: `default` (the role set as the cluster's or
 * namespace's default), one role ARN, or a chain of ARNs separated by commas
 * (each role assumes the next) [DG:copy-parameters-authorization]. Anything
 * else is a ConfigError saying what a valid one looks like.
 */
export function validateIamRole(role: string | undefined): string {
  if (!role) throw new ConfigError('Redshift COPY needs an IAM role', { hint: 'set [IAM_ROLE] ARN in dwh.cfg or --iam-role arn:aws:iam::<account>:role/<name> (or default)' });
  if (role.toLowerCase() === 'default') return 'default';
  const chain = role.split(',');
  if (chain.length > 10 || !chain.every((arn) => ROLE_ARN.test(arn))) {
    throw new ConfigError(`IAM role ${JSON.stringify(role.length > 80 ? `${role.slice(0, 80)}…` : role)} is not an IAM role ARN`, {
      hint: 'expected arn:aws:iam::<12-digit account>:role/<name>, several of them separated by commas (a role chain), or default',
    });
  }
  return role;
}

/** The IAM_ROLE clause: `default` is a keyword, an ARN (chain) a literal. */
const iamRoleClause = (role: string) => `IAM_ROLE ${validateIamRole(role) === 'default' ? 'default' : quote(role)}`;

const S3_URL = new RegExp(`^s3://${BUCKET_PATTERN}/[^\\s'\\\\\\0]+$`);

/** s3:// URLs we generate or were given; refused when they hold anything a COPY should not see. */
export function validateS3Url(url: string, what: string): string {
  if (!S3_URL.test(url)) throw new ConfigError(`${what} ${JSON.stringify(url)} is not a plain s3://bucket/key URL`);
  return url;
}

export interface CopyFromS3 {
  table: string;
  columns: readonly string[];
  manifestUrl: string;
  iamRole: string;
  /** Only when the bucket is in another region than the cluster. */
  region?: string;
}

/** Gzipped CSV parts listed in a manifest (stage mode). */
export function copyCsvManifest(c: CopyFromS3): string {
  return [
    `COPY ${c.table} (${c.columns.join(', ')})`,
    `FROM ${quote(validateS3Url(c.manifestUrl, 'manifest'))}`,
    iamRoleClause(c.iamRole),
    // NULL is written `\N`, which is COPY's default null string: no NULL AS, whose
    // literal would lose its backslash in Redshift's lexer [DG:copy-parameters-data-conversion].
    // Validation rejects strings equal to `\N`.
    'FORMAT AS CSV GZIP MANIFEST',
    // Rows were validated: any load error is a bug, so none is tolerated.
    'MAXERROR 0',
    // Staging tables are reloaded constantly: skip the compression analysis that rebuilds an empty table.
    'COMPUPDATE OFF STATUPDATE OFF',
    ...(c.region ? [`REGION ${quote(validateRegion(c.region, 'COPY region'))}`] : []),
  ].join('\n');
}

/** The classic JSON COPY of direct mode: Redshift reads and converts the source itself. */
export function copyJsonManifest(c: CopyFromS3 & { jsonPaths: string | 'auto'; maxError: number }): string {
  const format = c.jsonPaths === 'auto' ? `'auto'` : quote(validateS3Url(c.jsonPaths, 'JSONPaths file'));
  return [
    `COPY ${c.table} (${c.columns.join(', ')})`,
    `FROM ${quote(validateS3Url(c.manifestUrl, 'manifest'))}`,
    iamRoleClause(c.iamRole),
    `FORMAT AS JSON ${format} MANIFEST`,
    `TIMEFORMAT 'epochmillisecs'`,
    // 100000 is Redshift's ceiling; the loader's own --max-errors decides the exit code.
    `MAXERROR ${Math.max(0, Math.min(100000, Math.trunc(c.maxError)))}`,
    'COMPUPDATE OFF STATUPDATE OFF',
    ...(c.region ? [`REGION ${quote(validateRegion(c.region, 'COPY region'))}`] : []),
  ].join('\n');
}

/**
 * The REGION a COPY needs for files in a bucket of `bucketRegion`: none when
 * that is the cluster's own region; the bucket's region when it differs, or
 * when the cluster's is unknown (a custom host) and naming it is the safe
 * choice [DG:copy-parameters-data-source-s3]. A bucket of unknown region is
 * taken to be in the cluster's.
 */
export function copyRegion(bucketRegion: string | undefined, clusterRegion: string | undefined): string | undefined {
  return bucketRegion === undefined || bucketRegion === clusterRegion ? undefined : bucketRegion;
}
