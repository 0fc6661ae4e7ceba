/**
 * The loader's error hierarchy. Every error carries a stable `code` (tests
 * assert codes, not text) and says whether retrying could help. Record-level
 * problems are not errors: they become rejects (see extract/validate.ts).
 */

export type ErrorCode =
  | 'USAGE' // bad flags or arguments: exit 2
  | 'CONFIG' // dwh.cfg or environment cannot be used
  | 'SOURCE' // listing or reading an object failed (S3 or local)
  | 'CONNECTION' // the warehouse cannot be reached or refused us
  | 'SQL' // a statement failed in the warehouse
  | 'COPY' // a COPY into a table failed
  | 'LOCKED' // another run holds the warehouse lock
  | 'SCHEMA' // the tables are missing or not what we expect
  | 'WORKER' // a worker thread that encodes rows stopped
  | 'INTERRUPTED' // SIGINT/SIGTERM
  | 'SYSTEM' // a file, folder or program the loader needs cannot be used (ENOENT, EACCES, ENOSPC…)
  | 'INTERNAL'; // anything else: a bug, reported as it was thrown (the original is the `cause`)

export interface SparkifyErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  /** What the user can do about it, appended to the one-line message. */
  hint?: string;
}

/** Base error: a one-line message that names what failed, plus a code. */
export class SparkifyError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: SparkifyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SparkifyError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
  }
}

export class UsageError extends SparkifyError {
  constructor(message: string, options?: SparkifyErrorOptions) {
    super('USAGE', message, options);
    this.name = 'UsageError';
  }
}

export class ConfigError extends SparkifyError {
  constructor(message: string, options?: SparkifyErrorOptions) {
    super('CONFIG', message, options);
    this.name = 'ConfigError';
  }
}

/** Listing or reading a source object failed; names the object. */
export class SourceError extends SparkifyError {
  readonly key: string | undefined;
  constructor(message: string, key?: string, options?: SparkifyErrorOptions) {
    super('SOURCE', message, options);
    this.name = 'SourceError';
    this.key = key;
  }
}

/** A warehouse statement or COPY failed; keeps pg's error as `cause`. */
export class WarehouseError extends SparkifyError {
  readonly table: string | undefined;
  /** SQLSTATE of the underlying database error, when there is one. */
  readonly sqlState: string | undefined;
  constructor(code: 'CONNECTION' | 'SQL' | 'COPY' | 'SCHEMA' | 'LOCKED', message: string, options: SparkifyErrorOptions & { table?: string; sqlState?: string } = {}) {
    super(code, message, options);
    this.name = 'WarehouseError';
    this.table = options.table;
    this.sqlState = options.sqlState;
  }
}

export class InterruptedError extends SparkifyError {
  readonly signal: string;
  constructor(signal: string) {
    super('INTERRUPTED', `interrupted by ${signal}`);
    this.name = 'InterruptedError';
    this.signal = signal;
  }
}

/** A short, single-line description of any thrown value (never a stack). */
export function describeError(err: unknown): string {
  if (err instanceof SparkifyError) return err.hint ? `${err.message} (${err.hint})` : err.message;
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const base = err.message || err.name;
    return typeof code === 'string' && code && !base.includes(code) ? `${base} [${code}]` : base;
  }
  return String(err);
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
};

/**
 * Any thrown value as a SparkifyError (what the API throws): the loader's own
 * as they are; a system error as SYSTEM, named by what failed and where
 * (`cannot run …/initdb: permission denied`) instead of `spawn … EACCES`;
 * anything else as INTERNAL with its own one-line description. The original
 * is the `cause`.
 */
export function asSparkifyError(err: unknown): SparkifyError {
  if (err instanceof SparkifyError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && ERRNO_TEXT[e.code]) {
    const what = e.syscall?.startsWith('spawn') ? `cannot run ${e.path ?? 'a program'}` : e.path ? `cannot use ${e.path}` : `a ${e.syscall ?? 'system'} call failed`;
    return new SparkifyError('SYSTEM', `${what}: ${ERRNO_TEXT[e.code]}`, { cause: err });
  }
  return new SparkifyError('INTERNAL', describeError(err), { cause: err });
}

/** Fields node-postgres puts on a server error. */
export interface PgErrorFields {
  code?: string;
  detail?: string;
  hint?: string;
  table?: string;
  column?: string;
  constraint?: string;
  where?: string;
}

export function pgFields(err: unknown): PgErrorFields | undefined {
  if (err && typeof err === 'object' && 'severity' in err && 'code' in err) return err as PgErrorFields;
  return undefined;
}

/** The SQLSTATE of an error, or of the database error it wraps. */
export function sqlStateOf(err: unknown): string | undefined {
  if (err instanceof WarehouseError && err.sqlState) return err.sqlState;
  const own = pgFields(err)?.code;
  if (own) return own;
  return err instanceof Error && err.cause !== undefined ? sqlStateOf(err.cause) : undefined;
}

/** SQLSTATE lock_not_available: a lock wait outlasted lock_timeout, or a NOWAIT lock was refused. */
export const LOCK_NOT_AVAILABLE = '55P03';

/** SQLSTATE query_canceled: a statement outlasted statement_timeout, or was cancelled. */
export const QUERY_CANCELED = '57014';

/** SQLSTATE disk_full: the warehouse cannot grow a table. Retrying cannot help until space is freed. */
export const DISK_FULL = '53100';

/** What to do when the warehouse is out of disk space. */
export const DISK_FULL_HINT = 'the warehouse is out of disk space: free some (or grow the volume), then run again — nothing of this unit was committed';
