/**
 * Options of `generateSample`, checked once and resolved to a frozen object with
 * every default applied.
 */
import { MAX_SONGS } from './catalogue.ts';

export interface GenerateOptions {
  /** Folder to write into: `outDir/song_data/…` and `outDir/log_data/…`. Created if missing. */
  outDir: string;
  /** Number of song objects (one song per object). */
  songs: number;
  /** Number of day objects of events. */
  days: number;
  /** Size of the user population (user ids `1` … `users`). */
  users: number;
  /** Any safe integer; the same options give byte-identical output. */
  seed: number;
  /** UTC date of the first day, `YYYY-MM-DD`; default `2018-11-01`. */
  startDate?: string;
  /** Total events across all days; default `round(2.7 × users × days)`, the sample's density. */
  events?: number;
  /** Write day objects as `.json.gz`; default false. */
  gzip?: boolean;
  /** Leave out the nasty values holding a line that is exactly `\.`, which psql's \copy reads as end of data (benchmark baselines); default false. */
  psqlSafe?: boolean;
}

export interface ResolvedOptions {
  readonly outDir: string;
  readonly songs: number;
  readonly days: number;
  readonly users: number;
  readonly seed: number;
  /** 00:00 UTC of the first day, in ms. */
  readonly startMs: number;
  readonly events: number;
  readonly gzip: boolean;
  readonly psqlSafe: boolean;
}

function count(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`generateSample: ${name} must be an integer, got ${JSON.stringify(value)}`);
  }
  if (value < min || value > max) throw new RangeError(`generateSample: ${name} must be in [${min}, ${max}], got ${value}`);
  return value;
}

function startOf(date: unknown): number {
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    throw new TypeError(`generateSample: startDate must be 'YYYY-MM-DD', got ${JSON.stringify(date)}`);
  }
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new RangeError(`generateSample: startDate ${date} is not a calendar date`);
  }
  return ms;
}

/** Validates `opts` (TypeError for a wrong type, RangeError for a bad value) and applies defaults. */
export function resolveOptions(opts: GenerateOptions): ResolvedOptions {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('generateSample: options must be an object');
  if (typeof opts.outDir !== 'string' || opts.outDir === '') throw new TypeError('generateSample: outDir must be a non-empty string');
  const songs = count('songs', opts.songs, 0, MAX_SONGS);
  const days = count('days', opts.days, 0, 36_600);
  // User ids are written as digits and must fit int32 (SPEC §3).
  const users = count('users', opts.users, 0, 2 ** 31 - 2);
  const seed = count('seed', opts.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const startMs = startOf(opts.startDate ?? '2018-11-01');
  const events = opts.events === undefined ? Math.round(2.7 * users * days) : count('events', opts.events, 0, Number.MAX_SAFE_INTEGER);
  if (events > 0 && (users === 0 || days === 0)) {
    throw new RangeError(`generateSample: ${events} events need at least one user and one day`);
  }
  if (opts.gzip !== undefined && typeof opts.gzip !== 'boolean') throw new TypeError('generateSample: gzip must be a boolean');
  return Object.freeze({ outDir: opts.outDir, songs, days, users, seed, startMs, events, gzip: opts.gzip ?? false, psqlSafe: opts.psqlSafe ?? false });
}
