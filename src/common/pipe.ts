import { pipeline } from 'node:stream/promises';

/**
 * `stream/promises.pipeline` over a list of stages whose length is only known
 * at run time (an optional gunzip in the middle), which its overloads cannot type.
 */
export function pipe(stages: readonly unknown[], options: { signal?: AbortSignal } = {}): Promise<void> {
  return (pipeline as unknown as (...args: unknown[]) => Promise<void>)(...stages, options);
}
