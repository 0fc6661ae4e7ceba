/**
 * What a run tells about its progress, as it goes: the phases (listing, staging,
 * the model step, the checks) and, while staging, objects, records and bytes.
 * The run only reports; the CLI decides how to show it (cli/progress.ts).
 */

export type Phase = 'listing' | 'staging' | 'model' | 'checks';

export interface ProgressSnapshot {
  objectsDone: number;
  objectsTotal: number;
  records: number;
  rejects: number;
  bytes: number;
  bytesTotal: number;
  elapsedMs: number;
  /** True while the sources are still being listed: the totals are those so far. */
  listing?: boolean;
  /** Seconds left, or undefined while too little is known to say. */
  etaSeconds?: number;
}

export interface ProgressReporter {
  /** A phase begins; the display shows it with its elapsed time. `staging` begins with `start`. */
  phase(name: Phase): void;
  /** Staging begins: this many objects and bytes to load (so far, while `listing`). */
  start(objectsTotal: number, bytesTotal: number, listing?: boolean): void;
  /** The listing planned more objects: the totals so far, final once `listing` is false. */
  planned(objectsTotal: number, bytesTotal: number, listing: boolean): void;
  bytes(n: number): void;
  object(records: number, rejects: number): void;
  /** The run is over (or failed): draw the last state and let go of the terminal. Idempotent. */
  stop(): void;
}

/** A run nobody watches. */
export const noProgress: ProgressReporter = { phase() {}, start() {}, planned() {}, bytes() {}, object() {}, stop() {} };
