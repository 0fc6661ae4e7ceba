/**
 * Redshift's COPY from S3, the one statement Postgres has no form of. Values
 * cannot be bind parameters here (COPY goes through the simple protocol,
 * REDSHIFT-FACTS §8), so every value is validated first and then quoted.
 */
import { ConfigError } from '../errors.ts';
import { quoteLiteral } from './sql.ts';

/** An IAM role ARN, or a ConfigError saying what a valid one looks like. */
export function validateIamRole(arn: string | undefined): string {
  if (!arn) throw new ConfigError('Redshift COPY needs an IAM role', { hint: 'set [IAM_ROLE] ARN in dwh.cfg or --iam-role arn:aws:iam::<account>:role/<name>' });
  if (!/^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(arn)) {
    throw new ConfigError(`IAM role ${JSON.stringify(arn.length > 80 ? `${arn.slice(0, 80)}…` : arn)} is not an IAM role ARN`, { hint: 'expected arn:aws:iam::<12-digit account>:role/<name>' });
  }
  return arn;
}

/** s3:// URLs we generate or were given; refused when they hold anything a COPY should not see. */
export function validateS3Url(url: string, what: string): string {
  if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[^\s'\\\0]+$/.test(url)) throw new ConfigError(`${what} ${JSON.stringify(url)} is not a plain s3://bucket/key URL`);
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
    `FROM ${quoteLiteral(validateS3Url(c.manifestUrl, 'manifest'))}`,
    `IAM_ROLE ${quoteLiteral(validateIamRole(c.iamRole))}`,
    // `\N` is Redshift's own NULL marker; validation rejects strings equal to it.
    `FORMAT AS CSV GZIP MANIFEST NULL AS '\\N'`,
    // Rows were validated: any load error is a bug, so none is tolerated.
    'MAXERROR 0',
    // Staging tables are reloaded constantly: skip the compression analysis that rebuilds an empty table.
    'COMPUPDATE OFF STATUPDATE OFF',
    ...(c.region ? [`REGION ${quoteLiteral(validateRegion(c.region))}`] : []),
  ].join('\n');
}

/** The classic JSON COPY of direct mode: Redshift reads and converts the source itself. */
export function copyJsonManifest(c: CopyFromS3 & { jsonPaths: string | 'auto'; maxError: number }): string {
  const format = c.jsonPaths === 'auto' ? `'auto'` : quoteLiteral(validateS3Url(c.jsonPaths, 'JSONPaths file'));
  return [
    `COPY ${c.table} (${c.columns.join(', ')})`,
    `FROM ${quoteLiteral(validateS3Url(c.manifestUrl, 'manifest'))}`,
    `IAM_ROLE ${quoteLiteral(validateIamRole(c.iamRole))}`,
    `FORMAT AS JSON ${format} MANIFEST`,
    `TIMEFORMAT 'epochmillisecs'`,
    // 100000 is Redshift's ceiling; the loader's own --max-errors decides the exit code.
    `MAXERROR ${Math.max(0, Math.min(100000, Math.trunc(c.maxError)))}`,
    'COMPUPDATE OFF STATUPDATE OFF',
    ...(c.region ? [`REGION ${quoteLiteral(validateRegion(c.region))}`] : []),
  ].join('\n');
}

function validateRegion(region: string): string {
  if (!/^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(region)) throw new ConfigError(`region ${JSON.stringify(region)} is not an AWS region`);
  return region;
}
