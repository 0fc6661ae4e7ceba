/**
 * The load plan of a run (SPEC §6): compare what the sources list with what
 * etl_objects says is loaded. New or changed objects (ETag, or size and mtime
 * for files) load; unchanged ones are skipped; with --prune, loaded objects no
 * longer listed are removed; --since/--until keep only log objects of those days;
 * a shard run (--shard I/N) plans only the objects, listed or loaded, that it owns.
 */
import type { Dataset } from './datasets.ts';
import { inDayRange } from './extract/day-of-key.ts';
import type { SourceObject } from './extract/source.ts';
import { inShard, type Shard } from './shard.ts';

export interface LoadedObject {
  key: string;
  dataset: Dataset;
  fingerprint: string;
}

export interface PlanOptions {
  fullRefresh: boolean;
  prune: boolean;
  since?: string;
  until?: string;
  /** Data sets whose source was listed (only those can be pruned). */
  listedDatasets: readonly Dataset[];
  /** Plan only the objects of this shard: the others belong to other runs, to load and to prune. */
  shard?: Shard;
}

export interface LoadPlan {
  /** Objects listed (of this run's shard, in a shard run). */
  listed: number;
  /** Objects listed that belong to other shards (0 in an unsharded run). */
  otherShards: number;
  load: SourceObject[];
  /** Unchanged, or outside --since/--until. */
  skip: SourceObject[];
  prune: LoadedObject[];
  /** Loaded objects of the listed data sets that the source no longer lists (what --prune would remove). */
  vanished: number;
}

export function planLoad(listed: readonly SourceObject[], loaded: ReadonlyMap<string, LoadedObject>, options: PlanOptions): LoadPlan {
  const load: SourceObject[] = [];
  const skip: SourceObject[] = [];
  const seen = new Set<string>();
  const { shard } = options;
  const mine = (key: string) => !shard || inShard(key, shard);
  let otherShards = 0;
  // A day range narrows a full refresh to the log objects of those days: songs load only if new or changed.
  const dayRange = options.since !== undefined || options.until !== undefined;
  for (const o of listed) {
    if (!mine(o.key)) {
      otherShards++;
      continue;
    }
    seen.add(o.key);
    if (o.dataset === 'events' && !inDayRange(o.key, options.since, options.until)) {
      skip.push(o);
      continue;
    }
    const before = loaded.get(o.key);
    const unchanged = before !== undefined && before.dataset === o.dataset && before.fingerprint === o.fingerprint;
    const forced = options.fullRefresh && (o.dataset === 'events' || !dayRange);
    (unchanged && !forced ? skip : load).push(o);
  }
  const gone = [...loaded.values()].filter((l) => options.listedDatasets.includes(l.dataset) && !seen.has(l.key) && mine(l.key));
  return { listed: listed.length - otherShards, otherShards, load, skip, prune: options.prune ? gone : [], vanished: gone.length };
}
