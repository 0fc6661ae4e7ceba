/**
 * Graceful stop. The first SIGINT or SIGTERM stops taking new objects, rolls
 * back the ones in flight, records the run as interrupted, closes connections
 * and exits 130 (SIGINT) or 143 (SIGTERM). A second signal exits at once.
 */
import { InterruptedError } from './errors.ts';
import type { Logger } from './log.ts';

export interface StopSignals {
  readonly signal: AbortSignal;
  /** 130 or 143 once a signal arrived. */
  exitCode(): number | undefined;
  dispose(): void;
}

const CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export function handleStopSignals(log: Logger): StopSignals {
  const controller = new AbortController();
  let received: string | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    if (received) {
      log.error(`${name} again: exiting now`);
      process.exit(CODES[name] ?? 1);
    }
    received = name;
    log.warn(`${name}: stopping — no new objects; the ones in flight are rolled back (send ${name} again to exit at once)`);
    controller.abort(new InterruptedError(name));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    exitCode: () => (received ? CODES[received] : undefined),
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
