/**
 * Writes the song objects `song_data/A/B/C/TRABC….json`, one song per object, with at
 * most `concurrency` files in flight. Songs are rebuilt from their index, so memory
 * is bounded by the in-flight writes plus the set of folders made (≤ 26³).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Catalogue } from './catalogue.ts';

/** Writes every song object of `catalogue` under `outDir`; returns the bytes written. */
export async function writeSongObjects(outDir: string, catalogue: Catalogue, concurrency = 32): Promise<number> {
  const folders = new Map<string, Promise<unknown>>();
  let next = 0;
  let bytes = 0;
  let failed = false;

  const worker = async (): Promise<void> => {
    while (!failed && next < catalogue.songCount) {
      const { path, text } = catalogue.songObject(next++);
      const file = join(outDir, path);
      const folder = dirname(file);
      // One mkdir per folder, shared by every worker that needs it.
      let made = folders.get(folder);
      if (made === undefined) {
        made = mkdir(folder, { recursive: true });
        folders.set(folder, made);
      }
      await made;
      await writeFile(file, text);
      bytes += Buffer.byteLength(text);
    }
  };

  // On a failure the other workers stop taking songs; wait for their writes to
  // settle before reporting the first error.
  const results = await Promise.allSettled(
    Array.from({ length: Math.max(1, Math.min(concurrency, catalogue.songCount)) }, () =>
      worker().catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return bytes;
}
