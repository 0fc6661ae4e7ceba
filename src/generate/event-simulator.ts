/**
 * Simulates the app's event stream in timestamp order. Open sessions sit in a heap
 * keyed by their next event's time; new sessions are admitted as the timeline says
 * they are due. Memory is the population's arrays plus the open sessions (a few per
 * thousand events per hour), never the events themselves.
 */
import { MinHeap } from './min-heap.ts';
import {
  firstPage, gapSeconds, MEAN_SESSION_LENGTH, NEXT_SONG, nextPage, sessionLength, SUBMIT_DOWNGRADE, SUBMIT_UPGRADE,
  type Page,
} from './pages.ts';
import { LEVELS, LOGGED_OUT, type Population, type Profile } from './population.ts';
import { Rng } from './prng.ts';
import type { SongPicker } from './song-picker.ts';
import type { Timeline } from './timeline.ts';

const SIMULATION = 0x53494d55;

interface Session {
  id: number;
  user: number;
  profile: Profile;
  /** itemInSession of the next event. */
  item: number;
  /** Events still to emit, the next one included. */
  remaining: number;
  /** ts of the next event. */
  ts: number;
  /** Page of the next event. */
  page: Page;
}

const earlier = (a: Session, b: Session): boolean => a.ts < b.ts || (a.ts === b.ts && a.id < b.id);

/** Emits the run's events one line at a time, in (ts, sessionId) order, exactly `timeline.total` of them. */
export class EventSimulator {
  /** Events emitted so far. */
  events = 0;
  /** NextSong events emitted so far. */
  nextSongEvents = 0;
  readonly #rng: Rng;
  readonly #heap = new MinHeap<Session>(earlier);
  readonly #timeline: Timeline;
  readonly #population: Population;
  readonly #picker: SongPicker;
  readonly #msOffset: number;
  /** Latest ts an event may have: the last second of the run. */
  readonly #lastTs: number;
  /** Events promised to the sessions started so far. */
  #planned = 0;
  #nextSessionId = 1;
  /** Position of the next session start on the timeline's event scale. */
  #nextU = 0;
  #nextStartTs = 0;

  constructor(key: number, timeline: Timeline, population: Population, picker: SongPicker, msOffset: number) {
    this.#rng = new Rng(key, SIMULATION);
    this.#timeline = timeline;
    this.#population = population;
    this.#picker = picker;
    this.#msOffset = msOffset;
    this.#lastTs = timeline.endMs - 1000 + msOffset;
    this.#nextU = this.#rng.exp(MEAN_SESSION_LENGTH) / 2;
    this.#nextStartTs = this.#startTsAt(this.#nextU);
  }

  /** ts of the next event, or Infinity when every planned event has been emitted. */
  peekTs(): number {
    const heap = this.#heap;
    while (this.#planned < this.#timeline.total && (heap.size === 0 || this.#nextStartTs <= (heap.peek() as Session).ts)) {
      this.#startSession();
    }
    const top = heap.peek();
    return top === undefined ? Infinity : top.ts;
  }

  /** The next event as one JSON line (no newline). Call only after `peekTs()` returned a finite time. */
  emit(): string {
    const s = this.#heap.pop() as Session;
    const pop = this.#population;
    const rng = this.#rng;
    const page = s.page;
    const profile = page.loggedOut ? LOGGED_OUT : s.profile;
    let artist = 'null';
    let song = 'null';
    let length = 'null';
    let seconds = 0;
    if (page === NEXT_SONG) {
      const play = this.#picker.pick(rng);
      ({ artist, song, length, seconds } = play);
      this.nextSongEvents++;
    }
    // Keys in the sample's order: artist, auth, firstName, gender, itemInSession,
    // lastName, length, level, location, method, page, registration, sessionId, song,
    // status, ts, userAgent, userId.
    const line =
      `{"artist":${artist},"auth":"${page.loggedOut ? 'Logged Out' : 'Logged In'}",${profile.nameGender}` +
      `"itemInSession":${s.item},${profile.lastName}"length":${length},"level":"${LEVELS[pop.level[s.user]]}",` +
      `${profile.location}${page.methodPage}${profile.registration}"sessionId":${s.id},"song":${song},` +
      `${page.status}"ts":${s.ts},${profile.tail}`;
    this.events++;
    // The Submit event itself still shows the old level; the change shows from the next event on.
    if (page === SUBMIT_UPGRADE) pop.level[s.user] = 1;
    else if (page === SUBMIT_DOWNGRADE) pop.level[s.user] = 0;

    s.item++;
    s.remaining--;
    if (s.remaining > 0) {
      // Clamped to the run's last second: a session still open then squeezes its last
      // events there rather than lose them (ts may repeat, never decrease).
      s.ts = Math.min(this.#lastTs, s.ts + gapSeconds(page, seconds, rng) * 1000);
      s.page = nextPage(page, pop.level[s.user] === 1, rng);
      this.#heap.push(s);
    } else {
      pop.openSessions[s.user]--;
    }
    return line;
  }

  #startTsAt(u: number): number {
    const start = this.#timeline.startMs;
    const t = this.#timeline.timeAt(u);
    // Whole seconds plus the run's fixed millisecond part, like eventsim's timestamps.
    return start + Math.floor((t - start) / 1000) * 1000 + this.#msOffset;
  }

  #startSession(): void {
    const rng = this.#rng;
    const pop = this.#population;
    const plannedBefore = this.#planned;
    const length = Math.min(sessionLength(rng), this.#timeline.total - plannedBefore);
    this.#planned += length;
    // A busy user is usually replaced by another; if not, they have a second device.
    let user = pop.pick(rng);
    for (let tries = 0; tries < 3 && pop.openSessions[user] > 0; tries++) user = pop.pick(rng);
    pop.openSessions[user]++;
    this.#heap.push({
      id: this.#nextSessionId++,
      user,
      profile: pop.profile(user),
      item: 0,
      remaining: length,
      ts: this.#nextStartTs,
      page: firstPage(rng),
    });
    // Poisson-like starts on the event scale, slowed down when the sessions started so
    // far promise more events than the timeline asks for yet, sped up when fewer.
    const drift = (plannedBefore - this.#nextU) / (4 * MEAN_SESSION_LENGTH);
    const factor = Math.min(8, Math.max(1 / 8, Math.exp(drift)));
    this.#nextU += rng.exp(MEAN_SESSION_LENGTH) * factor;
    this.#nextStartTs = this.#startTsAt(this.#nextU);
  }
}
