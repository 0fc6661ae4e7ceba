/**
 * The user population. Static attributes (names, location, browser, registration)
 * are a pure function of `(seed, user)`; only what changes or is needed per pick is
 * kept, in typed arrays: current level, open sessions, and the activity weights.
 */
import { flat, logString } from './json-text.ts';
import { NASTY_LAST_NAMES, nastyAt } from './nasty-strings.ts';
import { hash32, Rng } from './prng.ts';
import { FEMALE_NAMES, LAST_NAMES, MALE_NAMES, METRO_AREAS, USER_AGENTS } from './vocabulary.ts';

const PROFILE = 0x55534552;
const WEIGHTS = 0x57454947;
const DAY_MS = 86_400_000;

/** The user fields of an event line, JSON-encoded and cut where the line interleaves them. */
export interface Profile {
  /** `"firstName":…,"gender":…,` */
  nameGender: string;
  /** `"lastName":…,` */
  lastName: string;
  /** `"location":…,` */
  location: string;
  /** `"registration":…,` */
  registration: string;
  /** `"userAgent":…,"userId":…}` (the line's end). */
  tail: string;
}

/** What a logged-out event carries in place of the user's fields (the sample's nulls). */
export const LOGGED_OUT: Profile = Object.freeze({
  nameGender: '"firstName":null,"gender":null,',
  lastName: '"lastName":null,',
  location: '"location":null,',
  registration: '"registration":null,',
  tail: '"userAgent":null,"userId":""}',
});

/** User-facing level names, indexed by the stored level. */
export const LEVELS = ['free', 'paid'] as const;

/** The users of one run: static profiles on demand, current level and open sessions in typed arrays. */
export class Population {
  readonly size: number;
  /** Current level of each user: 0 free, 1 paid; Submit Upgrade/Downgrade change it. */
  readonly level: Uint8Array;
  /** Sessions each user has open right now. */
  readonly openSessions: Uint32Array;
  readonly #cumulative: Float64Array;
  readonly #key: number;
  readonly #startMs: number;
  readonly #msOffset: number;

  /**
   * @param startMs first day, 00:00 UTC; registrations fall in the 60 days before it
   * @param msOffset the millisecond part every timestamp of the run shares (an eventsim quirk)
   */
  constructor(key: number, size: number, startMs: number, msOffset: number) {
    this.size = size;
    this.#key = key;
    this.#startMs = startMs;
    this.#msOffset = msOffset;
    this.level = new Uint8Array(size);
    this.openSessions = new Uint32Array(size);
    this.#cumulative = new Float64Array(size);
    // Log-normal activity: a few heavy listeners and a long tail, as in the sample.
    const rng = new Rng(key, WEIGHTS);
    let total = 0;
    for (let u = 0; u < size; u++) {
      total += Math.exp(1.1 * rng.normal());
      this.#cumulative[u] = total;
      this.level[u] = rng.chance(0.3) ? 1 : 0;
    }
  }

  /** A user chosen in proportion to activity. */
  pick(rng: Rng): number {
    const target = rng.float() * this.#cumulative[this.size - 1];
    let lo = 0;
    let hi = this.size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#cumulative[mid] <= target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The user id as written in events: 1-based digits. */
  userId(u: number): string {
    return String(u + 1);
  }

  /** The encoded event fields of user `u`. */
  profile(u: number): Profile {
    const rng = new Rng(this.#key, PROFILE, u);
    const female = rng.chance(0.5);
    const first = rng.pick(female ? FEMALE_NAMES : MALE_NAMES);
    const last = nastyAt(NASTY_LAST_NAMES, u, 16, 6, hash32(this.#key, PROFILE)) ?? rng.pick(LAST_NAMES);
    const location = METRO_AREAS[rng.zipf(METRO_AREAS.length)];
    const agent = USER_AGENTS[rng.zipf(USER_AGENTS.length)];
    const secondsBefore = rng.between(3600, 60 * DAY_MS / 1000);
    const registration = this.#startMs - secondsBefore * 1000 + this.#msOffset;
    return {
      nameGender: flat(`"firstName":${logString(first)},"gender":"${female ? 'F' : 'M'}",`),
      lastName: flat(`"lastName":${logString(last)},`),
      location: flat(`"location":${logString(location)},`),
      // A float in the source (`1540919166796.0`): eventsim wrote registration as a double.
      registration: flat(`"registration":${registration}.0,`),
      // The sample quotes a user agent the way a CSV writer would: only when it has a comma.
      tail: flat(`"userAgent":${logString(agent.includes(',') ? `"${agent}"` : agent)},"userId":"${this.userId(u)}"}`),
    };
  }
}
