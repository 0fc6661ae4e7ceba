/**
 * Rejects of one load unit, already encoded as CSV rows of etl_rejects. They
 * stay in memory up to a limit, then spill to a temporary file, so a
 * completely broken 10 GB object costs disk, not memory — and nothing is lost.
 */
import { closeSync, createReadStream, openSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqlTimestamp } from '../dialect/sql.ts';
import type { RawText } from '../extract/raw-text.ts';
import { csvRow } from './csv-encode.ts';


export interface Reject {
  dataset: string;
  key: string;
  line: number;
  field: string | undefined;
  reason: string;
  raw: RawText;
}

/** Where an encoder puts its rejects: a spool, or a plain list in a worker thread. */
export interface RejectSink {
  add(r: Reject): void;
  /** Drops everything (a document that failed as a whole). */
  clear(): void;
}

const MEMORY_LIMIT = 4 * 1024 * 1024;

export class RejectSpool implements RejectSink {
  private memory: string[] = [];
  private memoryBytes = 0;
  private fd: number | undefined;
  private path: string | undefined;
  count = 0;
  /** The first few, for log lines. */
  readonly samples: Reject[] = [];
  private readonly runId: number;
  private readonly nullToken: string;
  private readonly at: string;

  constructor(runId: number, nullToken: string, at: Date = new Date()) {
    this.runId = runId;
    this.nullToken = nullToken;
    this.at = sqlTimestamp(at);
  }

  add(r: Reject): void {
    this.count++;
    if (this.samples.length < 5) this.samples.push(r);
    const row = `${csvRow([this.runId, r.dataset, r.key, r.line, r.field ?? null, r.reason, r.raw.text, r.raw.escaped, r.raw.truncated, this.at], this.nullToken)}\n`;
    this.memory.push(row);
    this.memoryBytes += row.length;
    if (this.memoryBytes > MEMORY_LIMIT) this.spill();
  }

  /** Drops everything (a document that failed as a whole). */
  clear(): void {
    this.dispose();
    this.count = 0;
    this.samples.length = 0;
  }

  /** The CSV rows, file part first. */
  async *chunks(): AsyncGenerator<string | Buffer> {
    if (this.path) {
      if (this.fd !== undefined) {
        closeSync(this.fd);
        this.fd = undefined;
      }
      yield* createReadStream(this.path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>;
    }
    if (this.memory.length) yield this.memory.join('');
  }

  dispose(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    if (this.path) rmSync(this.path, { force: true });
    this.fd = undefined;
    this.path = undefined;
    this.memory = [];
    this.memoryBytes = 0;
  }

  private spill(): void {
    if (this.fd === undefined) {
      this.path = join(tmpdir(), `sparkify-rejects-${process.pid}-${randomBytes(6).toString('hex')}.csv`);
      this.fd = openSync(this.path, 'w', 0o600);
    }
    writeSync(this.fd, this.memory.join(''));
    this.memory = [];
    this.memoryBytes = 0;
  }
}
