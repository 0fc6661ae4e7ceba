/**
 * The sink of one object's reader when worker threads encode (encode-pool.ts).
 *
 * The reader keeps the format rule — byte order mark, NDJSON or document,
 * lines longer than the record limit — and hands over runs of whole NDJSON
 * lines (`region`); they are gathered into pieces of about `pieceBytes`,
 * with the number of their first line, and encoded by the pool. Everything
 * else (a document, a long line's records, what the reader reads itself)
 * goes to the object's own encoder on this thread. `output()` hands on the
 * rows in line order, and adds the pieces' rejects to the object's spool in
 * that order too, so that the result is the same as one thread's, byte for byte.
 *
 * Memory: at most `maxPieces` pieces are out at once (each at most
 * `pieceBytes`, or one line when a line is longer), plus their rows;
 * `output()` waits for the oldest one beyond that.
 */
import type { RawText } from '../extract/raw-text.ts';
import type { ReaderSink } from '../extract/object-reader.ts';
import { SparkifyError } from '../common/errors.ts';
import type { EncodedPiece, PieceSettings } from './encode-piece.ts';
import { readPiece } from './encode-piece.ts';
import type { EncodePool, PieceBuffer, PieceOutcome } from './encode-pool.ts';
import type { ObjectEncoder } from './object-encoder.ts';
import type { RejectSpool } from './reject-spool.ts';

export interface ParallelOptions {
  /**
   * Bytes of lines gathered into one piece (default 1 MiB: pieces of 256 KiB cost 10%
   * more CPU in all, measured, for 15 MB less memory).
   */
  pieceBytes?: number;
  /** Pieces out at once for this object (default: twice the pool's workers). */
  maxPieces?: number;
}

type Entry =
  | { kind: 'piece'; line: number; settled?: PieceOutcome; failed?: unknown; done: Promise<void> }
  | { kind: 'rows'; rows: Buffer }
  | { kind: 'local'; work: (() => void)[] };

export class ParallelEncoder implements ReaderSink {
  private readonly inner: ObjectEncoder;
  private readonly pool: EncodePool;
  private readonly settings: PieceSettings;
  private readonly pieceLimit: number;
  private readonly maxPieces: number;
  /** Output in line order: pieces out or back, rows and work of this thread between them. */
  private queue: Entry[] = [];
  private pieces = 0;
  /** The piece being gathered. */
  private batch: PieceBuffer | undefined;
  private batchLength = 0;
  private batchLine = 0;
  private pieceRows = 0;

  constructor(inner: ObjectEncoder, pool: EncodePool, settings: PieceSettings, options: ParallelOptions = {}) {
    this.inner = inner;
    this.pool = pool;
    this.settings = settings;
    // A piece is read by a reader with the same record limit: it must never look like one long region to it.
    this.pieceLimit = Math.max(1, Math.min(options.pieceBytes ?? 1024 * 1024, settings.maxRecordBytes ?? Infinity));
    this.maxPieces = options.maxPieces ?? 2 * pool.size;
  }

  /** Rows staged so far (complete after `output(true)`). */
  get rows(): number {
    return this.inner.rows + this.pieceRows;
  }

  get rejects(): RejectSpool {
    return this.inner.rejects;
  }

  get documentError(): ObjectEncoder['documentError'] {
    return this.inner.documentError;
  }

  region(buf: Buffer, line: number): boolean {
    // Rows this thread wrote come before these lines.
    const mine = this.inner.take();
    if (mine) this.queue.push({ kind: 'rows', rows: mine as Buffer });
    if (this.batchLength > 0 && this.batchLength + buf.length > this.pieceLimit) this.dispatch();
    if (this.batchLength === 0) {
      this.batch = this.pool.buffer(Math.max(this.pieceLimit, buf.length));
      this.batchLine = line;
    }
    buf.copy(this.batch!.view, this.batchLength);
    this.batchLength += buf.length;
    if (this.batchLength >= this.pieceLimit) this.dispatch();
    return true;
  }

  line(buf: Buffer, start: number, end: number, line: number): boolean {
    // Straight into rows only when nothing is out before it; else the reader parses it and it waits its turn (value).
    if (this.queue.length > 0 || this.batchLength > 0) return false;
    return this.inner.line(buf, start, end, line);
  }

  value(value: unknown, line: number, raw: string | undefined, element: number | undefined): void {
    this.local(() => this.inner.value(value, line, raw, element));
  }

  reject(line: number, reason: string, raw: RawText): void {
    this.local(() => this.inner.reject(line, reason, raw));
  }

  /** The whole object becomes one reject: pieces out are forgotten. */
  documentFailed(reason: string, raw: RawText): void {
    this.queue = [];
    this.pieces = 0;
    this.batch = undefined;
    this.batchLength = 0;
    this.pieceRows = 0;
    this.inner.documentFailed(reason, raw);
  }

  /**
   * The rows ready, in line order, with the rejects of their lines added to the spool.
   * With `all` (after the reader's end), everything, waiting for every piece; otherwise
   * what is back, waiting only while more than `maxPieces` pieces are out, and rows of
   * this thread once there are at least `minBytes` of them.
   */
  async *output(all: boolean, minBytes = 0): AsyncGenerator<Buffer> {
    if (all) this.dispatch();
    while (this.queue.length > 0) {
      const head = this.queue[0];
      if (head.kind === 'piece' && head.settled === undefined && head.failed === undefined) {
        if (!all && this.pieces <= this.maxPieces) return;
        await head.done;
        if (this.queue[0] !== head) return; // the object failed as a whole meanwhile
      }
      this.queue.shift();
      if (head.kind === 'rows') {
        yield head.rows;
        continue;
      }
      if (head.kind === 'local') {
        for (const work of head.work) work();
      } else {
        this.pieces--;
        const rows = this.apply(head);
        if (rows) yield rows;
      }
      const mine = this.inner.take();
      if (mine) yield mine as Buffer;
    }
    if (this.inner.pendingBytes > 0 && (all || this.inner.pendingBytes >= minBytes)) yield this.inner.take() as Buffer;
  }

  /** A piece's rows, its rejects spooled; one the worker gave back is encoded here. */
  private apply(entry: Extract<Entry, { kind: 'piece' }>): Buffer | undefined {
    if (entry.failed !== undefined) throw entry.failed;
    const outcome = entry.settled!;
    if (!outcome.ok) {
      // Whatever went wrong over there, this thread reads the piece the usual way (and throws if it must).
      readPiece(this.inner, outcome.bytes, entry.line, this.settings);
      return this.inner.take() as Buffer | undefined;
    }
    const piece: EncodedPiece = outcome.piece;
    for (const r of piece.rejects) this.inner.rejects.add(r);
    this.pieceRows += piece.count;
    return piece.rows;
  }

  /** Work of this thread, after everything out before it. */
  private local(work: () => void): void {
    this.dispatch();
    if (this.queue.length === 0) return work();
    const last = this.queue[this.queue.length - 1];
    if (last.kind === 'local') last.work.push(work);
    else this.queue.push({ kind: 'local', work: [work] });
  }

  /** Sends the piece being gathered to the pool. */
  private dispatch(): void {
    if (this.batchLength === 0) return;
    const bytes = this.batch!;
    const length = this.batchLength;
    const line = this.batchLine;
    this.batch = undefined;
    this.batchLength = 0;
    const entry: Extract<Entry, { kind: 'piece' }> = { kind: 'piece', line, done: Promise.resolve() };
    entry.done = this.pool.encode(this.settings, line, bytes, length).then(
      (outcome) => void (entry.settled = outcome),
      (err: unknown) =>
        void (entry.failed = new SparkifyError('WORKER', `${this.settings.key}: encoding its lines from ${line} on failed: ${(err as Error)?.message ?? String(err)}`, {
          cause: err,
          retryable: err instanceof SparkifyError && err.retryable,
        })),
    );
    this.queue.push(entry);
    this.pieces++;
  }
}
