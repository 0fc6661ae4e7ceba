/**
 * What kind of Redshift the stand-in plays, shared by all its sessions:
 * provisioned or Serverless, the database's collation, the authentication it
 * asks for, temporary credentials issued for IAM sign-in, bucket regions, and
 * serialization conflicts a test forces on chosen statements.
 */
import { StandinError } from './errors.ts';

export interface ClusterOptions {
  /**
   * Redshift Serverless: STL, STV, SVL and SVCS views cannot be queried, only
   * the SYS monitoring views [MG:serverless-monitoring; re:Post
   * QU6fVWo0FyQfuYiS7BjNMs-g]. Default false (a provisioned cluster, which has both).
   */
  serverless?: boolean;
  /**
   * Whether the SYS monitoring views exist (default true); false plays a
   * cluster from before them, where only STL_LOAD_ERRORS has load errors.
   */
  sysViews?: boolean;
  /** The database was created `COLLATE CASE_INSENSITIVE` [DG:r_CREATE_DATABASE, DG:r_DB_COLLATION]. Default false. */
  caseInsensitive?: boolean;
  /**
   * The authentication request sent at login: 'md5' (code 5, Redshift's usual)
   * or 'sha256' (code 13, for users created with PASSWORD 'sha256|…', which
   * node-postgres cannot answer) [REDSHIFT-FACTS §8].
   */
  auth?: 'md5' | 'sha256';
  /** Regions of buckets outside the cluster's own region (COPY … REGION must name them). */
  bucketRegions?: Record<string, string>;
  /** Passwords issued by a credentials-API stand-in (GetClusterCredentials…), accepted until they expire. */
  credentials?: TemporaryCredentials;
}

/** Temporary database passwords, by user, each with its expiry. */
export class TemporaryCredentials {
  private readonly issued = new Map<string, { password: string; expires: number }[]>();
  /** Logins accepted with an issued password, by user (for tests). */
  readonly logins = new Map<string, number>();

  issue(user: string, password: string, expires: Date): void {
    const list = (this.issued.get(user) ?? []).filter((c) => c.expires > Date.now());
    list.push({ password, expires: expires.getTime() });
    this.issued.set(user, list);
  }

  /** The passwords `user` may log in with now ("After this timestamp, a log in with the temporary password fails"). */
  valid(user: string): string[] {
    return (this.issued.get(user) ?? []).filter((c) => c.expires > Date.now()).map((c) => c.password);
  }

  recordLogin(user: string): void {
    this.logins.set(user, (this.logins.get(user) ?? 0) + 1);
  }
}

/** Serialization conflicts a test asks for: the next statements matching a pattern fail as Redshift's error 1023. */
export class ForcedConflicts {
  private readonly pending: { pattern: RegExp; left: number }[] = [];
  /** Conflicts raised so far. */
  raised = 0;

  add(pattern: RegExp, times: number): void {
    this.pending.push({ pattern, left: times });
  }

  /** Throws the conflict if `sql` is one a test asked to fail. */
  check(sql: string, pid: number): void {
    const hit = this.pending.find((p) => p.left > 0 && p.pattern.test(sql));
    if (!hit) return;
    hit.left--;
    this.raised++;
    throw serializationConflict(pid);
  }
}

/**
 * Redshift's serialization conflict: SQLSTATE XX000, "1023" and a detail
 * naming the table and the transactions of the cycle [DG:c_serial_isolation;
 * REDSHIFT-FACTS §4].
 */
export function serializationConflict(pid: number, table = 0): StandinError {
  return new StandinError('XX000', '1023', {
    detail: `Serializable isolation violation on table - ${table}, transactions forming the cycle are: ${pid * 10 + 1}, ${pid * 10 + 2} (pid:${pid})`,
  });
}

/** The flavour every session consults. */
export interface Cluster {
  serverless: boolean;
  sysViews: boolean;
  caseInsensitive: boolean;
  auth: 'md5' | 'sha256';
  bucketRegions: ReadonlyMap<string, string>;
  credentials: TemporaryCredentials | undefined;
  conflicts: ForcedConflicts;
}

export function makeCluster(options: ClusterOptions): Cluster {
  return {
    serverless: options.serverless ?? false,
    sysViews: options.sysViews ?? true,
    caseInsensitive: options.caseInsensitive ?? false,
    auth: options.auth ?? 'md5',
    bucketRegions: new Map(Object.entries(options.bucketRegions ?? {})),
    credentials: options.credentials,
    conflicts: new ForcedConflicts(),
  };
}
