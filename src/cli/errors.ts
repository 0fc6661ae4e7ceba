/**
 * What the CLI does with its own output streams and with errors that are not
 * the loader's: a closed stdout or stderr (`sparkify etl | head -1`) never
 * stops a load, and a raw library or system error is turned into one line that
 * says what failed, instead of `spawn … EACCES` or `ENOENT`.
 */
import { describeError, SparkifyError } from '../common/errors.ts';

const guarded = new WeakSet<NodeJS.WriteStream>();

/**
 * A reader that goes away makes the next write fail with EPIPE, which Node
 * reports as an 'error' event: unhandled, it ends the process with exit 1 and
 * no message (stderr being gone too), leaving the run `running`. With this
 * listener the write is dropped and the load goes on to its end.
 */
export function guardOutputStreams(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    if (guarded.has(stream)) continue;
    guarded.add(stream);
    stream.on('error', () => {
      // Nowhere left to say anything: drop the output, keep loading.
    });
  }
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

/** One line for the user: the loader's errors as they are, system errors named by what and where. */
export function userMessage(err: unknown): string {
  if (err instanceof SparkifyError) return describeError(err);
  const e = err as NodeJS.ErrnoException & { spawnargs?: string[] };
  if (e && typeof e === 'object' && typeof e.code === 'string' && ERRNO_TEXT[e.code]) {
    const what = e.syscall?.startsWith('spawn') ? `cannot run ${e.path ?? 'a program'}` : e.path ? `cannot use ${e.path}` : `a ${e.syscall ?? 'system'} call failed`;
    return `${what}: ${ERRNO_TEXT[e.code]}`;
  }
  return describeError(err);
}
