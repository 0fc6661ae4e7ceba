/**
 * The exit codes of `sparkify` (SPEC §8), in one place: main.ts maps errors,
 * output.ts a finished run, signals.ts a stop.
 */
import { InterruptedError, SparkifyError } from '../common/errors.ts';
import type { EtlSummary } from '../run/summary.ts';

export const EXIT = {
  ok: 0,
  /** Anything failed: config, connection, S3, SQL, an object that could not be loaded. */
  failed: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** The run finished but rejects exceeded --max-errors, or a data-quality check failed. */
  rejects: 3,
  /** Stopped by SIGINT (128 + 2). */
  SIGINT: 130,
  /** Stopped by SIGTERM (128 + 15). */
  SIGTERM: 143,
} as const;

/** The exit code of a stop signal (a signal other than SIGINT and SIGTERM: failed). */
export function exitCodeOfSignal(name: string): number {
  return name === 'SIGINT' || name === 'SIGTERM' ? EXIT[name] : EXIT.failed;
}

/** The exit code of an error a command threw: usage 2, interrupted 130/143, anything else 1. */
export function exitCodeOfError(err: unknown): number {
  if (!(err instanceof SparkifyError)) return EXIT.failed;
  if (err.code === 'USAGE') return EXIT.usage;
  if (err.code === 'INTERRUPTED') return err instanceof InterruptedError ? exitCodeOfSignal(err.signal) : EXIT.SIGINT;
  return EXIT.failed;
}

/** The exit code of a finished run: 0 ok, 1 failed, 3 rejects over --max-errors or a failed check. */
export function exitCodeOf(s: EtlSummary): number {
  if (s.status === 'failed') return EXIT.failed;
  if (s.status === 'rejects' || s.checks?.some((c) => !c.ok)) return EXIT.rejects;
  return EXIT.ok;
}

