/**
 * The app's pages and how a session moves between them: an eventsim-like Markov
 * chain tuned to the sample's page mix (NextSong ≈ 85%, then Home, Login/Logout,
 * Settings, Help, About, Upgrade/Downgrade, Error), with level changes through the
 * Submit pages a little more frequent than in the sample so small runs have some.
 */
import { flat } from './json-text.ts';
import type { Rng } from './prng.ts';

export interface Page {
  name: string;
  /** True when the event is written as `auth: "Logged Out"` with the user's fields null. */
  loggedOut: boolean;
  /** `"method":…,"page":…,` as JSON text. */
  methodPage: string;
  /** `"status":…,` as JSON text. */
  status: string;
  /** Seconds to the next event: at least `minGap`, plus an exponential of mean `meanGap`. */
  minGap: number;
  meanGap: number;
}

function page(name: string, method: 'GET' | 'PUT', status: number, loggedOut: boolean, minGap: number, meanGap: number): Page {
  return Object.freeze({
    name,
    loggedOut,
    methodPage: flat(`"method":"${method}","page":"${name}",`),
    status: flat(`"status":${status},`),
    minGap,
    meanGap,
  });
}

// Method and status per page as in the sample: PUT for NextSong and every form
// submission, 307 (redirect) after Login, Logout and the Submit/Save pages, 404 for Error.
export const NEXT_SONG = page('NextSong', 'PUT', 200, false, 0, 0);
export const HOME = page('Home', 'GET', 200, false, 1, 50);
export const LOGOUT = page('Logout', 'PUT', 307, false, 1, 30);
export const SETTINGS = page('Settings', 'GET', 200, false, 5, 40);
export const SAVE_SETTINGS = page('Save Settings', 'PUT', 307, false, 10, 60);
export const HELP = page('Help', 'GET', 200, false, 5, 90);
export const ABOUT = page('About', 'GET', 200, false, 5, 60);
export const ERROR = page('Error', 'GET', 404, false, 2, 40);
export const UPGRADE = page('Upgrade', 'GET', 200, false, 2, 60);
export const SUBMIT_UPGRADE = page('Submit Upgrade', 'PUT', 307, false, 10, 40);
export const DOWNGRADE = page('Downgrade', 'GET', 200, false, 2, 60);
export const SUBMIT_DOWNGRADE = page('Submit Downgrade', 'PUT', 307, false, 10, 40);
export const HOME_OUT = page('Home', 'GET', 200, true, 1, 40);
export const ABOUT_OUT = page('About', 'GET', 200, true, 5, 60);
export const HELP_OUT = page('Help', 'GET', 200, true, 5, 60);
export const LOGIN = page('Login', 'PUT', 307, true, 10, 40);

/** Share of sessions that begin logged out (Home, then usually Login). */
const LOGGED_OUT_START = 0.1;

/** First page of a new session. */
export function firstPage(rng: Rng): Page {
  if (rng.chance(LOGGED_OUT_START)) return rng.chance(0.85) ? HOME_OUT : LOGIN;
  return rng.chance(0.25) ? HOME : NEXT_SONG;
}

/** A page browsed while logged in, outside any multi-step flow. */
function browse(rng: Rng, paid: boolean): Page {
  const r = rng.float();
  if (r < 0.045) return HOME;
  if (r < 0.056) return LOGOUT;
  if (r < 0.063) return SETTINGS;
  if (r < 0.069) return HELP;
  if (r < 0.073) return ABOUT;
  if (r < 0.0745) return ERROR;
  // Free users look at Upgrade, paid users at Downgrade (the sample's pattern).
  if (r < 0.0855) return paid ? DOWNGRADE : UPGRADE;
  return NEXT_SONG;
}

/** The page after `prev`, for a user whose current level is `paid`. */
export function nextPage(prev: Page, paid: boolean, rng: Rng): Page {
  if (prev === LOGIN) return HOME;
  if (prev === LOGOUT || prev.loggedOut) {
    const r = rng.float();
    if (r < 0.45) return LOGIN;
    if (r < 0.85) return HOME_OUT;
    return r < 0.93 ? ABOUT_OUT : HELP_OUT;
  }
  if (prev === SUBMIT_UPGRADE || prev === SUBMIT_DOWNGRADE) return HOME;
  if (prev === UPGRADE && !paid && rng.chance(0.4)) return SUBMIT_UPGRADE;
  if (prev === DOWNGRADE && paid && rng.chance(0.08)) return SUBMIT_DOWNGRADE;
  if (prev === SETTINGS && rng.chance(0.3)) return SAVE_SETTINGS;
  return browse(rng, paid);
}

/**
 * Whole seconds from an event on `prev` to the next one. After a song, its length
 * (most of the time the user listens to the end, sometimes skips ahead).
 */
export function gapSeconds(prev: Page, songSeconds: number, rng: Rng): number {
  if (prev === NEXT_SONG) {
    return rng.chance(0.92) ? Math.floor(songSeconds) + rng.int(2) : 1 + rng.int(Math.floor(songSeconds));
  }
  return Math.min(3600, prev.minGap + Math.floor(rng.exp(prev.meanGap)));
}

/** Planned number of events of a session: many short ones, a long geometric tail. */
export function sessionLength(rng: Rng): number {
  if (rng.chance(0.4)) return rng.between(1, 3);
  return Math.min(250, 1 + Math.floor(rng.exp(12)));
}

/** Mean of `sessionLength` (0.4 × 2 + 0.6 × ~12.5), used to pace session starts. */
export const MEAN_SESSION_LENGTH = 8.3;
