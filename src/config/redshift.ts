/**
 * What a Redshift target needs beyond host, port, database and user: whether
 * it is a Serverless workgroup, its region, and how to sign in with IAM
 * instead of a stored password. Part of config resolution (config.ts): pure,
 * given the flags, the environment and dwh.cfg.
 */
import { ConfigError } from '../common/errors.ts';
import { REGION_PATTERN, validateRegion } from '../common/aws-names.ts';

/** `cluster.abc123.us-west-2.redshift.amazonaws.com`, `workgroup.123456789012.us-west-2.redshift-serverless.amazonaws.com` (and .com.cn). */
const AWS_HOST = new RegExp(`^([^.]+)\\.[^.]+\\.(${REGION_PATTERN})\\.redshift(-serverless)?\\.amazonaws\\.com(?:\\.cn)?$`, 'i');
/** Hosts that name Redshift by themselves; any other host needs TYPE = redshift (VPC endpoints, custom DNS). */
export const REDSHIFT_HOST = /\.redshift(-serverless)?\.amazonaws\.com(\.cn)?$/i;

export interface IamSignIn {
  /** The provisioned cluster's identifier, or the Serverless workgroup's name. */
  readonly name: string;
  readonly region: string;
  /**
   * Provisioned: the database user GetClusterCredentials issues a password
   * for; when absent, GetClusterCredentialsWithIAM signs in as the database
   * user mapped to the caller's IAM identity. Serverless maps the identity too.
   */
  readonly dbUser?: string;
  /** The API endpoint, when not AWS's own (AWS_ENDPOINT_URL_REDSHIFT, …_REDSHIFT_SERVERLESS, AWS_ENDPOINT_URL). */
  readonly endpoint?: string;
}

export interface RedshiftTarget {
  /** A Serverless workgroup (its host, or WORKGROUP given) rather than a provisioned cluster. */
  readonly serverless: boolean;
  /** The cluster's or workgroup's region: configured, or read from its AWS host name; undefined when unknown. */
  readonly region?: string;
  /** IAM sign-in: temporary credentials from the Redshift API instead of a stored password. */
  readonly iam?: IamSignIn;
}

export interface RedshiftTargetOptions {
  iamAuth?: boolean;
  clusterId?: string;
  workgroup?: string;
  region?: string;
  /** The database user, when one was given (not the default). */
  user?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Where each option came from, for messages. */
  origin?: { iamAuth?: string; region?: string };
}

/** Serverless or provisioned, region, and IAM sign-in of a Redshift host. */
export function redshiftTarget(host: string, options: RedshiftTargetOptions = {}): RedshiftTarget {
  const aws = AWS_HOST.exec(host);
  const serverless = options.workgroup !== undefined || (aws !== null && aws[3] !== undefined);
  if (options.region !== undefined) validateRegion(options.region, options.origin?.region ?? 'the cluster region');
  const region = options.region ?? aws?.[2]?.toLowerCase();
  if (!options.iamAuth) return { serverless, region };
  const name = (serverless ? options.workgroup : options.clusterId) ?? aws?.[1];
  const where = options.origin?.iamAuth ?? 'IAM sign-in';
  if (!name) {
    throw new ConfigError(`${where} needs the ${serverless ? 'workgroup name' : 'cluster identifier'} of ${host}`, {
      hint: serverless ? 'set [CLUSTER] WORKGROUP or --workgroup' : 'set [CLUSTER] CLUSTER_ID or --cluster-id (a Serverless workgroup: WORKGROUP / --workgroup)',
    });
  }
  if (!region) throw new ConfigError(`${where} needs the region of ${host}`, { hint: 'set [CLUSTER] REGION or --cluster-region' });
  const env = options.env ?? {};
  const endpoint = (serverless ? env.AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS : env.AWS_ENDPOINT_URL_REDSHIFT) ?? env.AWS_ENDPOINT_URL;
  return { serverless, region, iam: { name, region, dbUser: serverless ? undefined : options.user, endpoint } };
}
