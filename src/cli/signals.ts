/**
 * Graceful stop. The first SIGINT or SIGTERM stops taking new objects, rolls
 * back the ones in flight, records the run as interrupted, closes connections
 * and exits 130 (SIGINT) or 143 (SIGTERM). A second signal exits at once —
 * after at most a second for what the first one started to settle (the run
 * marked interrupted in etl_runs), so the hard exit does not leave it `running`.
 */
import { InterruptedError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { exitCodeOfSignal } from './exit-codes.ts';

export interface StopSignals {
  readonly signal: AbortSignal;
  /** 130 or 143 once a signal arrived. */
  exitCode(): number | undefined;
  /** Work a hard exit (second signal) waits for, briefly: e.g. the run being marked interrupted. */
  holdExit(pending: () => Promise<unknown> | undefined): void;
  dispose(): void;
}

/** How long a second signal waits for what the first started. */
const HARD_EXIT_GRACE_MS = 1000;

export function handleStopSignals(log: Logger): StopSignals {
  const controller = new AbortController();
  let received: string | undefined;
  const holds: (() => Promise<unknown> | undefined)[] = [];
  const onSignal = (name: NodeJS.Signals) => {
    if (received) {
      log.error(`${name} again: exiting now`);
      const pending = holds.map((h) => h()).filter((p) => p !== undefined);
      if (pending.length === 0) process.exit(exitCodeOfSignal(name));
      const timer = setTimeout(() => process.exit(exitCodeOfSignal(name)), HARD_EXIT_GRACE_MS);
      void Promise.allSettled(pending).then(() => {
        clearTimeout(timer);
        process.exit(exitCodeOfSignal(name));
      });
      return;
    }
    received = name;
    log.warn(`${name}: stopping — no new objects; the ones in flight are rolled back (send ${name} again to exit at once)`);
    controller.abort(new InterruptedError(name));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    exitCode: () => (received ? exitCodeOfSignal(received) : undefined),
    holdExit(pending) {
      holds.push(pending);
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
