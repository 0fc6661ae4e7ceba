/**
 * One source's listing as a run consumes it: the objects the --include /
 * --exclude filters let through, in key order, read ahead of the run by up to
 * READ_AHEAD objects (two S3 pages), so that staging starts with the first
 * page and later pages are fetched while it works. Memory stays bounded by
 * the read-ahead: the keys the filters skip are counted, and only the first
 * few kept for the run's log line.
 */
import { relativeToSource, type KeyFilter } from './key-filter.ts';
import { readAhead } from './read-ahead.ts';
import type { Source, SourceObject } from './source.ts';

/** Objects listed ahead of the run. */
export const READ_AHEAD = 2000;

/** Excluded keys kept to name in the log line. */
const EXCLUDED_SAMPLES = 3;

export class Listing implements AsyncIterable<SourceObject> {
  /** Objects the filters let through, so far. */
  listed = 0;
  /** Objects the filters skipped, so far, and the first few of their keys. */
  excluded = 0;
  readonly excludedSample: string[] = [];
  /** True once the source listed its last object. */
  complete = false;
  readonly source: Source;
  private readonly objects: AsyncGenerator<SourceObject>;
  private peeked: IteratorResult<SourceObject> | undefined;

  constructor(source: Source, filter: KeyFilter, signal?: AbortSignal, readAheadObjects = READ_AHEAD) {
    this.source = source;
    this.objects = readAhead(this.filtered(filter, signal), readAheadObjects);
  }

  /**
   * Waits for the first object the filters let through, or the end of the
   * listing: false when the source lists nothing to read. A listing that fails
   * at once (a missing bucket, access denied) throws here, before the run writes.
   */
  async first(): Promise<boolean> {
    this.peeked ??= await this.objects.next();
    return !this.peeked.done;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<SourceObject> {
    if (this.peeked) {
      const first = this.peeked;
      this.peeked = undefined;
      if (first.done) return;
      yield first.value;
    }
    yield* this.objects;
  }

  /** Stops the listing (a run that failed before it consumed it). */
  async close(): Promise<void> {
    await this.objects.return(undefined);
  }

  private async *filtered(filter: KeyFilter, signal?: AbortSignal): AsyncGenerator<SourceObject> {
    for await (const o of this.source.list(signal)) {
      if (filter(relativeToSource(o.key, this.source.keyPrefix))) {
        this.listed++;
        yield o;
      } else {
        this.excluded++;
        if (this.excludedSample.length < EXCLUDED_SAMPLES) this.excludedSample.push(o.key);
      }
    }
    this.complete = true;
  }
}
