/**
 * Progress while a run works. It goes through phases — listing, staging, the
 * model step, the checks — each shown with its elapsed time; while staging, the
 * line also has objects done/total, records, bytes, rate and ETA. Plain mode
 * writes a line every few seconds to the logger (stderr); progress-tty.ts draws
 * the same text as one live line on a terminal, fitted to its width.
 */
import type { Logger } from '../common/log.ts';
import type { Phase, ProgressReporter, ProgressSnapshot } from '../run/progress.ts';

export type { Phase, ProgressReporter, ProgressSnapshot } from '../run/progress.ts';

/** What the user reads for each phase. */
export const PHASE_LABEL: Record<Phase, string> = { listing: 'listing the sources', staging: 'staging', model: 'model step', checks: 'data-quality checks' };

/**
 * The staging line: `12/30 objects, 812345 records (0 rejected), 371.2 MB of
 * 912.7 MB, 214530 records/s, ETA 9s`. While the sources are still being
 * listed the totals are those so far, marked `+` (`12/1000+ objects`), and the
 * ETA waits for the end of the listing. Given a width, the parts that matter
 * least go first (rejects, then bytes, then the rate) so the line fits and
 * objects, records and ETA stay.
 */
export function formatProgress(s: ProgressSnapshot, width = Infinity): string {
  const secs = Math.max(s.elapsedMs / 1000, 0.001);
  const more = s.listing ? '+' : '';
  const parts: { text: string; keep: number; sep?: string }[] = [
    { text: `${s.objectsDone}/${s.objectsTotal}${more} objects`, keep: 0 },
    { text: `${s.records} records`, keep: 1 },
    { text: `(${s.rejects} rejected)`, keep: 5, sep: ' ' },
    { text: `${mb(s.bytes)} of ${mb(s.bytesTotal, more)}`, keep: 4 },
    { text: `${Math.round(s.records / secs)} records/s`, keep: 3 },
    { text: `ETA ${s.etaSeconds === undefined ? '…' : duration(s.etaSeconds)}`, keep: 2 },
  ];
  const render = (ps: typeof parts) => ps.map((p, i) => (i === 0 ? '' : (p.sep ?? ', ')) + p.text).join('');
  let shown = parts;
  for (let drop = 5; drop > 0 && [...render(shown)].length > width; drop--) shown = shown.filter((p) => p.keep !== drop);
  return render(shown);
}

/** A non-staging phase: `model step 25s`. */
export function formatPhase(phase: Phase, elapsedMs: number): string {
  return `${PHASE_LABEL[phase]} ${duration(elapsedMs / 1000)}`;
}

const mb = (b: number, more = '') => `${(b / 1048576).toFixed(1)}${more} MB`;

export function duration(secs: number): string {
  if (secs < 60) return `${Math.round(secs)}s`;
  const m = Math.floor(secs / 60);
  return m < 60 ? `${m}m${String(Math.round(secs % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** No ETA before this much staging time: the first seconds (connections, the first objects' latency) say little about the rate. */
const ETA_AFTER_MS = 2000;
/** The rate behind the ETA is measured over this recent window, so a slow start does not weigh on it for ever. */
const ETA_WINDOW_MS = 10_000;

/**
 * Seconds left, from the rate of the last ten seconds (bytes, or objects when
 * sizes are unknown); undefined during the first two seconds.
 */
export class EtaEstimator {
  private readonly samples: { t: number; done: number }[];
  private readonly started: number;

  constructor(started: number) {
    this.started = started;
    this.samples = [{ t: started, done: 0 }];
  }

  /** Records progress `done` (bytes or objects) at time `t`. */
  sample(t: number, done: number): void {
    const last = this.samples.at(-1)!;
    if (t - last.t < 250 && this.samples.length > 1) last.done = done;
    else this.samples.push({ t, done });
    while (this.samples.length > 2 && this.samples[1].t <= t - ETA_WINDOW_MS) this.samples.shift();
  }

  eta(t: number, done: number, total: number): number | undefined {
    if (total <= 0 || done >= total) return done >= total ? 0 : undefined;
    if (t - this.started < ETA_AFTER_MS) return undefined;
    const from = this.samples[0];
    const rate = (done - from.done) / Math.max(t - from.t, 1);
    return rate > 0 ? (total - done) / rate / 1000 : undefined;
  }
}

/** Shared bookkeeping of both displays: the phase, its start, the staging counters and the ETA. */
export class ProgressState {
  readonly s: ProgressSnapshot = { objectsDone: 0, objectsTotal: 0, records: 0, rejects: 0, bytes: 0, bytesTotal: 0, elapsedMs: 0 };
  phase: Phase | undefined;
  phaseStarted = 0;
  private stagingStarted = 0;
  private estimator: EtaEstimator | undefined;
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  enter(phase: Phase): void {
    this.phase = phase;
    this.phaseStarted = this.now();
  }

  start(objectsTotal: number, bytesTotal: number, listing = false): void {
    this.enter('staging');
    this.stagingStarted = this.phaseStarted;
    this.planned(objectsTotal, bytesTotal, listing);
    this.estimator = new EtaEstimator(this.stagingStarted);
  }

  planned(objectsTotal: number, bytesTotal: number, listing: boolean): void {
    // The ETA follows bytes once sizes are known: samples of objects done so far would not compare.
    if (this.estimator && this.s.bytesTotal === 0 && bytesTotal > 0) this.estimator = new EtaEstimator(this.now());
    this.s.objectsTotal = objectsTotal;
    this.s.bytesTotal = bytesTotal;
    this.s.listing = listing;
  }

  bytes(n: number): void {
    this.s.bytes += n;
    if (this.s.bytesTotal > 0) this.estimator?.sample(this.now(), this.s.bytes);
  }

  object(records: number, rejects: number): void {
    this.s.objectsDone++;
    this.s.records += records;
    this.s.rejects += rejects;
    if (this.s.bytesTotal === 0) this.estimator?.sample(this.now(), this.s.objectsDone);
  }

  /** Fraction of staging done (bytes, or objects when sizes are unknown). */
  fraction(): number {
    const s = this.s;
    return s.bytesTotal > 0 ? Math.min(s.bytes / s.bytesTotal, 1) : s.objectsTotal > 0 ? s.objectsDone / s.objectsTotal : 1;
  }

  /** The staging numbers as of now. */
  snapshot(): ProgressSnapshot {
    const t = this.now();
    const s = this.s;
    s.elapsedMs = t - this.stagingStarted;
    // No ETA against totals that are still growing.
    s.etaSeconds = s.listing ? undefined : s.bytesTotal > 0 ? this.estimator?.eta(t, s.bytes, s.bytesTotal) : this.estimator?.eta(t, s.objectsDone, s.objectsTotal);
    return s;
  }

  /** The line of the current phase, at most `width` characters where it can. */
  line(width = Infinity): string | undefined {
    if (!this.phase) return undefined;
    if (this.phase === 'staging') return formatProgress(this.snapshot(), width);
    return formatPhase(this.phase, this.now() - this.phaseStarted);
  }
}

/** Periodic plain lines (for pipes, CI logs and --json runs): `progress: …` every `everyMs`. */
export function plainProgress(log: Logger, everyMs = 5000, now: () => number = Date.now): ProgressReporter {
  const state = new ProgressState(now);
  let timer: NodeJS.Timeout | undefined;
  const print = () => {
    const line = state.line();
    if (!line || !state.phase) return;
    const s = state.s;
    const figures = state.phase === 'staging' ? { objectsDone: s.objectsDone, objectsTotal: s.objectsTotal, listing: s.listing ?? false, records: s.records, rejects: s.rejects, bytes: s.bytes, bytesTotal: s.bytesTotal, etaSeconds: s.etaSeconds === undefined ? null : Math.round(s.etaSeconds) } : {};
    log.info(`progress: ${line}`, { event: 'progress', phase: state.phase, elapsedMs: now() - state.phaseStarted, ...figures });
  };
  const ensureTimer = () => {
    if (timer) return;
    timer = setInterval(print, everyMs);
    timer.unref();
  };
  return {
    phase(name) {
      if (state.phase === 'staging' && state.s.objectsTotal > 0) print(); // the last staging numbers
      state.enter(name);
      ensureTimer();
    },
    start(objectsTotal, bytesTotal, listing) {
      state.start(objectsTotal, bytesTotal, listing);
      ensureTimer();
    },
    planned: (objects, bytes, listing) => state.planned(objects, bytes, listing),
    bytes: (n) => state.bytes(n),
    object: (records, rejects) => state.object(records, rejects),
    stop() {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      if (state.phase === 'staging' && state.s.objectsTotal > 0) print();
      state.phase = undefined;
    },
  };
}
