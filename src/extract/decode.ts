/**
 * Byte-level decoding of an object body before the reader sees it: gunzip
 * when the key ends in `.gz` or the server sent `Content-Encoding: gzip`.
 * (The BOM and line endings are the reader's job.)
 */
import { createGunzip } from 'node:zlib';
import type { Transform } from 'node:stream';
import type { OpenedObject } from './source.ts';

/** The transforms to put between the body and the reader. */
export function decodeStages(opened: OpenedObject, key: string): Transform[] {
  const gzip = /\.gz$/i.test(key) || /\bgzip\b/i.test(opened.contentEncoding ?? '');
  return gzip ? [createGunzip({ chunkSize: 256 * 1024 })] : [];
}

/** True for errors that mean the bytes are not valid gzip (a bad object, not a bad network). */
export function isDecodeError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
