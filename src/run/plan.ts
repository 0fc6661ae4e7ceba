/**
 * The load plan of a run (SPEC §6): compare what the sources list with what
 * the ledger says is loaded. New or changed objects (ETag, or size and mtime
 * for files) load; unchanged ones are skipped; with --prune, loaded objects no
 * longer listed are removed; --since/--until keep only log objects of those days;
 * a shard run (--shard I/N) plans only the objects, listed or loaded, that it owns.
 *
 * A plan is a function of (listed objects, loaded objects, options): each
 * listed object is decided on its own (`planObject`), and what is gone is known
 * once the listing ends. `LoadPlanner` makes those decisions as the listing
 * streams in, remembering only which loaded objects it has seen listed;
 * `planLoad` is the same over a whole listing.
 */
import type { Dataset } from '../common/datasets.ts';
import { inDayRange } from '../extract/day-of-key.ts';
import type { SourceObject } from '../extract/source.ts';
import { inShard, type Shard } from '../common/shard.ts';
import type { LoadedObject } from '../ledger/objects.ts';

export type { LoadedObject };

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

/**
 * What a run does with one listed object: load it (new or changed, or forced
 * by --full-refresh), skip it (unchanged, or a log object outside
 * --since/--until), or leave it to another shard.
 */
export function planObject(o: SourceObject, before: LoadedObject | undefined, options: PlanOptions): 'load' | 'skip' | 'other-shard' {
  if (options.shard && !inShard(o.key, options.shard)) return 'other-shard';
  if (o.dataset === 'events' && !inDayRange(o.key, options.since, options.until)) return 'skip';
  // A day range narrows a full refresh to the log objects of those days: songs load only if new or changed.
  const dayRange = options.since !== undefined || options.until !== undefined;
  const unchanged = before !== undefined && before.dataset === o.dataset && before.fingerprint === o.fingerprint;
  const forced = options.fullRefresh && (o.dataset === 'events' || !dayRange);
  return unchanged && !forced ? 'skip' : 'load';
}

/**
 * The plan, decided object by object as the sources list them. Memory: the
 * loaded objects (given) and the set of those listed so far; nothing of the
 * listed objects themselves.
 */
export class LoadPlanner {
  /** Objects listed (of this run's shard, in a shard run). */
  listed = 0;
  /** Objects listed that belong to other shards. */
  otherShards = 0;
  load = 0;
  skip = 0;
  /** Listed bytes of the objects to load. */
  loadBytes = 0;
  private readonly seen = new Set<string>();
  private readonly loaded: ReadonlyMap<string, LoadedObject>;
  private readonly options: PlanOptions;

  constructor(loaded: ReadonlyMap<string, LoadedObject>, options: PlanOptions) {
    this.loaded = loaded;
    this.options = options;
  }

  decide(o: SourceObject): 'load' | 'skip' | 'other-shard' {
    const before = this.loaded.get(o.key);
    const decision = planObject(o, before, this.options);
    if (decision === 'other-shard') {
      this.otherShards++;
      return decision;
    }
    this.listed++;
    // Only keys loaded before matter for what is gone (the loaded map's own string, no copy).
    if (before) this.seen.add(before.key);
    if (decision === 'load') {
      this.load++;
      this.loadBytes += o.size;
    } else this.skip++;
    return decision;
  }

  /** Once every source listed its last object: the loaded objects of the listed data sets (and of this shard) that are gone. */
  gone(): { prune: LoadedObject[]; vanished: number } {
    const { listedDatasets, shard } = this.options;
    const gone = [...this.loaded.values()].filter((l) => listedDatasets.includes(l.dataset) && !this.seen.has(l.key) && (!shard || inShard(l.key, shard)));
    return { prune: this.options.prune ? gone : [], vanished: gone.length };
  }
}

export function planLoad(listed: readonly SourceObject[], loaded: ReadonlyMap<string, LoadedObject>, options: PlanOptions): LoadPlan {
  const planner = new LoadPlanner(loaded, options);
  const load: SourceObject[] = [];
  const skip: SourceObject[] = [];
  for (const o of listed) {
    const decision = planner.decide(o);
    if (decision !== 'other-shard') (decision === 'load' ? load : skip).push(o);
  }
  return { listed: planner.listed, otherShards: planner.otherShards, load, skip, ...planner.gone() };
}
