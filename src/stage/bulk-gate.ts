/**
 * A run that loads more event data than is staged (a first load, a backfill, a
 * full refresh) drops stg_events' lookup indexes before its first event COPY
 * and lets the model step build them once (etl.ts `stagingIndexes`). That must
 * be decided before the first events object is staged, but the listing
 * streams and the total is known only at its end. So the events objects to
 * load are held back until it is known: as soon as their listed sizes reach
 * the threshold (a bulk load), or when the listing ends (not one). Objects
 * before the first events object (the songs, listed first) pass at once.
 *
 * Memory: the held objects' listing entries, at most the threshold's worth of
 * bytes in objects (a few day objects) or, when the run is not a bulk load,
 * the events objects it loads (a daily run's few).
 */
import type { SourceObject } from '../extract/source.ts';

/**
 * `objects`, with the events among them (and anything after the first of
 * them) held until `decide` has run: with true once the events' listed bytes
 * reach `bulkFrom`, or with false at the end if they never do (and the bytes so far).
 */
export async function* holdUntilBulkKnown(objects: AsyncIterable<SourceObject>, bulkFrom: number, decide: (bulk: boolean, bytes: number) => Promise<void>): AsyncGenerator<SourceObject> {
  let decided = false;
  let held: SourceObject[] = [];
  let bytes = 0;
  for await (const o of objects) {
    if (decided || (held.length === 0 && o.dataset !== 'events')) {
      yield o;
      continue;
    }
    held.push(o);
    if (o.dataset === 'events') bytes += o.size;
    if (bytes >= bulkFrom) {
      await decide(true, bytes);
      decided = true;
      const release = held;
      held = [];
      yield* release;
    }
  }
  if (!decided) {
    await decide(false, bytes);
    yield* held;
  }
}
