/**
 * How a run's settings become the limits of its S3 clients and its retries:
 * --retries counts the retries after a first attempt, --timeout the seconds
 * of silence before a request is abandoned.
 */
import type { Config } from '../config/index.ts';
import { DEFAULT_RETRY, type RetryPolicy } from '../common/retry.ts';

/** Attempts and request timeout of every S3 client a run makes. */
export function s3Limits(config: Config): { maxAttempts: number; timeoutMs: number } {
  return { maxAttempts: config.load.retries + 1, timeoutMs: config.load.timeoutSeconds * 1000 };
}

/** The retry policy of a run's objects, transactions and model steps. */
export function runRetry(config: Config): RetryPolicy {
  return { ...DEFAULT_RETRY, attempts: config.load.retries + 1 };
}
