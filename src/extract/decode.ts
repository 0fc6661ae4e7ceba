/**
 * Byte-level decoding of an object body before the reader sees it: gunzip
 * when the key ends in `.gz` or the server sent `Content-Encoding: gzip`.
 * (The BOM and line endings are the reader's job.)
 */
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { HEAD_BYTES } from './json-document.ts';
import { rawPrefix, type RawText, type RawTextOptions } from './raw-text.ts';
import type { OpenedObject } from './source.ts';

export interface Decoding {
  /** The transforms to put between the body and the reader. */
  readonly stages: Transform[];
  /**
   * The raw text of the object's own (compressed) bytes, for the reject of a
   * gzip stream that breaks: its first 64 KiB, `truncated` when the object is longer.
   */
  sourceRaw(options: RawTextOptions): RawText;
}

/** How to decode `opened` (listed as `key`, `size` bytes). */
export function decoding(opened: OpenedObject, key: string, size: number): Decoding {
  const gzip = /\.gz$/i.test(key) || /\bgzip\b/i.test(opened.contentEncoding ?? '');
  if (!gzip) return { stages: [], sourceRaw: (options) => rawPrefix(Buffer.alloc(0), size, options) };
  const head = new HeadTap();
  return { stages: [head, createGunzip({ chunkSize: 256 * 1024 })], sourceRaw: (options) => rawPrefix(head.bytes(), Math.max(size, head.seen), options) };
}

/** True for errors that mean the bytes are not valid gzip (a bad object, not a bad network). */
export function isDecodeError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** Passes bytes through, keeping a copy of the first ones. */
class HeadTap extends Transform {
  seen = 0;
  private kept: Buffer[] = [];
  private keptBytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.keptBytes < HEAD_BYTES) {
      const part = Buffer.from(chunk.subarray(0, HEAD_BYTES - this.keptBytes));
      this.kept.push(part);
      this.keptBytes += part.length;
    }
    done(null, chunk);
  }

  bytes(): Buffer {
    return Buffer.concat(this.kept);
  }
}
