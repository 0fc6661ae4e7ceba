/** Test helpers: read back what the generator wrote. */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Every file under `root`, as sorted paths relative to it (with `/`). */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

/** sha256 of every file under `root`, by relative path. */
export async function hashTree(root: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const path of await listFiles(root)) {
    hashes.set(path, createHash('sha256').update(await readFile(join(root, path))).digest('hex'));
  }
  return hashes;
}

/** The text of a file, gunzipped when its name ends in `.gz`. */
export async function readText(file: string): Promise<string> {
  const raw = await readFile(file);
  return (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
}

export interface SongFile {
  path: string;
  text: string;
  record: Record<string, unknown>;
}

export interface DayFile {
  path: string;
  text: string;
  records: Record<string, unknown>[];
}

/** Song objects and day objects of a generated tree, parsed. */
export async function readTree(root: string): Promise<{ songs: SongFile[]; days: DayFile[] }> {
  const songs: SongFile[] = [];
  const days: DayFile[] = [];
  for (const path of await listFiles(root)) {
    const text = await readText(join(root, path));
    if (path.startsWith('song_data/')) songs.push({ path, text, record: JSON.parse(text) });
    else days.push({ path, text, records: text === '' ? [] : text.split('\n').map((line) => JSON.parse(line)) });
  }
  return { songs, days };
}
