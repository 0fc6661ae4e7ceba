/** A local folder as a source: files under it, keyed `<folder name>/<relative path>`. */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import type { Dataset } from '../datasets.ts';
import { SourceError } from '../errors.ts';
import { isDataKey, type OpenedObject, type Source, type SourceObject } from './source.ts';

/** Read buffer per file: big enough that parsing, not syscalls, dominates. */
const READ_CHUNK = 256 * 1024;

export function localSource(dataset: Dataset, dir: string): Source {
  // Keys mirror a bucket layout: a copy of s3://udacity-dend/log_data in ./log_data gives the same keys.
  const root = basename(dir);
  const paths = new Map<string, string>();
  return {
    dataset,
    description: dir,
    keyPrefix: `${root}/`,
    async *list() {
      let info;
      try {
        info = await stat(dir);
      } catch (err) {
        throw new SourceError(`source folder ${dir} ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(err as Error).message}`}`, undefined, { cause: err });
      }
      if (!info.isDirectory()) throw new SourceError(`source ${dir} is not a folder`);
      const files: string[] = [];
      await walk(dir, files);
      const objects: SourceObject[] = [];
      for (const file of files) {
        const key = [root, ...relative(dir, file).split(sep)].join('/');
        if (!isDataKey(key)) continue;
        const s = await stat(file);
        paths.set(key, file);
        objects.push({ dataset, key, size: s.size, lastModified: s.mtimeMs, fingerprint: `${s.size}:${Math.trunc(s.mtimeMs)}` });
      }
      objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      yield* objects;
    },
    async open(object: SourceObject): Promise<OpenedObject> {
      const path = paths.get(object.key) ?? join(dir, ...object.key.split('/').slice(1));
      // A read buffer is allocated whole for every read: size it to small files (song objects are ~300 bytes).
      const body = createReadStream(path, { highWaterMark: Math.min(READ_CHUNK, Math.max(4096, object.size + 1)) });
      await new Promise<void>((resolve, reject) => {
        body.once('open', () => resolve());
        body.once('error', (err) => reject(new SourceError(`cannot read ${path}: ${err.message}`, object.key, { cause: err })));
      });
      return { body };
    },
  };
}

async function walk(dir: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}
