/**
 * Pulls an async iterable ahead of its consumer, into a queue of at most
 * `max` items: a paginated listing fetches its next page while the run stages
 * the objects of the last one, and never holds more than `max` objects.
 */

/**
 * The items of `source`, read ahead by up to `max`. An error of the source is
 * thrown after the items before it. When the consumer stops early, the source
 * is closed once its read in progress (a page in flight) has settled.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T> {
  if (!(Number.isSafeInteger(max) && max >= 1)) throw new TypeError(`read-ahead needs a positive integer, got ${max}`);
  const it = source[Symbol.asyncIterator]();
  let queue: T[] = [];
  let head = 0;
  let done = false;
  let failed = false;
  let error: unknown;
  let stopped = false;
  /** Wakes the consumer (an item or the end arrived) or the pump (room in the queue, or a stop). */
  let wakeConsumer: (() => void) | undefined;
  let wakePump: (() => void) | undefined;
  const size = () => queue.length - head;

  const pump = async () => {
    try {
      while (!stopped) {
        if (size() >= max) {
          await new Promise<void>((resolve) => (wakePump = resolve));
          continue;
        }
        const next = await it.next();
        if (next.done) break;
        queue.push(next.value);
        wakeConsumer?.();
      }
    } catch (err) {
      failed = true;
      error = err;
    } finally {
      done = true;
      wakeConsumer?.();
    }
  };
  const pumping = pump();

  try {
    for (;;) {
      if (size() > 0) {
        const item = queue[head++];
        // Drop consumed items now and then rather than shifting each one out.
        if (head >= 1024 && head * 2 >= queue.length) {
          queue = queue.slice(head);
          head = 0;
        }
        wakePump?.();
        yield item;
        continue;
      }
      if (done) {
        if (failed) throw error;
        return;
      }
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
      wakeConsumer = undefined;
    }
  } finally {
    stopped = true;
    wakePump?.();
    await pumping;
    if (!failed) await it.return?.();
  }
}
