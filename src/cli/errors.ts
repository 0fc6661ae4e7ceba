/**
 * What the CLI does with its own output streams and with errors that are not
 * the loader's: a closed stdout or stderr (`sparkify etl | head -1`) never
 * stops a load, and a raw library or system error is turned into one line that
 * says what failed, instead of `spawn … EACCES` or `ENOENT`.
 */
import { asSparkifyError, describeError } from '../common/errors.ts';

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

/** One line for the user: the loader's errors as they are, system errors named by what and where. */
export function userMessage(err: unknown): string {
  return describeError(asSparkifyError(err));
}
