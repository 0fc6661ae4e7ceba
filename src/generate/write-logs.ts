/**
 * Writes the day objects `log_data/YYYY/MM/YYYY-MM-DD-events.json[.gz]`: NDJSON, one
 * event per line and, like the sample, no newline after the last line. Each day is
 * one `pipeline()` pulling ~64 KiB chunks from the simulator, so the simulator runs
 * only as fast as the disk (or gzip) takes the data; memory per day is one chunk
 * plus the 1 MiB stream buffers.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { EventSimulator } from './event-simulator.ts';

const DAY_MS = 86_400_000;
const CHUNK_CHARS = 64 * 1024;
const WRITE_BUFFER = 1024 * 1024;

/** The key of a day object, relative to the output folder. */
export function dayObjectKey(dayStartMs: number, gzip: boolean): string {
  const date = new Date(dayStartMs).toISOString().slice(0, 10);
  return `log_data/${date.slice(0, 4)}/${date.slice(5, 7)}/${date}-events.json${gzip ? '.gz' : ''}`;
}

/** The events of one day, as text chunks; lines are separated, not terminated, by `\n`. */
function* dayText(simulator: EventSimulator, dayEndMs: number): Generator<string> {
  let chunk = '';
  let first = true;
  while (simulator.peekTs() < dayEndMs) {
    chunk += first ? simulator.emit() : '\n' + simulator.emit();
    first = false;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Writes `days` day objects from `startMs` and returns the bytes written (compressed size with gzip). */
export async function writeDayObjects(
  outDir: string,
  simulator: EventSimulator,
  startMs: number,
  days: number,
  gzip: boolean,
): Promise<number> {
  let bytes = 0;
  for (let d = 0; d < days; d++) {
    const dayStart = startMs + d * DAY_MS;
    const file = join(outDir, dayObjectKey(dayStart, gzip));
    await mkdir(join(file, '..'), { recursive: true });
    const text = dayText(simulator, dayStart + DAY_MS);
    // A 1 MiB write buffer lets the next chunks be generated while the previous ones
    // are written (the default 16 KiB would make each 64 KiB chunk wait for the disk).
    const out = createWriteStream(file, { highWaterMark: WRITE_BUFFER });
    // gzip level 6 (the default) and Node's zero mtime keep .gz output reproducible.
    if (gzip) await pipeline(text, createGzip(), out);
    else await pipeline(text, out);
    bytes += (await stat(file)).size;
  }
  return bytes;
}
