/**
 * Deterministic generator of Sparkify-like data: song objects and daily event logs in
 * the exact layout and JSON spelling of the Udacity sample, for tests, demos and
 * benchmarks. Same options ⇒ byte-identical files.
 *
 * Memory: bounded by the user population (13 bytes per user), the open sessions, two
 * caches of at most 65,536 encoded songs, and in-flight writes; it does not grow with
 * the number of events or days.
 */
import { Catalogue } from './catalogue.ts';
import { EventSimulator } from './event-simulator.ts';
import { resolveOptions, type GenerateOptions } from './options.ts';
import { Population } from './population.ts';
import { hash32, Rng, seedKey } from './prng.ts';
import { SongPicker } from './song-picker.ts';
import { Timeline } from './timeline.ts';
import { writeDayObjects } from './write-logs.ts';
import { writeSongObjects } from './write-songs.ts';

export type { GenerateOptions } from './options.ts';
export { resolveOptions } from './options.ts';

export interface GenerateSummary {
  songObjects: number;
  /** Distinct artists across the song objects. */
  artists: number;
  dayObjects: number;
  events: number;
  nextSongEvents: number;
  users: number;
  /** Bytes written to disk (compressed size for gzipped day objects). */
  bytes: number;
}

const TIMELINE = 0x54494d45;
const MS_OFFSET = 0x4d534f46;

/**
 * Writes `opts.songs` song objects under `outDir/song_data/` and `opts.days` day
 * objects under `outDir/log_data/`, overwriting files of the same name. Song objects
 * and events are written concurrently; if either fails, the other settles first and
 * the first error is thrown. Files of an earlier run that this one does not rewrite
 * (more songs or days, another start date) are left in place: use an empty `outDir`.
 */
export async function generateSample(opts: GenerateOptions): Promise<GenerateSummary> {
  const o = resolveOptions(opts);
  const key = seedKey(o.seed);
  const catalogue = new Catalogue(key, o.songs, o.psqlSafe);
  // eventsim's timestamps share one millisecond part across a run (the sample's all end in 796).
  const msOffset = hash32(key, MS_OFFSET) % 1000;
  const population = new Population(key, o.users, o.startMs, msOffset);
  const timeline = new Timeline(o.startMs, o.days, o.events, new Rng(key, TIMELINE));
  const simulator = new EventSimulator(key, timeline, population, new SongPicker(catalogue), msOffset);

  const [songs, logs] = await Promise.allSettled([
    writeSongObjects(o.outDir, catalogue),
    writeDayObjects(o.outDir, simulator, o.startMs, o.days, o.gzip),
  ]);
  if (songs.status === 'rejected') throw songs.reason;
  if (logs.status === 'rejected') throw logs.reason;
  return {
    songObjects: o.songs,
    artists: catalogue.artistCount,
    dayObjects: o.days,
    events: simulator.events,
    nextSongEvents: simulator.nextSongEvents,
    users: o.users,
    bytes: songs.value + logs.value,
  };
}
