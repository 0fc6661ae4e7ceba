/**
 * Runs a set of steps that depend on one another over a few warehouse
 * sessions: a step starts as soon as the steps it names in `after` are done
 * and a session is free, so independent work (an index build, another
 * table) runs side by side. On a failure no new step starts; the steps in
 * flight settle, then the first error is thrown.
 */
import type pg from 'pg';

export interface Step<C> {
  name: string;
  after?: readonly string[];
  run(session: pg.ClientBase, context: C): Promise<void>;
}

export interface StepTiming {
  name: string;
  ms: number;
}

/** Runs `steps` (each name unique, `after` naming earlier steps) on `sessions`; returns each step's wall time. */
export async function runSteps<C>(steps: readonly Step<C>[], sessions: readonly pg.ClientBase[], context: C, signal?: AbortSignal): Promise<StepTiming[]> {
  if (sessions.length === 0) throw new TypeError('runSteps needs at least one session');
  const byName = new Map(steps.map((s) => [s.name, s]));
  for (const s of steps) for (const dep of s.after ?? []) if (!byName.has(dep)) throw new TypeError(`step "${s.name}" waits for unknown step "${dep}"`);
  const done = new Set<string>();
  const started = new Set<string>();
  const idle = [...sessions];
  const running = new Map<string, Promise<void>>();
  const timings: StepTiming[] = [];
  let failure: { error: unknown } | undefined;

  const ready = () => steps.filter((s) => !started.has(s.name) && (s.after ?? []).every((d) => done.has(d)));
  while (done.size < steps.length) {
    if (!failure && signal?.aborted) failure = { error: signal.reason };
    if (!failure) {
      for (const step of ready()) {
        const session = idle.shift();
        if (!session) break;
        started.add(step.name);
        const t = Date.now();
        running.set(
          step.name,
          step.run(session, context).then(
            () => {
              timings.push({ name: step.name, ms: Date.now() - t });
              done.add(step.name);
            },
            (error: unknown) => {
              failure ??= { error };
            },
          ).finally(() => {
            running.delete(step.name);
            idle.push(session);
          }),
        );
      }
    }
    if (running.size === 0) {
      if (failure) throw failure.error;
      throw new TypeError(`steps wait for each other: ${steps.filter((s) => !done.has(s.name)).map((s) => s.name).join(', ')}`);
    }
    await Promise.race(running.values());
    if (failure && running.size === 0) throw failure.error;
  }
  return timings;
}
