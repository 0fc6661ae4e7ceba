/**
 * How staged rows reach a warehouse. The scheduler (stage/index.ts) decides
 * which objects travel together; a backend moves them, one transaction per
 * unit, with the same bookkeeping everywhere.
 */
import type { Source, SourceObject } from '../extract/source.ts';
import type { ObjectOutcome } from './outcome.ts';
import type { ReadObject, ReadOptions } from './read-object.ts';

export interface StagingBackend {
  /** Encoder settings for this warehouse (NULL token, widths, raw text size). */
  readonly readOptions: Omit<ReadOptions, 'signal' | 'onBytes'>;
  /** Whether the backend reads and validates objects itself (false: the warehouse reads them, Redshift direct mode). */
  readonly readsLocally: boolean;
  /** Loads small objects already read into memory, in one transaction (it may be called again with the same items). */
  commitBatch(items: readonly ReadObject[]): Promise<ObjectOutcome[]>;
  /** Reads one object and loads it streaming, in one transaction. */
  streamObject(source: Source, object: SourceObject, hooks: { signal?: AbortSignal; onBytes?: (n: number) => void }): Promise<ObjectOutcome>;
  /** Loads objects the warehouse reads itself (Redshift direct mode). */
  loadRemote?(objects: readonly SourceObject[]): Promise<ObjectOutcome[]>;
  /** Removes whatever the backend left for the run (staged files), success or not. */
  close?(): Promise<void>;
}

/** Thrown inside a streaming COPY when the object turns out to be one malformed document. */
export class DocumentRejected extends Error {
  constructor() {
    super('document rejected');
    this.name = 'DocumentRejected';
  }
}
