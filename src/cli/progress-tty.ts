/**
 * Progress on a terminal: one live line (cli-progress) redrawn in place on
 * stderr. While staging: a bar, objects done/total, records and rejects, bytes,
 * records/s and ETA; during the other phases (listing, model step, checks)
 * their name and elapsed time. The text is the plain lines' (progress.ts), cut
 * to the terminal's width by dropping the least useful parts, so a TTY run and
 * a CI log read alike. Only for a TTY: the CLI picks plainProgress for pipes
 * and --json runs.
 */
import cliProgress from 'cli-progress';
import { ProgressState, type ProgressReporter } from './progress.ts';

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
const BAR = 24;

/** A ProgressReporter drawing one live line on `stream` (a TTY, normally process.stderr), fitted to its width. */
export function ttyProgress(stream: NodeJS.WriteStream, options: TtyProgressOptions = {}): TtyProgress {
  const now = options.now ?? Date.now;
  const state = new ProgressState(now);
  let bar: cliProgress.SingleBar | undefined;

  // A MultiBar with one bar: its log() puts lines above the bar instead of through it. One per
  // phase: the staging line stays on screen when it ends, a phase line (model step 25s) is cleared.
  const makeMulti = (clearOnComplete: boolean) =>
    new cliProgress.MultiBar({
      stream,
      fps: options.fps ?? 10,
      barsize: BAR,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: false, // a crash must not leave the user's cursor hidden
      linewrap: false, // a line wider than the terminal is cut, not wrapped into a scroll (ours fits anyway)
      clearOnComplete,
      forceRedraw: true, // redraw after log lines even when the numbers did not move
      gracefulExit: false, // the CLI owns SIGINT/SIGTERM
      // Computed at every redraw, so elapsed time, records/s and ETA move even between objects.
      format: (opts, params) => {
        // One column spare: writing the last column makes some terminals wrap.
        const width = Math.max((stream.columns || 80) - 1, 20);
        if (state.phase !== 'staging') return state.line(width) ?? '';
        const percent = `${String(Math.floor(params.progress * 100)).padStart(3)}% `;
        const head = `${cliProgress.Format.BarFormat(params.progress, opts)} ${percent}`;
        // A narrow terminal gives up the bar before the numbers.
        if (width - head.length < 40) return percent + state.line(width - percent.length);
        return head + state.line(width - head.length);
      },
    });
  let multi: cliProgress.MultiBar | undefined;
  const update = () => bar?.update(Math.round(state.fraction() * STEPS));
  const open = () => {
    multi = makeMulti(state.phase !== 'staging');
    bar = multi.create(STEPS, 0);
    update();
  };
  const close = () => {
    if (!multi) return;
    update();
    multi.update(); // flush log lines still waiting for a redraw
    multi.stop();
    multi = undefined;
    bar = undefined;
  };

  return {
    phase(name) {
      close();
      state.enter(name);
      open();
    },
    start(objectsTotal, bytesTotal, listing) {
      close();
      state.start(objectsTotal, bytesTotal, listing);
      open();
    },
    planned(objects, bytes, listing) {
      state.planned(objects, bytes, listing);
      update();
    },
    bytes(n) {
      state.bytes(n);
      update();
    },
    object(records, rejects) {
      state.object(records, rejects);
      update();
    },
    stop() {
      // Stopped twice (after a failure and in `finally`): only the first draws.
      close();
      state.phase = undefined;
    },
    write(line) {
      if (multi) multi.log(line.endsWith('\n') ? line : `${line}\n`);
      else stream.write(line);
    },
  };
}
