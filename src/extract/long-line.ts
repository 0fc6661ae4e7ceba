/**
 * A line too long to hold in memory (longer than the record limit). Its
 * bytes go to a spool file as they arrive while a scanner checks them, so
 * that when the line ends the reader knows — without having held it — whether
 * it is blank, one complete JSON value, valid UTF-8, or malformed; the line is
 * then read back from the spool in slices (one record at a time, see
 * json-document.ts) or thrown away. Memory: the first 64 KiB (for a reject's
 * raw text) and one read slice; disk: the line, deleted when done.
 *
 * The spool is written and read synchronously: it serves only lines of
 * over 16 MiB, where a blocking write per chunk is the simple, bounded choice.
 */
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { HEAD_BYTES } from './json-document.ts';
import { JsonScanner, type ScanState } from './json-scanner.ts';
import { rawPrefix, type RawText, type RawTextOptions } from './raw-text.ts';

const CR = 0x0d;
/** Read-back slice. */
const SLICE_BYTES = 1024 * 1024;

export class LongLine {
  /** 1-based line number in the object. */
  readonly line: number;
  readonly scanner = new JsonScanner();
  /** Bytes appended (the line ending excluded, a CR before it included). */
  bytes = 0;
  private head: Buffer[] = [];
  private headBytes = 0;
  private lastByte = -1;
  private fd: number | undefined;
  private path: string | undefined;
  private memory: Buffer | undefined;

  private constructor(line: number) {
    this.line = line;
  }

  /** A line whose bytes arrive in pieces: spooled to a file in `dir`. */
  static spooled(line: number, dir: string): LongLine {
    const l = new LongLine(line);
    l.path = join(dir, `sparkify-line-${process.pid}-${randomBytes(6).toString('hex')}`);
    l.fd = openSync(l.path, 'wx+', 0o600);
    try {
      // POSIX keeps the open file without a name: nothing is left behind if the process dies.
      unlinkSync(l.path);
      l.path = undefined;
    } catch {
      // Windows cannot unlink an open file: dispose() does it.
    }
    return l;
  }

  /** A line already whole in memory (it came in one piece). */
  static inMemory(line: number, bytes: Buffer): LongLine {
    const l = new LongLine(line);
    l.memory = bytes;
    l.append(bytes);
    return l;
  }

  append(buf: Buffer): void {
    if (buf.length === 0) return;
    if (this.fd !== undefined) {
      for (let at = 0; at < buf.length; ) at += writeSync(this.fd, buf, at, buf.length - at);
    }
    if (this.headBytes < HEAD_BYTES) {
      const part = Buffer.from(buf.subarray(0, HEAD_BYTES - this.headBytes));
      this.head.push(part);
      this.headBytes += part.length;
    }
    this.scanner.push(buf);
    this.bytes += buf.length;
    this.lastByte = buf[buf.length - 1];
  }

  /** Ends the line: blank, complete (one value), open (unfinished) or failed (syntax). */
  finish(): ScanState {
    return this.scanner.finish();
  }

  /** Length of the line's content: a CR before the line feed belongs to the line ending. */
  get contentBytes(): number {
    return this.lastByte === CR ? this.bytes - 1 : this.bytes;
  }

  /** The raw text of a reject of the whole line. */
  raw(options: RawTextOptions): RawText {
    const head = Buffer.concat(this.head).subarray(0, this.contentBytes);
    return rawPrefix(head, this.contentBytes, options);
  }

  /** Reads the line back: each call gives the next slice (a fresh buffer), then undefined. */
  readBack(): () => Buffer | undefined {
    let at = 0;
    return () => {
      if (at >= this.bytes) return undefined;
      const n = Math.min(SLICE_BYTES, this.bytes - at);
      let slice: Buffer;
      if (this.memory) slice = this.memory.subarray(at, at + n);
      else {
        slice = Buffer.allocUnsafe(n);
        for (let got = 0; got < n; ) {
          const r = readSync(this.fd!, slice, got, n - got, at + got);
          if (r === 0) throw new Error(`spooled line ${this.line} is shorter than written`);
          got += r;
        }
      }
      at += n;
      return slice;
    };
  }

  /** Closes and removes the spool file. */
  dispose(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    if (this.path !== undefined) {
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone.
      }
      this.path = undefined;
    }
    this.memory = undefined;
  }
}
