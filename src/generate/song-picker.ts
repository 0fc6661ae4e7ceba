/**
 * Chooses the song of each NextSong event: mostly catalogue songs with Zipf-like
 * popularity, the rest songs that no song object describes (as in the real data,
 * where most plays have no match in the song subset).
 */
import type { Catalogue } from './catalogue.ts';
import { flat, logString } from './json-text.ts';
import type { Rng } from './prng.ts';

/** Share of NextSong events that name a catalogue song exactly. */
export const CATALOGUE_SHARE = 0.9;

// Flattens the very top of the popularity curve: the #1 song gets ~1–2% of plays, not ~10%.
const SONG_HEAD = 10;

/** One play, with its fields already JSON-encoded for the event line. */
export interface Play {
  /** `"artist"` value as JSON text. */
  artist: string;
  /** `"song"` value as JSON text. */
  song: string;
  /** `"length"` value as JSON text. */
  length: string;
  /** Length in seconds, for the gap to the next event. */
  seconds: number;
}

/**
 * A direct-mapped cache of encoded plays. Popular songs are asked for again and again,
 * and rebuilding a song costs far more than a lookup; memory stays bounded by `size`.
 */
class PlayCache {
  readonly #keys: Int32Array;
  readonly #values: (Play | undefined)[];
  readonly #mask: number;

  constructor(size: number) {
    this.#keys = new Int32Array(size).fill(-1);
    this.#values = new Array<Play | undefined>(size);
    this.#mask = size - 1;
  }

  get(key: number, build: (key: number) => Play): Play {
    const slot = key & this.#mask;
    if (this.#keys[slot] === key) return this.#values[slot] as Play;
    const play = build(key);
    this.#keys[slot] = key;
    this.#values[slot] = play;
    return play;
  }
}

function cacheSize(n: number): number {
  let size = 1;
  while (size < n && size < 1 << 16) size <<= 1;
  return size;
}

/** Picks plays for one catalogue; memory is at most 2 × 65536 cached plays. */
export class SongPicker {
  readonly #catalogue: Catalogue;
  readonly #inCatalogue: PlayCache;
  readonly #offCatalogue: PlayCache;

  constructor(catalogue: Catalogue) {
    this.#catalogue = catalogue;
    this.#inCatalogue = new PlayCache(cacheSize(catalogue.songCount));
    this.#offCatalogue = new PlayCache(cacheSize(catalogue.offCatalogueCount));
  }

  /** The next play, drawn from `rng`. */
  pick(rng: Rng): Play {
    const c = this.#catalogue;
    if (c.songCount > 0 && rng.chance(CATALOGUE_SHARE)) {
      return this.#inCatalogue.get(rng.zipf(c.songCount, SONG_HEAD), (rank) => {
        const song = c.songAt(c.songOfRank(rank));
        const artist = c.artistAt(song.artist);
        return { artist: flat(logString(artist.name)), song: flat(logString(song.title)), length: String(song.duration), seconds: song.duration };
      });
    }
    return this.#offCatalogue.get(rng.zipf(c.offCatalogueCount, SONG_HEAD), (k) => {
      const song = c.offCatalogueAt(k);
      return { artist: flat(logString(song.artistName)), song: flat(logString(song.title)), length: String(song.duration), seconds: song.duration };
    });
  }
}
