/**
 * How staged rows reach a warehouse. The scheduler (stage/index.ts) decides
 * which objects travel together; a backend moves them, one transaction per
 * unit, with the same bookkeeping everywhere. There are two kinds:
 *
 * - `local`: the loader reads and validates every object (read-object.ts)
 *   and the backend only puts its rows where they go — Postgres through
 *   `COPY … FROM STDIN` (postgres-backend.ts), Redshift through CSV parts on
 *   S3 and `COPY … MANIFEST` (redshift-backend.ts);
 * - `remote`: the warehouse reads the objects itself (Redshift direct mode,
 *   redshift-direct.ts).
 */
import type { Source, SourceObject } from '../extract/source.ts';
import type { ObjectOutcome } from './outcome.ts';
import type { ReadHooks, ReadOptions, WholeObject } from './read-object.ts';
import type { Reject } from './reject-spool.ts';

/** A warehouse the loader reads objects for. */
export interface LocalStagingBackend {
  readonly kind: 'local';
  /** Encoder settings for this warehouse (NULL token, widths, raw text size). */
  readonly readOptions: Omit<ReadOptions, keyof ReadHooks>;
  /** Loads small objects already read into memory, in one transaction (it may be called again with the same items). */
  commitBatch(items: readonly WholeObject[]): Promise<ObjectOutcome[]>;
  /** Reads one object and loads it streaming, in one transaction. */
  streamObject(source: Source, object: SourceObject, hooks: ReadHooks): Promise<ObjectOutcome>;
  /** Removes whatever the backend left for the run (worker threads, staged files), success or not. */
  close(): Promise<void>;
}

/** A warehouse that reads the objects itself. */
export interface RemoteStagingBackend {
  readonly kind: 'remote';
  /** Loads objects of one data set, in one transaction. */
  loadRemote(objects: readonly SourceObject[]): Promise<ObjectOutcome[]>;
  /** Removes whatever the backend left for the run (staged files), success or not. */
  close(): Promise<void>;
}

export type StagingBackend = LocalStagingBackend | RemoteStagingBackend;

/** What a loaded object reports: its rows, its rejects and the first few of them (for log lines), its format. */
export function objectOutcome(read: { object: SourceObject; rows: number; format: string | undefined; rejects: { readonly count: number; readonly samples: readonly Reject[] } }): ObjectOutcome {
  return { object: read.object, rows: read.rows, rejects: read.rejects.count, format: read.format, samples: read.rejects.samples.slice(0, 3) };
}
