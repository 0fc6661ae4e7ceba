/**
 * One interface for every source after listing: an object is listed with
 * what identifies its version (ETag, or size and mtime for local files) and
 * opened as a byte stream. stage/read-object.ts does the rest the same way
 * for S3 and for folders.
 */
import type { Readable } from 'node:stream';
import type { Dataset } from '../common/datasets.ts';

export interface SourceObject {
  readonly dataset: Dataset;
  /** The object key as listed (S3 key; for a folder, the folder name + relative path). */
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
  /** Last modification, in ms since the epoch (a number: a Date per object costs ~90 bytes on 100,000 objects). */
  readonly lastModified?: number;
  /** What decides whether an object changed: the ETag, or `size:mtimeMs` for local files. */
  readonly fingerprint: string;
}

export interface OpenedObject {
  readonly body: Readable;
  /** `gzip` when the server says so (Content-Encoding). */
  readonly contentEncoding?: string;
  /**
   * The version being read, when the source says (the GET's ETag, or the
   * opened file's size and mtime): it may differ from the listing's if the
   * object was overwritten in between, and the ledger must record what was loaded.
   */
  readonly version?: Pick<SourceObject, 'size' | 'etag' | 'lastModified' | 'fingerprint'>;
}

export interface Source {
  readonly dataset: Dataset;
  /** Display form, e.g. s3://bucket/prefix. */
  readonly description: string;
  /** What every key starts with (the S3 prefix, or the folder's name and `/`): --include/--exclude match the rest. */
  readonly keyPrefix: string;
  /** Every object under the location, sorted by key. */
  list(signal?: AbortSignal): AsyncIterable<SourceObject>;
  open(object: SourceObject, signal?: AbortSignal): Promise<OpenedObject>;
}

/** The object as it was actually read: the listing's entry, with the opened version's identity. */
export function loadedVersion(object: SourceObject, opened: OpenedObject): SourceObject {
  const v = opened.version;
  if (!v || v.fingerprint === object.fingerprint) return object;
  return { ...object, ...v };
}

/**
 * Keys that are not data: folder markers, hidden files and the `_SUCCESS`-style
 * markers that Spark and Hadoop leave behind.
 */
export function isDataKey(key: string): boolean {
  if (key.endsWith('/')) return false;
  const name = key.slice(key.lastIndexOf('/') + 1);
  return name.length > 0 && !name.startsWith('.') && !name.startsWith('_') && !name.endsWith('$folder$');
}
