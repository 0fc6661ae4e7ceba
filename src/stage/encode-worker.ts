/**
 * A worker thread of the encode pool (encode-pool.ts): takes pieces of NDJSON
 * objects from shared buffers and posts back their binary COPY rows and
 * rejects, the rows' buffer transferred, not copied. A piece that throws is
 * answered with the error: the main thread then encodes it itself.
 */
import { parentPort } from 'node:worker_threads';
import { encodePiece } from './encode-piece.ts';
import type { PieceReply, PieceTask } from './encode-pool.ts';

const port = parentPort!;

port.on('message', (task: PieceTask) => {
  let reply: PieceReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const out = encodePiece(task.settings, task.line, Buffer.from(task.bytes, 0, task.length));
    let rows = out.rows;
    // A small buffer may be a slice of Node's shared pool, which must not leave this thread: copy it.
    if (rows && rows.buffer.byteLength <= Buffer.poolSize) {
      const own = new Uint8Array(rows.length);
      own.set(rows);
      rows = Buffer.from(own.buffer, 0, own.length);
    }
    reply = { id: task.id, rows: rows && { buffer: rows.buffer as ArrayBuffer, offset: rows.byteOffset, length: rows.length }, count: out.count, rejects: out.rejects };
    if (rows) transfer = [rows.buffer as ArrayBuffer];
  } catch (err) {
    reply = { id: task.id, error: (err as Error)?.stack ?? String(err) };
  }
  port.postMessage(reply, transfer);
});
