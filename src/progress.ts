/**
 * Progress while loading. Plain mode writes a line every few seconds to the
 * logger (stderr): objects done/total, records, bytes, rate and ETA.
 */
import type { Logger } from './log.ts';

export interface ProgressSnapshot {
  objectsDone: number;
  objectsTotal: number;
  records: number;
  rejects: number;
  bytes: number;
  bytesTotal: number;
  elapsedMs: number;
}

export interface ProgressReporter {
  start(objectsTotal: number, bytesTotal: number): void;
  bytes(n: number): void;
  object(records: number, rejects: number): void;
  stop(): void;
}

export function formatProgress(s: ProgressSnapshot): string {
  const secs = Math.max(s.elapsedMs / 1000, 0.001);
  const rate = s.records / secs;
  const fraction = s.bytesTotal > 0 ? Math.min(s.bytes / s.bytesTotal, 1) : s.objectsTotal > 0 ? s.objectsDone / s.objectsTotal : 1;
  const eta = fraction > 0 && fraction < 1 ? (secs / fraction) * (1 - fraction) : 0;
  return `progress: ${s.objectsDone}/${s.objectsTotal} objects, ${s.records} records (${s.rejects} rejected), ${mb(s.bytes)} of ${mb(s.bytesTotal)}, ${Math.round(rate)} records/s, ETA ${duration(eta)}`;
}

const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;

export function duration(secs: number): string {
  if (secs < 60) return `${Math.round(secs)}s`;
  const m = Math.floor(secs / 60);
  return m < 60 ? `${m}m${String(Math.round(secs % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Periodic plain lines (for pipes, CI logs and --json runs). */
export function plainProgress(log: Logger, everyMs = 5000, now: () => number = Date.now): ProgressReporter {
  const s: ProgressSnapshot = { objectsDone: 0, objectsTotal: 0, records: 0, rejects: 0, bytes: 0, bytesTotal: 0, elapsedMs: 0 };
  let started = 0;
  let timer: NodeJS.Timeout | undefined;
  const print = () => {
    s.elapsedMs = now() - started;
    log.info(formatProgress(s));
  };
  return {
    start(objectsTotal, bytesTotal) {
      started = now();
      s.objectsTotal = objectsTotal;
      s.bytesTotal = bytesTotal;
      timer = setInterval(print, everyMs);
      timer.unref();
    },
    bytes(n) {
      s.bytes += n;
    },
    object(records, rejects) {
      s.objectsDone++;
      s.records += records;
      s.rejects += rejects;
    },
    stop() {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      if (s.objectsTotal > 0) print();
    },
  };
}

export const noProgress: ProgressReporter = { start() {}, bytes() {}, object() {}, stop() {} };
