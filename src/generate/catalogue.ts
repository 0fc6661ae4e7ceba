/**
 * The song catalogue: every song and artist is a pure function of `(seed, index)`,
 * so the song objects can be written, and the events can name the same songs,
 * without ever holding the catalogue in memory.
 */
import { hash32, permuteBits, Rng } from './prng.ts';
import { pyFloat, pyNullable, pyString } from './json-text.ts';
import { NASTY_ARTISTS, NASTY_LOCATIONS, NASTY_TITLES, nastyAt } from './nasty-strings.ts';
import {
  ADJECTIVES, BAND_NOUNS, FEMALE_NAMES, LAST_NAMES, MALE_NAMES, NOUNS, PLACES, TITLE_SUFFIXES, VERBS,
} from './vocabulary.ts';

/** Largest catalogue: track ids embed a 28-bit bijection of the song index. */
export const MAX_SONGS = 2 ** 28;

// Stream tags keep the sub-streams of one seed independent of each other.
const SONG = 0x534f4e47;
const ARTIST = 0x41525449;
const OFF_CATALOGUE = 0x4f464643;
const ARTIST_OF = 0x4152544f;

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export interface Artist {
  id: string;
  name: string;
  /** "" when unknown, as in the Million Song Dataset. */
  location: string;
  latitude: number | null;
  longitude: number | null;
}

export interface Song {
  trackId: string;
  songId: string;
  title: string;
  /** Seconds, an exact multiple of 1e-5 (five decimals, as in the MSD). */
  duration: number;
  /** 0 when unknown. */
  year: number;
  /** Index of the artist, in [0, artistCount). */
  artist: number;
}

/** A song that appears in events but in no song object. */
export interface OffCatalogueSong {
  title: string;
  artistName: string;
  duration: number;
}

function chars(rng: Rng, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

function hex(x: number, width: number): string {
  return x.toString(16).toUpperCase().padStart(width, '0');
}

/** A stride coprime with `n`, so `mulMod(r, stride, n)` permutes [0, n). */
export function coprimeStride(n: number): number {
  // Primes: coprime with n unless they divide it.
  for (const p of [2_654_435_761, 15_485_863, 1_299_709, 104_729, 7919]) if (n % p !== 0) return p % n || 1;
  return 1;
}

/** `(a × b) mod n` exactly for a, b < n ≤ 2^28 (a plain product could exceed 2^53). */
export function mulMod(a: number, b: number, n: number): number {
  const hi = Math.floor(b / 16384);
  const lo = b % 16384;
  return (((a * hi) % n) * 16384 + a * lo) % n;
}

/** Song title: a few common shapes, sometimes with an MSD-style version suffix. */
export function makeTitle(rng: Rng): string {
  const r = rng.float();
  let t: string;
  if (r < 0.25) t = `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`;
  else if (r < 0.4) t = `${rng.pick(VERBS)} My ${rng.pick(NOUNS)}`;
  else if (r < 0.55) t = `The ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`;
  else if (r < 0.7) t = rng.pick(NOUNS);
  else if (r < 0.82) t = `${rng.pick(NOUNS)} Of The ${rng.pick(NOUNS)}`;
  else if (r < 0.92) t = `I ${rng.pick(VERBS)} You`;
  else t = `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)} ${rng.pick(NOUNS)}`;
  return rng.chance(0.2) ? t + rng.pick(TITLE_SUFFIXES) : t;
}

/** Artist name: bands, people, duos and the odd lower-case project. */
export function makeArtistName(rng: Rng): string {
  const r = rng.float();
  const person = () => `${rng.pick(rng.chance(0.5) ? FEMALE_NAMES : MALE_NAMES)} ${rng.pick(LAST_NAMES)}`;
  if (r < 0.3) return `The ${rng.pick(ADJECTIVES)} ${rng.pick(BAND_NOUNS)}`;
  if (r < 0.55) return person();
  if (r < 0.65) return `${person()} & The ${rng.pick(BAND_NOUNS)}`;
  if (r < 0.75) return rng.pick(NOUNS);
  if (r < 0.83) return `DJ ${rng.pick(NOUNS)}`;
  if (r < 0.93) return `${rng.pick(NOUNS)} & ${rng.pick(NOUNS)}`;
  return (rng.pick(ADJECTIVES) + rng.pick(NOUNS)).toLowerCase();
}

/**
 * A duration in 1e-5 s units, log-normal around four minutes. `parity` splits the
 * space so that catalogue songs (even) and off-catalogue songs (odd) can never share
 * a duration, hence never match on (title, artist, duration) by accident.
 */
function durationUnits(rng: Rng, parity: 0 | 1): number {
  const seconds = Math.min(1200, Math.max(30, Math.exp(Math.log(235) + 0.35 * rng.normal())));
  let units = Math.round(seconds * 1e5);
  if ((units & 1) !== parity) units += 1;
  // An integral duration would print as `240.0` in Python but `240` in JS; avoid it.
  if (units % 100_000 === 0) units += 2;
  return units;
}

/** Songs and artists of one seed. */
export class Catalogue {
  readonly #psqlSafe: boolean;

  #safe(value: string | null): string | null {
    return this.#psqlSafe && value !== null && /(^|\n)\\\.\r?(\n|$)/.test(value) ? null : value;
  }

  readonly songCount: number;
  readonly artistCount: number;
  readonly offCatalogueCount: number;
  readonly key: number;
  readonly #artistStride: number;
  readonly #songStride: number;

  /** @param psqlSafe leave out values holding a line that is exactly `\.` (psql's \copy reads it as end of data) */
  constructor(key: number, songs: number, psqlSafe = false) {
    this.#psqlSafe = psqlSafe;
    this.key = key;
    this.songCount = songs;
    // ~80% as many artists as songs: every artist owns song `artist` and the other
    // songs go to a skewed choice of artists, so some artists have several songs.
    this.artistCount = songs === 0 ? 0 : Math.max(1, Math.round(songs * 0.8));
    this.offCatalogueCount = Math.max(64, Math.ceil(songs / 2));
    this.#artistStride = coprimeStride(Math.max(1, this.artistCount));
    this.#songStride = coprimeStride(Math.max(1, songs));
  }

  /** Song number `i`, in [0, songCount). */
  songAt(i: number): Song {
    const rng = new Rng(this.key, SONG, i);
    const trackId = `TR${chars(rng, LETTERS, 5)}${rng.pick(['128F', '128E', '12A8', '1290'])}${hex(permuteBits(i, 28, this.key), 7)}`;
    const songId = `SO${chars(rng, LETTERS, 5)}12A${hex(permuteBits(i, 32, hash32(this.key, SONG)), 8)}`;
    const title = this.#safe(nastyAt(NASTY_TITLES, i, 8, 3, hash32(this.key, SONG))) ?? makeTitle(rng);
    const duration = durationUnits(rng, 0) / 1e5;
    const year = rng.chance(0.6) ? 0 : Math.max(1950, 2010 - Math.floor(Math.abs(rng.normal()) * 14));
    let artist = i;
    if (i >= this.artistCount) {
      const r = new Rng(this.key, ARTIST_OF, i).zipf(this.artistCount, 4);
      artist = mulMod(r, this.#artistStride, this.artistCount);
    }
    return { trackId, songId, title, duration, year, artist };
  }

  /** Artist number `j`, in [0, artistCount). */
  artistAt(j: number): Artist {
    const rng = new Rng(this.key, ARTIST, j);
    const id = `AR${chars(rng, ALNUM, 5)}1187${hex(permuteBits(j, 28, hash32(this.key, ARTIST)), 7)}`;
    const name = this.#safe(nastyAt(NASTY_ARTISTS, j, 8, 5, hash32(this.key, ARTIST))) ?? makeArtistName(rng);
    const nastyLocation = this.#safe(nastyAt(NASTY_LOCATIONS, j, 8, 7, hash32(this.key, ARTIST, 1)));
    if (nastyLocation !== null) return { id, name, location: nastyLocation, latitude: null, longitude: null };
    const r = rng.float();
    if (r < 0.4) return { id, name, location: '', latitude: null, longitude: null };
    const [place, lat, lon] = rng.pick(PLACES);
    // MSD has places it could not geocode: a name without coordinates.
    if (r < 0.55) return { id, name, location: place, latitude: null, longitude: null };
    return { id, name, location: place, latitude: lat, longitude: lon };
  }

  /** A song absent from the catalogue, number `k` in [0, offCatalogueCount). */
  offCatalogueAt(k: number): OffCatalogueSong {
    const rng = new Rng(this.key, OFF_CATALOGUE, k);
    return { title: makeTitle(rng), artistName: makeArtistName(rng), duration: durationUnits(rng, 1) / 1e5 };
  }

  /** Song index of popularity rank `r`: ranks are spread over the catalogue. */
  songOfRank(r: number): number {
    return mulMod(r, this.#songStride, this.songCount);
  }

  /** Where song object `i` goes and its exact text (one line, Python `json.dumps` style, no newline). */
  songObject(i: number): { path: string; text: string } {
    const s = this.songAt(i);
    const a = this.artistAt(s.artist);
    const text =
      `{"num_songs": 1, "artist_id": "${a.id}", ` +
      `"artist_latitude": ${a.latitude === null ? 'null' : pyFloat(a.latitude)}, ` +
      `"artist_longitude": ${a.longitude === null ? 'null' : pyFloat(a.longitude)}, ` +
      `"artist_location": ${pyNullable(a.location)}, "artist_name": ${pyString(a.name)}, ` +
      `"song_id": "${s.songId}", "title": ${pyString(s.title)}, "duration": ${pyFloat(s.duration)}, "year": ${s.year}}`;
    const path = `song_data/${s.trackId[2]}/${s.trackId[3]}/${s.trackId[4]}/${s.trackId}.json`;
    return { path, text };
  }
}
