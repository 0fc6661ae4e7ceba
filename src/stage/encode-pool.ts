/**
 * Worker threads that encode pieces of NDJSON objects (encode-worker.ts), so
 * that parsing, validation and row encoding use the machine's other cores
 * while the main thread reads objects and writes COPY streams.
 *
 * Workers start on first use, up to `size`; a piece goes to the worker with
 * the fewest pieces waiting. A piece travels in a shared buffer that the
 * pool hands out and takes back once the worker has read it (a new buffer per
 * piece would cost this thread a garbage collection every few dozen pieces);
 * its rows come back in a buffer the worker transfers, not copies. A worker
 * holds the process open only while it has work. A piece that throws in a
 * worker comes back as bytes, for the caller to encode itself; a worker that
 * dies fails the pieces it held (a retryable error: their object is read
 * again) and is replaced on next use.
 *
 * Memory: the shared buffers in use (the callers bound their pieces out),
 * plus at most `4 × size` spare ones of at most 4 MiB.
 */
import { Worker } from 'node:worker_threads';
import { SparkifyError } from '../common/errors.ts';
import type { EncodedPiece, PieceSettings } from './encode-piece.ts';
import type { Reject } from './reject-spool.ts';

/** A piece, as posted to a worker: its bytes are `bytes[0, length)`. */
export interface PieceTask {
  id: number;
  settings: PieceSettings;
  /** Line number of the piece's first line. */
  line: number;
  bytes: SharedArrayBuffer;
  length: number;
}

/** A worker's answer: the piece encoded, or the error it threw. */
export type PieceReply = { id: number; rows: { buffer: ArrayBuffer; offset: number; length: number } | undefined; count: number; rejects: Reject[] } | { id: number; error: string };

/** What `encode` resolves to: the piece encoded, or given back (a copy of its bytes) to be encoded by the caller. */
export type PieceOutcome = { ok: true; piece: EncodedPiece } | { ok: false; error: string; bytes: Buffer };

/** Shared memory for one piece: the caller fills `view`, then passes it to `encode`, which takes it back. */
export interface PieceBuffer {
  readonly memory: SharedArrayBuffer;
  readonly view: Buffer;
}

interface Thread {
  worker: Worker;
  pending: Map<number, { buffer: PieceBuffer; length: number; resolve: (o: PieceOutcome) => void; reject: (e: Error) => void }>;
}

/** Largest buffer kept for later pieces. */
const SPARE_MAX_BYTES = 4 * 1024 * 1024;

/** The worker's module: its .ts source when running from source (tests), its build otherwise. */
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './encode-worker.ts' : './encode-worker.js', import.meta.url);

export class EncodePool {
  /** Most worker threads. */
  readonly size: number;
  private readonly threads: (Thread | undefined)[];
  private nextId = 1;
  private closed = false;
  private spare: PieceBuffer[] = [];

  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new TypeError(`an encode pool needs at least one worker, got ${size}`);
    this.size = size;
    this.threads = new Array<Thread | undefined>(size).fill(undefined);
  }

  /** A buffer for a piece of up to `bytes` bytes. */
  buffer(bytes: number): PieceBuffer {
    const i = this.spare.findIndex((b) => b.memory.byteLength >= bytes);
    if (i !== -1) return this.spare.splice(i, 1)[0];
    const memory = new SharedArrayBuffer(bytes);
    return { memory, view: Buffer.from(memory) };
  }

  /** Encodes `buffer.view[0, length)`, whose first line is `line`; the buffer goes back to the pool. */
  encode(settings: PieceSettings, line: number, buffer: PieceBuffer, length: number): Promise<PieceOutcome> {
    if (this.closed) return Promise.reject(new SparkifyError('WORKER', 'the encode pool is closed'));
    const thread = this.pick();
    const id = this.nextId++;
    return new Promise<PieceOutcome>((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { buffer, length, resolve, reject });
      const task: PieceTask = { id, settings, line, bytes: buffer.memory, length };
      thread.worker.postMessage(task);
    });
  }

  /** Stops every worker; pieces still out fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.spare = [];
    await Promise.all(this.threads.map((t) => t?.worker.terminate()));
  }

  /** Takes back a buffer the worker is done with (one made for a very long line is let go). */
  private release(buffer: PieceBuffer): void {
    if (!this.closed && this.spare.length < 4 * this.size && buffer.memory.byteLength <= SPARE_MAX_BYTES) this.spare.push(buffer);
  }

  /** The worker with the fewest pieces waiting; a new one while some are missing and every worker is busy. */
  private pick(): Thread {
    let best: Thread | undefined;
    let missing = -1;
    for (let i = 0; i < this.threads.length; i++) {
      const t = this.threads[i];
      if (t === undefined) {
        if (missing === -1) missing = i;
      } else if (best === undefined || t.pending.size < best.pending.size) best = t;
    }
    if (best !== undefined && (best.pending.size === 0 || missing === -1)) return best;
    return (this.threads[missing] = this.spawn(missing));
  }

  private spawn(index: number): Thread {
    const worker = new Worker(WORKER_URL, { name: `sparkify-encode-${index}` });
    const thread: Thread = { worker, pending: new Map() };
    worker.unref();
    let failure: Error | undefined;
    worker.on('message', (reply: PieceReply) => {
      const p = thread.pending.get(reply.id);
      if (!p) return;
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      // A worker's failure is a bug or a limit there; the caller reads the piece itself, from a copy.
      const outcome: PieceOutcome =
        'error' in reply
          ? { ok: false, error: reply.error, bytes: Buffer.from(p.buffer.view.subarray(0, p.length)) }
          : { ok: true, piece: { rows: reply.rows && Buffer.from(reply.rows.buffer, reply.rows.offset, reply.rows.length), count: reply.count, rejects: reply.rejects } };
      this.release(p.buffer);
      p.resolve(outcome);
    });
    worker.on('error', (err) => (failure = err));
    worker.on('exit', (code) => {
      if (this.threads[index] === thread) this.threads[index] = undefined;
      const why = this.closed ? 'the encode pool was closed' : `encode worker ${index} stopped (exit code ${code})${failure ? `: ${failure.message}` : ''}`;
      for (const p of thread.pending.values()) {
        this.release(p.buffer);
        p.reject(new SparkifyError('WORKER', why, { cause: failure, retryable: !this.closed }));
      }
      thread.pending.clear();
    });
    return thread;
  }
}
