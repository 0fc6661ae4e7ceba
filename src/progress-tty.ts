/**
 * Progress on a terminal: one live line (cli-progress) redrawn in place on
 * stderr with a bar, objects done/total, records and rejects, bytes, records/s
 * and ETA. The numbers are the same as the plain lines' (formatProgress), so a
 * TTY run and a CI log read alike. Only for a TTY: the CLI picks plainProgress
 * for pipes and --json runs.
 */
import cliProgress from 'cli-progress';
import { formatProgress, type ProgressReporter, type ProgressSnapshot } from './progress.ts';

export interface TtyProgressOptions {
  /** Redraws per second (default 10). */
  fps?: number;
  /** Clock (tests). */
  now?: () => number;
}

export interface TtyProgress extends ProgressReporter {
  /**
   * Writes a log line (ending in a newline) without tearing the bar: while the
   * bar is live the line is printed above it at the next redraw; otherwise it
   * goes straight to the stream. Give it to the logger as its `write`.
   */
  write(line: string): void;
}

/** Steps of the bar: fine enough for a smooth bar. */
const STEPS = 1000;

/** A ProgressReporter drawing one live line on `stream` (a TTY, normally process.stderr). */
export function ttyProgress(stream: NodeJS.WriteStream, options: TtyProgressOptions = {}): TtyProgress {
  const now = options.now ?? Date.now;
  const s: ProgressSnapshot = { objectsDone: 0, objectsTotal: 0, records: 0, rejects: 0, bytes: 0, bytesTotal: 0, elapsedMs: 0 };
  let started = 0;
  let bar: cliProgress.SingleBar | undefined;

  const fraction = () => (s.bytesTotal > 0 ? Math.min(s.bytes / s.bytesTotal, 1) : s.objectsTotal > 0 ? s.objectsDone / s.objectsTotal : 1);
  // A MultiBar with one bar: its log() puts lines above the bar instead of through it.
  const multi = new cliProgress.MultiBar({
    stream,
    fps: options.fps ?? 10,
    barsize: 24,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: false, // a crash must not leave the user's cursor hidden
    linewrap: false, // a line wider than the terminal is cut, not wrapped into a scroll
    clearOnComplete: false,
    forceRedraw: true, // redraw after log lines even when the numbers did not move
    gracefulExit: false, // the CLI owns SIGINT/SIGTERM
    // Computed at every redraw, so records/s and ETA move even between objects.
    format: (opts, params) => {
      s.elapsedMs = now() - started;
      return `${cliProgress.Format.BarFormat(params.progress, opts)} ${String(Math.floor(params.progress * 100)).padStart(3)}% ${formatProgress(s).replace(/^progress: /, '')}`;
    },
  });
  const update = () => bar?.update(Math.round(fraction() * STEPS));

  return {
    start(objectsTotal, bytesTotal) {
      if (bar) return;
      started = now();
      s.objectsTotal = objectsTotal;
      s.bytesTotal = bytesTotal;
      bar = multi.create(STEPS, 0);
    },
    bytes(n) {
      s.bytes += n;
      update();
    },
    object(records, rejects) {
      s.objectsDone++;
      s.records += records;
      s.rejects += rejects;
      update();
    },
    stop() {
      // etl stops its reporter twice (after staging and in `finally`): only the first draws.
      if (!bar) return;
      update();
      multi.update(); // flush log lines still waiting for a redraw
      multi.stop();
      bar = undefined;
    },
    write(line) {
      if (bar) multi.log(line.endsWith('\n') ? line : `${line}\n`);
      else stream.write(line);
    },
  };
}
