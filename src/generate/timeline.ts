/**
 * When sessions start. The run's events are spread over the days with some daily
 * variation (weekends quieter) and over the hours with a diurnal curve (quiet at
 * night UTC, a peak in the US afternoon); `timeAt` maps "the u-th event of the run"
 * to the instant where that many events should have happened.
 */
import type { Rng } from './prng.ts';

const HOUR_MS = 3_600_000;

// Relative activity by UTC hour, shaped like the sample's (US users, UTC clock).
const HOURLY = [
  24, 25, 20, 17, 19, 25, 28, 28, 31, 38, 44, 48, 47, 52, 62, 71, 76, 71, 71, 55, 49, 41, 31, 28,
];

export class Timeline {
  readonly startMs: number;
  /** One past the last millisecond of the last day. */
  readonly endMs: number;
  readonly total: number;
  /** Target events before each hour of the run (length hours + 1). */
  readonly #cumulative: Float64Array;
  #cursor = 0;

  /** `total` events over `days` days from `startMs` (00:00 UTC); `rng` draws the daily variation. */
  constructor(startMs: number, days: number, total: number, rng: Rng) {
    this.startMs = startMs;
    this.endMs = startMs + days * 24 * HOUR_MS;
    this.total = total;
    const hours = days * 24;
    const weights = new Float64Array(hours);
    let sum = 0;
    for (let d = 0; d < days; d++) {
      const weekday = new Date(startMs + d * 24 * HOUR_MS).getUTCDay();
      const dayFactor = (weekday === 0 || weekday === 6 ? 0.75 : 1) * (0.75 + 0.5 * rng.float());
      for (let h = 0; h < 24; h++) {
        // No session starts in the very last hour, so sessions can finish inside the run.
        const w = d === days - 1 && h === 23 ? 0 : dayFactor * HOURLY[h];
        weights[d * 24 + h] = w;
        sum += w;
      }
    }
    this.#cumulative = new Float64Array(hours + 1);
    for (let k = 0; k < hours; k++) this.#cumulative[k + 1] = this.#cumulative[k] + (weights[k] / sum) * total;
  }

  /**
   * The instant (ms, fractional) by which `u` events should have happened. Queries
   * must not decrease (a cursor walks forward); past the target it returns the start
   * of the last hour, the latest time a session may start.
   */
  timeAt(u: number): number {
    const cum = this.#cumulative;
    const hours = cum.length - 1;
    while (this.#cursor < hours && cum[this.#cursor + 1] <= u) this.#cursor++;
    if (this.#cursor >= hours - 1) return this.startMs + Math.max(0, hours - 1) * HOUR_MS;
    const k = this.#cursor;
    const frac = (u - cum[k]) / (cum[k + 1] - cum[k]);
    return this.startMs + (k + Math.max(0, frac)) * HOUR_MS;
  }
}
