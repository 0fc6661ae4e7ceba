/**
 * The retry policy without I/O: which errors are worth another try, how many
 * attempts are made, how long the backoff waits (capped, jittered), and that
 * a stop ends the waiting.
 */
import { describe, expect, it } from 'vitest';
import { InterruptedError, SourceError, UsageError, WarehouseError } from '../../src/common/errors.ts';
import { s3Error } from '../../src/extract/s3-source.ts';
import { isTransient, isTransientStatus, withRetry } from '../../src/common/retry.ts';

const nodeError = (code: string, message = code) => Object.assign(new Error(message), { code });
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'ERROR' });

describe('isTransient', () => {
  it('retries what the network and the servers throw when they hiccup', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'ERR_STREAM_PREMATURE_CLOSE']) expect(isTransient(nodeError(code)), code).toBe(true);
    // A terminated backend, a lost connection, serialization failures, too many connections.
    for (const code of ['57P01', '08006', '40001', '40P01', '53300']) expect(isTransient(pgError(code, 'x')), code).toBe(true);
    expect(isTransient(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransient(new Error('Client has encountered a connection error and is not queryable'))).toBe(true);
    expect(isTransient(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }))).toBe(true);
    expect(isTransient({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isTransient({ name: 'InternalError', $metadata: { httpStatusCode: 500 } })).toBe(true);
    // Redshift's serialization conflict: error 1023 as an internal error (DG:c_serial_isolation).
    expect(isTransient(Object.assign(pgError('XX000', '1023'), { detail: 'Serializable isolation violation on table - 156474, transactions forming the cycle are: 3423, 3421 (pid:1234)' }))).toBe(true);
    expect(isTransient(pgError('XX000', 'ERROR: 1023 DETAIL: Serializable isolation violation on a table in Redshift'))).toBe(true);
    expect(isTransient(new WarehouseError('COPY', 'COPY failed', { cause: pgError('XX000', '1023') }))).toBe(true);
  });

  it('does not retry what another try cannot fix', () => {
    for (const code of ['23505', '42P01', '22P02', '28P01', 'XX000']) expect(isTransient(pgError(code, 'x')), code).toBe(false);
    expect(isTransient(pgError('XX000', "Load into table 'stg_events' failed.  Check 'stl_load_errors' system table for details."))).toBe(false);
    expect(isTransient(new Error('something else'))).toBe(false);
    expect(isTransient({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isTransient(new UsageError('bad flag', { cause: nodeError('ECONNRESET') }))).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });

  it('judges an HTTP status the same for S3, the IAM sign-in and everything else: server errors and throttling', () => {
    for (const status of [500, 502, 503, 429, 403, 404, 400, 301]) {
      const sdk = { name: `Http${status}`, $metadata: { httpStatusCode: status } };
      const expected = status >= 500 || status === 429;
      expect(isTransientStatus(status), String(status)).toBe(expected);
      expect(isTransient(sdk), String(status)).toBe(expected);
      const source = s3Error(sdk, 'cannot read s3://b/k', 'k');
      expect(source.code).toBe('SOURCE');
      expect(source.retryable, String(status)).toBe(expected);
    }
    expect(isTransientStatus(undefined)).toBe(false);
  });

  it('sees through the loader’s own errors to their cause', () => {
    expect(isTransient(s3Error({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }, 'cannot read s3://b/k', 'k'))).toBe(true);
    expect(isTransient(s3Error(nodeError('ECONNRESET', 'socket hang up'), 'cannot read s3://b/k', 'k'))).toBe(true);
    expect(isTransient(s3Error({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }, 'cannot read s3://b/k', 'k'))).toBe(false);
    expect(isTransient(new WarehouseError('COPY', 'COPY failed', { cause: pgError('57P01', 'terminating connection due to administrator command') }))).toBe(true);
    expect(isTransient(new SourceError('cannot read', 'k', { cause: nodeError('EPIPE') }))).toBe(true);
  });
});

describe('withRetry', () => {
  const transient = () => nodeError('ECONNRESET');

  it('makes exactly `attempts` attempts, then throws the last error', async () => {
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw transient();
      },
      { attempts: 4, baseMs: 1, maxMs: 1 },
      { random: () => 0 },
    ).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(err).toMatchObject({ code: 'ECONNRESET' });
  });

  it('returns the first success and throws a permanent error at once', async () => {
    let calls = 0;
    await expect(withRetry(async (attempt) => (++calls < 3 ? Promise.reject(transient()) : attempt), { attempts: 5, baseMs: 1, maxMs: 1 }, { random: () => 0 })).resolves.toBe(3);
    calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw pgError('23505', 'duplicate key');
        },
        { attempts: 5, baseMs: 1, maxMs: 1 },
      ),
    ).rejects.toMatchObject({ code: '23505' });
    expect(calls).toBe(1);
  });

  it('backs off exponentially with full jitter, capped at maxMs', async () => {
    const delays: number[] = [];
    await withRetry(
      async (attempt) => {
        if (attempt < 7) throw transient();
      },
      { attempts: 7, baseMs: 2, maxMs: 20 },
      { random: () => 0.999, onRetry: (_e, _a, delay) => delays.push(delay) },
    );
    // ⌊0.999 × min(20, 2 × 2^(n-1))⌋
    expect(delays).toEqual([1, 3, 7, 15, 19, 19]);
    const jittered: number[] = [];
    await withRetry(async (attempt) => (attempt < 3 ? Promise.reject(transient()) : undefined), { attempts: 3, baseMs: 1000, maxMs: 10_000 }, { random: () => 0, onRetry: (_e, _a, d) => jittered.push(d) });
    expect(jittered).toEqual([0, 0]);
  });

  it('stops retrying, and stops waiting, when the run is told to stop', async () => {
    const controller = new AbortController();
    let calls = 0;
    const started = Date.now();
    const done = withRetry(
      async () => {
        calls++;
        throw transient();
      },
      { attempts: 10, baseMs: 60_000, maxMs: 60_000 },
      { signal: controller.signal, random: () => 0.5 },
    ).catch((e: unknown) => e);
    setTimeout(() => controller.abort(new InterruptedError('SIGINT')), 50);
    expect(await done).toMatchObject({ code: 'ECONNRESET' });
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
