/**
 * One piece of an NDJSON object — whole lines, with the number of the first
 * — turned into binary COPY rows and rejects, exactly as the object's own
 * reader and encoder would turn those lines: a worker thread runs this
 * (encode-worker.ts), and the main thread runs `readPiece` itself for a piece
 * a worker gave back.
 */
import type { Dataset } from '../common/datasets.ts';
import { ObjectReader, type ReaderSink } from '../extract/object-reader.ts';
import type { ValidationLimits } from '../extract/validate.ts';
import { ObjectEncoder } from './object-encoder.ts';
import type { Reject, RejectSink } from './reject-spool.ts';

/** What a worker needs to encode an object's lines: plain data, so that it can be posted to a thread. */
export interface PieceSettings {
  dataset: Dataset;
  key: string;
  limits: ValidationLimits;
  nullToken: string;
  /** Longest raw text kept with a reject (default 64 KiB). */
  rawMaxBytes?: number;
  maxRecordBytes?: number;
}

export interface EncodedPiece {
  /** Binary COPY rows (no header), undefined when the piece staged nothing. */
  rows: Buffer | undefined;
  /** Rows staged. */
  count: number;
  /** Rejects, in line order. */
  rejects: Reject[];
}

/** Feeds whole NDJSON lines, the first of which is line `line`, to `sink` (no format rule: the object is NDJSON). */
export function readPiece(sink: ReaderSink, bytes: Buffer, line: number, settings: Pick<PieceSettings, 'rawMaxBytes' | 'maxRecordBytes'>): void {
  const reader = new ObjectReader(sink, { raw: { maxBytes: settings.rawMaxBytes }, maxRecordBytes: settings.maxRecordBytes, continueAt: line });
  try {
    reader.push(bytes);
    reader.end();
    while (reader.pump());
  } finally {
    reader.dispose();
  }
}

/** Encodes one piece on its own: its rows, how many, and its rejects. */
export function encodePiece(settings: PieceSettings, line: number, bytes: Buffer): EncodedPiece {
  const rejects = new RejectList();
  const encoder = new ObjectEncoder(settings.dataset, settings.key, rejects, {
    format: 'binary',
    limits: settings.limits,
    nullToken: settings.nullToken,
    raw: { maxBytes: settings.rawMaxBytes },
    // Rows of a piece are taken once, at its end: one buffer about their size, not a doubling series.
    rowBufferBytes: Math.ceil(bytes.length * 1.25) + 1024,
  });
  readPiece(encoder, bytes, line, settings);
  return { rows: encoder.take() as Buffer | undefined, count: encoder.rows, rejects: rejects.list };
}

/** Rejects kept as they are (they travel back to the main thread, which spools them). */
class RejectList implements RejectSink {
  readonly list: Reject[] = [];

  add(r: Reject): void {
    this.list.push(r);
  }

  clear(): void {
    this.list.length = 0;
  }
}
