/**
 * IAM sign-in to Redshift: no stored password, but a temporary one the
 * Redshift API issues to the caller's AWS identity (credentials from the
 * standard chain):
 *
 * - a provisioned cluster: GetClusterCredentials for a named database user,
 *   or GetClusterCredentialsWithIAM for the user mapped to the IAM identity;
 * - a Serverless workgroup: redshift-serverless GetCredentials.
 *
 * Passwords last 15 to 60 minutes, and only logging in needs one: a
 * connection outlives its password. Every new connection asks the cache,
 * which fetches a fresh password before the current one expires, so a long
 * run (or a long model step that opens a session late) always logs in with a
 * valid one. The AWS SDK clients are loaded only here, when IAM sign-in is on.
 */
import type { IamSignIn } from '../config/index.ts';
import { WarehouseError } from '../common/errors.ts';
import { isTransientStatus } from '../common/retry.ts';
import { registerSecret } from '../common/redact.ts';

export interface TemporaryCredentials {
  user: string;
  password: string;
  expiration: Date;
  /** When the API suggests asking again (Serverless; "reserved" on provisioned clusters). */
  nextRefresh?: Date;
}

/** Lifetime asked for, in seconds: the APIs allow 900 to 3600 (AWS's default is 900). */
const DURATION_SECONDS = 3600;

export interface FetchOptions {
  database: string;
  serverless: boolean;
  timeoutMs: number;
  maxAttempts: number;
}

/** Fetches temporary credentials through the AWS SDK (loaded on first use). */
export function awsCredentialsFetcher(iam: IamSignIn, options: FetchOptions): () => Promise<TemporaryCredentials> {
  const common = {
    region: iam.region,
    maxAttempts: options.maxAttempts,
    requestHandler: { connectionTimeout: options.timeoutMs, socketTimeout: options.timeoutMs },
    ...(iam.endpoint ? { endpoint: iam.endpoint } : {}),
  };
  const api = options.serverless ? 'redshift-serverless GetCredentials' : iam.dbUser ? 'redshift GetClusterCredentials' : 'redshift GetClusterCredentialsWithIAM';
  let call: (() => Promise<TemporaryCredentials>) | undefined;
  const prepare = async (): Promise<() => Promise<TemporaryCredentials>> => {
    if (options.serverless) {
      const { RedshiftServerlessClient, GetCredentialsCommand } = await import('@aws-sdk/client-redshift-serverless');
      const client = new RedshiftServerlessClient(common);
      return async () => {
        const out = await client.send(new GetCredentialsCommand({ workgroupName: iam.name, dbName: options.database, durationSeconds: DURATION_SECONDS }));
        return credentials(out.dbUser, out.dbPassword, out.expiration, out.nextRefreshTime);
      };
    }
    const { RedshiftClient, GetClusterCredentialsCommand, GetClusterCredentialsWithIAMCommand } = await import('@aws-sdk/client-redshift');
    const client = new RedshiftClient(common);
    return async () => {
      if (iam.dbUser) {
        // AutoCreate off: the user must exist; its privileges are the ones it has.
        const out = await client.send(new GetClusterCredentialsCommand({ ClusterIdentifier: iam.name, DbUser: iam.dbUser, DbName: options.database, DurationSeconds: DURATION_SECONDS, AutoCreate: false }));
        return credentials(out.DbUser, out.DbPassword, out.Expiration);
      }
      // NextRefreshTime is "reserved for future use" here: only the expiration counts.
      const out = await client.send(new GetClusterCredentialsWithIAMCommand({ ClusterIdentifier: iam.name, DbName: options.database, DurationSeconds: DURATION_SECONDS }));
      return credentials(out.DbUser, out.DbPassword, out.Expiration);
    };
  };
  return async () => {
    try {
      call ??= await prepare();
      return await call();
    } catch (err) {
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      throw new WarehouseError('CONNECTION', `cannot sign in to Redshift with IAM: ${api} for ${options.serverless ? 'workgroup' : 'cluster'} ${iam.name} in ${iam.region} failed: ${e.name && !e.message?.includes(e.name) ? `${e.name}: ` : ''}${e.message ?? String(err)}`, {
        cause: err,
        retryable: isTransientStatus(e.$metadata?.httpStatusCode),
        hint: `the AWS identity needs ${options.serverless ? 'redshift-serverless:GetCredentials on the workgroup' : iam.dbUser ? 'redshift:GetClusterCredentials on the dbuser and dbname' : 'redshift:GetClusterCredentialsWithIAM on the dbname'} (README "Running on Redshift")`,
      });
    }
  };
}

function credentials(user: string | undefined, password: string | undefined, expiration: Date | undefined, nextRefresh?: Date): TemporaryCredentials {
  if (!user || !password || !expiration) throw new Error('the answer lacks the user, password or expiration');
  registerSecret(password);
  return { user, password, expiration, nextRefresh };
}

/**
 * Temporary credentials, fetched again when the current ones come within a
 * quarter of their lifetime (at most 5 minutes) of expiring, or past the
 * API's suggested refresh time. Concurrent callers share one fetch.
 */
export class CredentialsCache {
  private current: { value: TemporaryCredentials; fetchedAt: number } | undefined;
  private pending: Promise<TemporaryCredentials> | undefined;
  /** Fetches made so far. */
  fetches = 0;

  private readonly fetch: () => Promise<TemporaryCredentials>;
  private readonly now: () => number;

  constructor(fetch: () => Promise<TemporaryCredentials>, now: () => number = Date.now) {
    this.fetch = fetch;
    this.now = now;
  }

  async get(): Promise<TemporaryCredentials> {
    if (this.current && !this.stale(this.current.value, this.current.fetchedAt)) return this.current.value;
    this.pending ??= (async () => {
      try {
        const fetchedAt = this.now();
        const value = await this.fetch();
        this.fetches++;
        this.current = { value, fetchedAt };
        return value;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  private stale(c: TemporaryCredentials, fetchedAt: number): boolean {
    const now = this.now();
    const expires = c.expiration.getTime();
    const margin = Math.min(5 * 60_000, Math.max(0, expires - fetchedAt) / 4);
    return now >= expires - margin || (c.nextRefresh !== undefined && now >= c.nextRefresh.getTime());
  }
}
