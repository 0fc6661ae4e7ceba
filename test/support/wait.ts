/**
 * Waiting for something to happen instead of sleeping a fixed time: a line a
 * process writes (resolved by the output event that completes it), or a
 * condition only a query can see (a row in etl_objects, a session waiting on
 * a lock), checked again until it holds.
 */
import type { Readable } from 'node:stream';

/** Checks `test` until it holds (an error thrown by it counts as not yet); fails after `timeoutMs`, naming `what`. */
export async function until(what: string, test: () => boolean | Promise<boolean>, options: { timeoutMs?: number; everyMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!(await Promise.resolve().then(test).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 25));
  }
}

/** What a stream has written so far, and waits for a pattern in it. */
export interface Output {
  text(): string;
  /** Resolves once the text matches `pattern`; rejects when the stream ends first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Collects a child process's stdout or stderr. */
export function output(stream: Readable): Output {
  let text = '';
  let ended = false;
  const waiters = new Set<() => void>();
  stream.on('data', (d) => {
    text += d;
    for (const w of waiters) w();
  });
  stream.on('close', () => {
    ended = true;
    for (const w of waiters) w();
  });
  return {
    text: () => text,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern} in:\n${text}`)), timeoutMs);
        const check = () => {
          if (pattern.test(text)) done();
          else if (ended) done(new Error(`the output ended without ${pattern}:\n${text}`));
        };
        const done = (err?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** A promise and the function that resolves it: for an event a callback reports. */
export function signalled<T = void>(): { promise: Promise<T>; fire: (value: T) => void } {
  let fire!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (fire = resolve));
  return { promise, fire };
}
