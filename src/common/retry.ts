/**
 * Retries with capped exponential backoff and full jitter, for work that can
 * fail transiently (S3 5xx/throttling/resets, a Postgres connection lost
 * before commit). Permanent errors are thrown at once.
 */
import { SparkifyError } from './errors.ts';

export interface RetryPolicy {
  /** Total attempts, the first included (default 5). */
  attempts: number;
  /** First backoff in ms (default 200). */
  baseMs: number;
  /** Cap of one backoff in ms (default 10 000). */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 200, maxMs: 10_000 };

export interface RetryHooks {
  isRetryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
  /** Random source in [0, 1) (tests make it deterministic). */
  random?: () => number;
}

export async function withRetry<T>(work: (attempt: number) => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY, hooks: RetryHooks = {}): Promise<T> {
  const isRetryable = hooks.isRetryable ?? isTransient;
  const random = hooks.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (err) {
      if (attempt >= policy.attempts || !isRetryable(err) || hooks.signal?.aborted) throw err;
      const delay = Math.floor(random() * Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1)));
      hooks.onRetry?.(err, attempt, delay);
      await sleep(delay, hooks.signal);
      if (hooks.signal?.aborted) throw err;
    }
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * SQLSTATE classes and codes worth another try: connection loss, shutdown, serialization,
 * resources — but not a full disk (53100), which stays full until someone frees space.
 */
const TRANSIENT_SQLSTATE = /^(08|53(?!100)|57P0[123]|40001|40P01)/;
/**
 * Redshift reports a serialization conflict as an internal error (SQLSTATE
 * XX000) whose text carries error 1023: "ERROR: 1023 DETAIL: Serializable
 * isolation violation on table …" or, under snapshot isolation, a conflict
 * with a concurrent transaction [DG:c_serial_isolation; REDSHIFT-FACTS §4].
 */
const REDSHIFT_CONFLICT = /\b1023\b|serializable isolation violation|conflict with (a )?concurrent transaction/i;

/**
 * Whether a database error, by its SQLSTATE and text, is worth another try:
 * connection loss, shutdown, resources, and serialization conflicts (40001,
 * 40P01, Redshift's 1023). The one classifier every stage and the model use.
 */
export function isTransientDatabaseError(code: string, message = ''): boolean {
  if (TRANSIENT_SQLSTATE.test(code)) return true;
  return code === 'XX000' && REDSHIFT_CONFLICT.test(message);
}
/** HTTP statuses worth another try: the server's errors and throttling (429). */
export function isTransientStatus(status: number | undefined): boolean {
  return status !== undefined && (status >= 500 || status === 429);
}

const TRANSIENT_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);

/** Whether an error is worth retrying. */
export function isTransient(err: unknown): boolean {
  if (err instanceof SparkifyError) return err.retryable || (err.cause !== undefined && err.code !== 'USAGE' && err.code !== 'CONFIG' && isTransientCause(err.cause));
  return isTransientCause(err);
}

function isTransientCause(err: unknown): boolean {
  const e = err as { code?: unknown; name?: string; message?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string') {
    // Node's codes first: EPIPE has the shape of a SQLSTATE too.
    if (TRANSIENT_NODE_CODES.has(e.code)) return true;
    if (/^[0-9A-Z]{5}$/.test(e.code)) return isTransientDatabaseError(e.code, `${e.message ?? ''} ${(e as { detail?: string }).detail ?? ''}`);
  }
  if (e.$retryable) return true;
  if (isTransientStatus(e.$metadata?.httpStatusCode)) return true;
  if (e.name === 'TimeoutError' || e.name === 'SlowDown' || e.name === 'RequestTimeout' || e.name === 'ThrottlingException') return true;
  const message = e.message ?? '';
  // "… is not queryable": pg's word for a client whose connection already died.
  return /Connection terminated|terminating connection|socket hang up|aborted|premature close|not queryable/i.test(message);
}
