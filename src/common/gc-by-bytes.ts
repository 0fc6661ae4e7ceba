/**
 * Asks V8 for collections as a load reads, by the bytes it reads.
 *
 * What a load reads arrives in Buffers (S3 bodies, file reads, gunzip's
 * output) and leaves in Buffers (COPY rows), whose bytes lie outside V8's
 * heap: each is freed only when a collection finds its small JS object dead.
 * V8 collects the young generation when its 2 MB (the executable's
 * --max-semi-space-size) fill with JS objects, and the loader turns bytes into
 * COPY rows allocating few of them: a young collection came every ~200 ms,
 * and in between up to 90 MB of dead Buffers piled up, at 150–220 MB/s of
 * them. Those that lived through two young collections (a COPY buffer being
 * filled, a chunk waiting its turn) moved to the old generation, which is
 * collected far more rarely. So a load asks for a young collection after
 * every 16 MiB it reads and a full one after every 128 MiB (~5 ms each with
 * the loader's ~20 MB heap). A full refresh of 10M events from `s3rver`
 * (docs/performance.md, Memory) peaked at 150–208 MB of RSS before (4 of 9
 * runs over 180 MB), 139–187 MB with both (one of 4 over 150), at the same CPU;
 * 1M loads from a folder, paired with and without: +0.3 s of CPU at the median (~5 %).
 *
 * `gc` is there when Node runs with --expose-gc, as the `sparkify`
 * executable does (its first line); where it is not (the API used from code),
 * nothing is asked.
 */

/** A collection, as `gc` exposes it. */
export type Gc = (options: { type: 'minor' | 'major'; execution: 'sync' }) => void;

/** Bytes read between two collections of each kind. */
export const COLLECT_EVERY = { minor: 16 * 1024 * 1024, major: 128 * 1024 * 1024 } as const;

/**
 * A counter of bytes read that asks `gc` for a full collection each time
 * `every.major` bytes passed since the last, else for a young one each time
 * `every.minor` did (a full collection collects the young generation too);
 * without `gc`, one that does nothing.
 */
export function collectingEvery(every: { minor: number; major: number }, gc: Gc | undefined): (bytes: number) => void {
  if (!gc) return () => undefined;
  let minor = 0;
  let major = 0;
  return (bytes) => {
    minor += bytes;
    major += bytes;
    if (major >= every.major) {
      major = minor = 0;
      gc({ type: 'major', execution: 'sync' });
    } else if (minor >= every.minor) {
      minor = 0;
      gc({ type: 'minor', execution: 'sync' });
    }
  };
}

/** Counts bytes this process read (every object's, together: the Buffers are the process's). */
export const bytesRead: (bytes: number) => void = collectingEvery(COLLECT_EVERY, (globalThis as { gc?: Gc }).gc);
