/**
 * Configuration is resolved once, at the edge: command-line flags, then the
 * environment, then dwh.cfg, then defaults. The result is a frozen, typed
 * object; library code never reads process.env or files on its own. Every
 * secret met on the way is registered for redaction.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { lineOf, readConfigFile, type ConfigFile } from './file.ts';
import { REDSHIFT_HOST, redshiftTarget, type RedshiftTarget } from './redshift.ts';
import { ConfigError, UsageError } from '../common/errors.ts';
import { registerSecret } from '../common/redact.ts';
import { validateRegion } from '../common/aws-names.ts';
import { parseShard, parseShardCount, shardIndex, shardName, type Shard } from '../common/shard.ts';
import { autoWorkers, isLocalHost } from '../common/machine.ts';

export type SslMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export interface ConnectionSettings {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Non-enumerable: never shows in a dump or a stack trace. */
  readonly password?: string;
  readonly sslMode: SslMode;
  readonly sslRootCert?: string;
}

export type Target =
  | { readonly kind: 'embedded'; readonly dir: string }
  | { readonly kind: 'postgres'; readonly connection: ConnectionSettings }
  | { readonly kind: 'redshift'; readonly connection: ConnectionSettings; readonly redshift: RedshiftTarget };

export type { IamSignIn, RedshiftTarget } from './redshift.ts';

export interface S3Settings {
  /** Custom endpoint (MinIO, s3rver…); undefined for AWS. */
  readonly endpoint?: string;
  readonly region: string;
  /** Whether the region was configured (flag, env or file) rather than defaulted. */
  readonly regionConfigured: boolean;
  readonly forcePathStyle: boolean;
  /** Unsigned requests, for public buckets. */
  readonly anonymous: boolean;
  /** AWS shared-config profile (`--profile`, `AWS_PROFILE`); undefined: the default chain. */
  readonly profile?: string;
}

export interface RedshiftSettings {
  readonly iamRole?: string;
  /** s3://bucket/prefix for the gzipped CSV parts of stage mode. */
  readonly stagingPrefix?: string;
  /** JSONPaths file for direct mode. */
  readonly jsonPaths?: string;
  readonly mode: 'stage' | 'direct';
  /**
   * Region of the staging bucket ([S3] STAGING_REGION, --staging-region;
   * default: the sources' region when that is configured). COPY names a
   * region only where its files are not in the cluster's.
   */
  readonly stagingRegion?: string;
}

export interface LoadSettings {
  /**
   * At most this many objects read from the source at once (--concurrency);
   * undefined (the default): the number adapts, from 8 up to 128 (stage/read-limiter.ts).
   */
  readonly concurrency?: number;
  /** Worker threads that encode rows on Postgres (default: the cores the warehouse connection leaves, common/machine.ts). */
  readonly workers: number;
  /** Rejects allowed before the run exits 3 (default 0). */
  readonly maxErrors: number;
  readonly since?: string;
  readonly until?: string;
  readonly fullRefresh: boolean;
  readonly prune: boolean;
  readonly dryRun: boolean;
  /** Retries of a failed object, transaction or model step on a transient error (default 4). */
  readonly retries: number;
  /** Seconds of network silence after which an S3 request or a connection attempt is abandoned, and the longest lock wait on Postgres (default 60). */
  readonly timeoutSeconds: number;
  /** Seconds a full build's swap waits for a gap in analysts' reads before reloading the tables in place (default 60). */
  readonly swapWaitSeconds: number;
  /** A source that lists no object is an error unless this is set (`--allow-empty`). */
  readonly allowEmpty: boolean;
  /** `--include` / `--exclude` filters in the order given, applied after the default ones (extract/key-filter.ts). */
  readonly filters: readonly KeyFilterRule[];
  /** Seconds to wait for another run's lock before giving up (default 0: fail at once). */
  readonly waitSeconds: number;
  /** Rejects older than this many days are deleted at the end of a run (default: kept for ever). */
  readonly rejectsRetentionDays?: number;
  /**
   * This run stages only its share of the objects (`--shard I/N`, or a job
   * index from the environment with `--shards N` / `[ETL] SHARDS`); undefined:
   * every object. `origin` says which setting gave the index.
   */
  readonly shard?: Shard & { readonly origin: string };
  /** Only bring the star schema up to date (`sparkify model`, `etl --model-only`): no listing, no staging. */
  readonly modelOnly: boolean;
}

/** One `--include PATTERN` or `--exclude PATTERN`. */
export interface KeyFilterRule {
  readonly kind: 'include' | 'exclude';
  readonly pattern: string;
}

export interface Config {
  readonly target: Target;
  readonly schema?: string;
  readonly sources: { readonly songs?: string; readonly logs?: string };
  readonly s3: S3Settings;
  readonly redshift: RedshiftSettings;
  readonly load: LoadSettings;
  /** Identifies this run in the warehouse (lock holder, the ledger's runs). */
  readonly runner: { readonly host: string; readonly pid: number };
  readonly configFile?: string;
  /** Where the target and the schema came from, e.g. `DATABASE_URL`, `dwh.cfg:3`, `--target` (shown by etl and status). */
  readonly origins: { readonly target: string; readonly schema?: string; readonly songs?: string; readonly logs?: string };
}

/** Command-line flags as commander gives them (all optional). */
export interface Flags {
  config?: string;
  /** Read no dwh.cfg at all (the demo, tests). */
  ignoreConfigFile?: boolean;
  target?: string;
  schema?: string;
  songs?: string;
  logs?: string;
  concurrency?: string;
  workers?: string;
  maxErrors?: string;
  since?: string;
  until?: string;
  fullRefresh?: boolean;
  prune?: boolean;
  dryRun?: boolean;
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
  noSignRequest?: boolean;
  iamRole?: string;
  stagingPrefix?: string;
  stagingRegion?: string;
  /** Redshift sign-in with IAM temporary credentials. */
  iamAuth?: boolean;
  clusterId?: string;
  workgroup?: string;
  clusterRegion?: string;
  jsonPaths?: string;
  redshiftMode?: string;
  retries?: string;
  timeout?: string;
  swapWait?: string;
  allowEmpty?: boolean;
  /** --include/--exclude in command-line order. */
  filters?: KeyFilterRule[];
  profile?: string;
  wait?: string;
  rejectsRetention?: string;
  /** `I/N`: stage shard I of N. */
  shard?: string;
  /** N, with the index from JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX. */
  shards?: string;
  modelOnly?: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_EMBEDDED_DIR = '.sparkify';
/** Where the Udacity bucket lives. */
const DEFAULT_S3_REGION = 'us-west-2';
/** A connection's port and user when the URL or [CLUSTER] gives none, by warehouse (its TLS mode: sslMode). */
const CONNECTION_DEFAULTS = { postgres: { port: 5432, user: 'postgres' }, redshift: { port: 5439, user: 'awsuser' } } as const;

/** Resolves flags → env → dwh.cfg → defaults into a frozen Config. */
export function resolveConfig(flags: Flags, env: Env, cwd = process.cwd()): Config {
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'PGPASSWORD']) registerSecret(env[name]);

  const configPath = flags.config ?? 'dwh.cfg';
  const file: ConfigFile = flags.ignoreConfigFile ? {} : (readConfigFile(resolve(cwd, configPath), flags.config === undefined, configPath) ?? {});
  const cfg = (section: string, key: string): string | undefined => {
    const v = file[section]?.[key];
    return v === undefined || v === '' ? undefined : v;
  };
  const where = (section: string, key: string) => `${lineOf(file, section, key) ?? configPath} [${section}] ${key}`;
  registerSecret(cfg('CLUSTER', 'DB_PASSWORD'));

  const schemaText = flags.schema ?? cfg('CLUSTER', 'SCHEMA');
  if (schemaText !== undefined) validateIdentifier(schemaText, flags.schema !== undefined ? '--schema' : where('CLUSTER', 'SCHEMA'));

  const { target, origin: targetOrigin } = resolveTarget(flags, env, cfg, where, cwd);
  // Redshift folds identifiers to lower case, quoted ones too (unless
  // enable_case_sensitive_identifier is on): use the name it stores, so that
  // lookups by name (information_schema) find what the DDL created.
  const schema = target.kind === 'redshift' ? schemaText?.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : schemaText;
  const regionText = flags.s3Region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? cfg('S3', 'REGION');
  const s3: S3Settings = {
    endpoint: flags.s3Endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? cfg('S3', 'ENDPOINT'),
    region: regionText ?? DEFAULT_S3_REGION,
    regionConfigured: regionText !== undefined,
    forcePathStyle: flags.s3PathStyle ?? bool(cfg('S3', 'PATH_STYLE'), where('S3', 'PATH_STYLE')) ?? false,
    anonymous: flags.noSignRequest ?? bool(cfg('S3', 'ANONYMOUS'), where('S3', 'ANONYMOUS')) ?? false,
    profile: flags.profile ?? env.AWS_PROFILE ?? cfg('S3', 'PROFILE'),
  };
  if (s3.profile !== undefined && !/^[\w.@+-]{1,128}$/.test(s3.profile)) throw new UsageError(`AWS profile name ${JSON.stringify(s3.profile)} is not valid (letters, digits, . _ - + @)`);
  // Which setting gave a value, so that an error about it names the flag, the variable, or the file and line.
  const originOf = (flag: string, flagValue: unknown, envNames: string[], section: string, key: string) =>
    flagValue !== undefined ? flag : (envNames.find((n) => env[n] !== undefined) ?? where(section, key));
  if (s3.endpoint !== undefined) validateUrl(s3.endpoint, `S3 endpoint (${originOf('--s3-endpoint', flags.s3Endpoint, ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'], 'S3', 'ENDPOINT')})`, ['http:', 'https:']);
  validateRegion(s3.region, `${originOf('--s3-region', flags.s3Region, ['AWS_REGION', 'AWS_DEFAULT_REGION'], 'S3', 'REGION')}: S3 region`);

  const modeText = flags.redshiftMode ?? cfg('ETL', 'REDSHIFT_MODE') ?? 'stage';
  if (modeText !== 'stage' && modeText !== 'direct') {
    throw flagOrConfig(flags.redshiftMode !== undefined, `--redshift-mode must be stage or direct, got ${JSON.stringify(modeText)}`, where('ETL', 'REDSHIFT_MODE'));
  }
  const stagingRegionText = flags.stagingRegion ?? cfg('S3', 'STAGING_REGION');
  if (stagingRegionText !== undefined) validateRegion(stagingRegionText, `${flags.stagingRegion !== undefined ? '--staging-region' : where('S3', 'STAGING_REGION')}: staging region`);
  const stagingRegion = stagingRegionText ?? (s3.regionConfigured ? s3.region : undefined);
  const redshift: RedshiftSettings = {
    iamRole: flags.iamRole ?? cfg('IAM_ROLE', 'ARN'),
    stagingPrefix: flags.stagingPrefix ?? cfg('S3', 'STAGING_PREFIX'),
    jsonPaths: flags.jsonPaths ?? cfg('S3', 'LOG_JSONPATH'),
    mode: modeText,
    stagingRegion,
  };

  /** An integer knob: its flag, else `[ETL] key` in dwh.cfg, each checked against the range (an error names the flag or the file and line). */
  const etlInt = (value: string | undefined, flag: string, key: string, min: number, max: number) => int(value, flag, min, max) ?? int(cfg('ETL', key), where('ETL', key), min, max, true);
  // Unset, the reads adapt to the source (stage/read-limiter.ts).
  const concurrency = etlInt(flags.concurrency, '--concurrency', 'CONCURRENCY', 1, 256);
  const load: LoadSettings = {
    concurrency,
    workers: etlInt(flags.workers, '--workers', 'WORKERS', 0, MAX_WORKERS) ?? defaultWorkers(target, concurrency),
    maxErrors: etlInt(flags.maxErrors, '--max-errors', 'MAX_ERRORS', 0, Number.MAX_SAFE_INTEGER) ?? 0,
    since: day(flags.since, '--since'),
    until: day(flags.until, '--until'),
    retries: etlInt(flags.retries, '--retries', 'RETRIES', 0, 100) ?? 4,
    timeoutSeconds: etlInt(flags.timeout, '--timeout', 'TIMEOUT', 1, 86_400) ?? 60,
    swapWaitSeconds: etlInt(flags.swapWait, '--swap-wait', 'SWAP_WAIT', 0, 86_400) ?? 60,
    fullRefresh: flags.fullRefresh ?? false,
    prune: flags.prune ?? false,
    dryRun: flags.dryRun ?? false,
    allowEmpty: flags.allowEmpty ?? bool(cfg('ETL', 'ALLOW_EMPTY'), where('ETL', 'ALLOW_EMPTY')) ?? false,
    filters: flags.filters ?? [],
    waitSeconds: etlInt(flags.wait, '--wait', 'WAIT', 0, 86_400) ?? 0,
    rejectsRetentionDays: etlInt(flags.rejectsRetention, '--rejects-retention', 'REJECTS_RETENTION_DAYS', 1, 36_500),
    shard: resolveShard(flags, env, cfg('ETL', 'SHARDS'), where('ETL', 'SHARDS')),
    modelOnly: flags.modelOnly ?? false,
  };
  for (const f of load.filters) if (f.pattern === '') throw new UsageError(`--${f.kind} needs a pattern, got an empty one`);
  if (load.since && load.until && load.since > load.until) throw new UsageError(`--since ${load.since} is after --until ${load.until}`);
  if (load.modelOnly && load.dryRun) throw new UsageError('--dry-run lists what a load would do; a model build loads nothing', { hint: '`sparkify status` says whether the star schema is behind staging' });

  return deepFreeze({
    target,
    schema,
    sources: { songs: flags.songs ?? cfg('S3', 'SONG_DATA'), logs: flags.logs ?? cfg('S3', 'LOG_DATA') },
    s3,
    redshift,
    load,
    runner: { host: hostname(), pid: process.pid },
    configFile: !flags.ignoreConfigFile && existsSync(resolve(cwd, configPath)) ? configPath : undefined,
    origins: {
      target: targetOrigin,
      schema: schemaText === undefined ? undefined : flags.schema !== undefined ? '--schema' : (lineOf(file, 'CLUSTER', 'SCHEMA') ?? configPath),
      songs: flags.songs !== undefined ? '--songs' : cfg('S3', 'SONG_DATA') !== undefined ? where('S3', 'SONG_DATA') : undefined,
      logs: flags.logs !== undefined ? '--logs' : cfg('S3', 'LOG_DATA') !== undefined ? where('S3', 'LOG_DATA') : undefined,
    },
  });
}

/** Environment variables that carry a job's index, in the order they are read. */
export const SHARD_INDEX_VARIABLES = ['JOB_COMPLETION_INDEX', 'AWS_BATCH_JOB_ARRAY_INDEX'] as const;

/**
 * The shard of this run. `--shard I/N` wins over everything. Otherwise the
 * count comes from `--shards N`, else `[ETL] SHARDS`, and the index from the
 * job that started the process: JOB_COMPLETION_INDEX (a Kubernetes Indexed
 * Job), else AWS_BATCH_JOB_ARRAY_INDEX (an AWS Batch array job). A count from
 * dwh.cfg with no job index is an ordinary, unsharded run (the same file
 * serves the job and a laptop); `--shards` without one is a usage error.
 * Commands other than `etl` take no shard lock whatever this says.
 */
function resolveShard(flags: Flags, env: Env, fileCount: string | undefined, fileWhere: string): (Shard & { origin: string }) | undefined {
  // The model build runs once, after the shards: a job index in its environment is not a shard of it.
  if (flags.modelOnly && flags.shard === undefined && flags.shards === undefined) return undefined;
  if (flags.shard !== undefined) {
    const shard = parseShard(flags.shard, '--shard');
    if (typeof shard === 'string') throw new UsageError(shard);
    if (flags.shards !== undefined && parseShardCount(flags.shards, '--shards') !== shard.count) {
      throw new UsageError(`--shard ${shardName(shard)} and --shards ${flags.shards} disagree on the number of shards`, { hint: 'give one of them' });
    }
    return { ...shard, origin: '--shard' };
  }
  const countText = flags.shards ?? fileCount;
  if (countText === undefined) return undefined;
  const count = parseShardCount(countText, flags.shards !== undefined ? '--shards' : fileWhere);
  if (typeof count === 'string') throw flags.shards !== undefined ? new UsageError(count) : new ConfigError(count);
  const variable = SHARD_INDEX_VARIABLES.find((name) => env[name] !== undefined && env[name] !== '');
  if (variable === undefined) {
    if (flags.shards === undefined) return undefined;
    throw new UsageError(`--shards ${count} needs this run's shard index, and neither ${SHARD_INDEX_VARIABLES.join(' nor ')} is set`, {
      hint: `pass --shard I/${count} instead, or run it as a Kubernetes Indexed Job or an AWS Batch array job`,
    });
  }
  const shard = shardIndex(env[variable]!, count, `${variable}=${env[variable]}`);
  if (typeof shard === 'string') throw new ConfigError(`${shard} (from ${flags.shards !== undefined ? '--shards' : fileWhere})`);
  return { ...shard, origin: variable };
}

/**
 * What a shard run cannot do, checked before it touches anything: forget all
 * staged data (a full refresh without a day range would wipe the other
 * shards' work), build the star schema, or load through Redshift's direct
 * mode (Redshift reads the objects itself there: splitting the loader gains nothing).
 */
export function checkShardRun(config: Config): void {
  const shard = config.load.shard;
  if (!shard) return;
  const name = `shard ${shardName(shard)} (from ${shard.origin})`;
  if (config.load.modelOnly) throw new UsageError(`--model-only builds the star schema after the shards; this run is ${name}`, { hint: 'run `sparkify model` without a shard' });
  if (config.load.fullRefresh && config.load.since === undefined && config.load.until === undefined) {
    throw new UsageError(`--full-refresh forgets everything staged before reloading it, which would wipe the other shards' work; this run is ${name}`, {
      hint: 'reload everything with one unsharded `sparkify etl --full-refresh`, or `sparkify create-tables --reset --yes` and then the shards; a day range (--since/--until) may be refreshed by shards',
    });
  }
  if (config.target.kind === 'redshift' && config.redshift.mode === 'direct') {
    throw new UsageError(`Redshift direct mode has Redshift read every object itself, so shards gain nothing; this run is ${name}`, { hint: 'use --redshift-mode stage (the default) for shards' });
  }
  // A shard registers its staging folder (this prefix, /sparkify-run-<run>-<random>) in the ledger's state, a VARCHAR(256) on Redshift.
  if (config.target.kind === 'redshift' && Buffer.byteLength(config.redshift.stagingPrefix ?? '') > 200) {
    throw new ConfigError(`the staging prefix is ${Buffer.byteLength(config.redshift.stagingPrefix!)} bytes long; a shard needs one of at most 200, to record where it leaves its parts`, { hint: 'use a shorter staging prefix (--staging-prefix, [S3] STAGING_PREFIX)' });
  }
}

function resolveTarget(
  flags: Flags,
  env: Env,
  cfg: (s: string, k: string) => string | undefined,
  where: (s: string, k: string) => string,
  cwd: string,
): { target: Target; origin: string } {
  // Precedence (SPEC §8): --target, then DATABASE_URL, then [CLUSTER] in dwh.cfg, then the embedded default.
  const fromFlag = flags.target;
  const url = fromFlag ?? env.DATABASE_URL;
  // IAM sign-in, region, cluster and workgroup: flags, then dwh.cfg, whichever way the target was given.
  const redshiftOptions = (host: string, user: string | undefined) =>
    redshiftTarget(host, {
      iamAuth: flags.iamAuth ?? bool(cfg('CLUSTER', 'IAM_AUTH'), where('CLUSTER', 'IAM_AUTH')) ?? false,
      clusterId: flags.clusterId ?? cfg('CLUSTER', 'CLUSTER_ID'),
      workgroup: flags.workgroup ?? cfg('CLUSTER', 'WORKGROUP'),
      region: flags.clusterRegion ?? cfg('CLUSTER', 'REGION'),
      user,
      env,
      origin: { iamAuth: flags.iamAuth ? '--iam-auth' : where('CLUSTER', 'IAM_AUTH'), region: flags.clusterRegion !== undefined ? '--cluster-region' : where('CLUSTER', 'REGION') },
    });
  if (url !== undefined) {
    const origin = fromFlag !== undefined ? '--target' : 'DATABASE_URL';
    const target = parseTargetUrl(url, origin, env, cwd);
    if (target.kind !== 'redshift') {
      if (flags.iamAuth) throw new UsageError('--iam-auth signs in to Redshift; the target is not a redshift:// URL');
      return { target, origin };
    }
    const user = decodeURIComponent(new URL(url).username) || undefined;
    return { target: { ...target, redshift: redshiftOptions(target.connection.host, user) }, origin };
  }
  const host = cfg('CLUSTER', 'HOST');
  if (!host) return { target: { kind: 'embedded', dir: resolve(cwd, DEFAULT_EMBEDDED_DIR) }, origin: 'default' };
  const type = cfg('CLUSTER', 'TYPE')?.toLowerCase() ?? (REDSHIFT_HOST.test(host) ? 'redshift' : 'postgres');
  if (type !== 'postgres' && type !== 'redshift') throw new ConfigError(`${where('CLUSTER', 'TYPE')} must be postgres or redshift, got ${JSON.stringify(type)}`);
  const portText = cfg('CLUSTER', 'DB_PORT');
  const port = portText === undefined ? CONNECTION_DEFAULTS[type].port : int(portText, where('CLUSTER', 'DB_PORT'), 1, 65535, true)!;
  const database = cfg('CLUSTER', 'DB_NAME');
  // libpq would fall back to a database named after the user: another project's, perhaps.
  if (database === undefined) throw new ConfigError(`${where('CLUSTER', 'HOST').replace(/ \[CLUSTER\] HOST$/, '')}: [CLUSTER] has a HOST but no DB_NAME`, { hint: 'add DB_NAME = the database to load into (create it first: createdb NAME)' });
  const connection = makeConnection({
    host,
    port,
    database,
    user: cfg('CLUSTER', 'DB_USER') ?? CONNECTION_DEFAULTS[type].user,
    password: cfg('CLUSTER', 'DB_PASSWORD') ?? env.PGPASSWORD,
    sslMode: sslMode(cfg('CLUSTER', 'SSLMODE'), where('CLUSTER', 'SSLMODE'), type),
    sslRootCert: cfg('CLUSTER', 'SSLROOTCERT'),
  });
  const origin = where('CLUSTER', 'HOST').replace(/ \[CLUSTER\] HOST$/, '');
  return { target: type === 'redshift' ? { kind: 'redshift', connection, redshift: redshiftOptions(host, cfg('CLUSTER', 'DB_USER')) } : { kind: 'postgres', connection }, origin };
}

/**
 * `postgres://user:pass@host:port/db?sslmode=…&sslrootcert=…`,
 * `redshift://…` (port 5439, TLS verified by default), `embedded` or
 * `embedded:/path/to/dir`.
 */
export function parseTargetUrl(text: string, origin: string, env: Env = {}, cwd = process.cwd()): Target {
  if (text === 'embedded') return { kind: 'embedded', dir: resolve(cwd, DEFAULT_EMBEDDED_DIR) };
  if (text.startsWith('embedded:')) return { kind: 'embedded', dir: resolve(cwd, text.slice('embedded:'.length)) };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${origin} is not a URL: expected postgres://user@host:port/db, redshift://user@host:5439/db or embedded`);
  }
  registerSecret(decodeURIComponent(url.password));
  const scheme = url.protocol.replace(/:$/, '');
  const kind = scheme === 'postgres' || scheme === 'postgresql' ? 'postgres' : scheme === 'redshift' ? 'redshift' : undefined;
  if (!kind) throw new UsageError(`${origin} has scheme ${scheme}: expected postgres://, redshift:// or embedded`);
  const params = url.searchParams;
  for (const name of params.keys()) {
    if (name !== 'sslmode' && name !== 'sslrootcert') throw new UsageError(`${origin}: unknown parameter ${name} (known: sslmode, sslrootcert)`);
  }
  const connection = makeConnection({
    host: decodeURIComponent(url.hostname.replace(/^\[|\]$/g, '')) || 'localhost',
    port: url.port ? Number(url.port) : CONNECTION_DEFAULTS[kind].port,
    database: databaseOf(url, origin),
    user: decodeURIComponent(url.username) || CONNECTION_DEFAULTS[kind].user,
    password: url.password ? decodeURIComponent(url.password) : env.PGPASSWORD,
    sslMode: sslMode(params.get('sslmode') ?? undefined, `${origin} sslmode`, kind),
    sslRootCert: params.get('sslrootcert') ?? undefined,
  });
  return kind === 'redshift' ? { kind, connection, redshift: redshiftTarget(connection.host) } : { kind, connection };
}

/** The database named by a URL's path; none is an error (libpq would pick one named after the user). */
function databaseOf(url: URL, origin: string): string {
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (name === '') throw new UsageError(`${origin} names no database: expected ${url.protocol}//user@${url.host || 'host'}/DATABASE`, { hint: 'create it first if needed (createdb DATABASE)' });
  if (name.includes('/')) throw new UsageError(`${origin}: database name ${JSON.stringify(name)} contains a slash`);
  return name;
}

function makeConnection(c: Omit<ConnectionSettings, 'password'> & { password?: string }): ConnectionSettings {
  const { password, ...rest } = c;
  const out = { ...rest } as ConnectionSettings;
  if (password !== undefined) {
    registerSecret(password);
    Object.defineProperty(out, 'password', { value: password, enumerable: false });
  }
  return out;
}

function sslMode(value: string | undefined, origin: string, kind: 'postgres' | 'redshift'): SslMode {
  // Redshift hosts get TLS with a verified certificate unless told otherwise:
  // its certificates come from a public CA (REDSHIFT-FACTS §8).
  if (value === undefined) return kind === 'redshift' ? 'verify-full' : 'prefer';
  const modes: SslMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];
  if (!modes.includes(value as SslMode)) throw new ConfigError(`${origin} must be one of ${modes.join(', ')}, got ${JSON.stringify(value)}`);
  return value as SslMode;
}

/** A DATE flag: YYYY-MM-DD that is a real day. */
function day(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : undefined;
  if (!date || date.toISOString().slice(0, 10) !== value) throw new UsageError(`${flag} must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return value;
}

/** Most worker threads one may ask for. */
const MAX_WORKERS = 64;

/** Workers when not set: none on Redshift (its CSV rows are encoded on the main thread), else the cores left over. */
function defaultWorkers(target: Target, concurrency: number | undefined): number {
  if (target.kind === 'redshift') return 0;
  // As stage/index.ts runs them: up to two objects (COPY streams) at once.
  const copyStreams = Math.min(concurrency ?? 2, 2);
  return autoWorkers({ cores: availableParallelism(), copyStreams, warehouseHere: target.kind === 'embedded' || isLocalHost(target.connection.host) });
}

function int(value: string | undefined, origin: string, min: number, max: number, fromConfig = false): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const message = `${origin} must be an integer from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any' : max}, got ${JSON.stringify(value)}`;
    throw fromConfig ? new ConfigError(message) : new UsageError(message);
  }
  return n;
}

function bool(value: string | undefined, origin: string): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(v)) return true;
  if (['false', 'no', '0', 'off'].includes(v)) return false;
  throw new ConfigError(`${origin} must be true or false, got ${JSON.stringify(value)}`);
}

function flagOrConfig(isFlag: boolean, message: string, where: string): Error {
  return isFlag ? new UsageError(message) : new ConfigError(`${where}: ${message.replace(/^--\S+ /, '')}`);
}

/** Schema names are quoted everywhere, yet a name no one could type twice is refused early. */
function validateIdentifier(name: string, origin: string): void {
  if (name.length === 0 || name.length > 63 || /[\0-\x1f]/.test(name)) {
    throw new UsageError(`${origin} must be 1–63 characters without control characters, got ${JSON.stringify(name)}`);
  }
}

function validateUrl(value: string, what: string, schemes: string[]): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${what} ${JSON.stringify(value)} is not a URL`);
  }
  if (!schemes.includes(url.protocol)) throw new ConfigError(`${what} must start with ${schemes.join(' or ')}//, got ${JSON.stringify(value)}`);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A display form of the target without any secret. */
export function describeTarget(target: Target): string {
  if (target.kind === 'embedded') return `embedded Postgres in ${target.dir}`;
  const c = target.connection;
  return `${target.kind}://${c.user}@${c.host}:${c.port}/${c.database}`;
}
