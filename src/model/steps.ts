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
  /**
   * Work that fills a gap: it starts only on a session nothing else is ready for while other
   * steps still wait for their turn, and is left out once none do. No step may wait for it.
   */
  optional?: boolean;
  run(session: pg.ClientBase, context: C): Promise<void>;
}

export interface StepTiming {
  name: string;
  ms: number;
}

/** Runs `steps` (each name unique, `after` naming earlier steps) on `sessions`; returns the wall time of each step that ran. */
export async function runSteps<C>(steps: readonly Step<C>[], sessions: readonly pg.ClientBase[], context: C, signal?: AbortSignal): Promise<StepTiming[]> {
  if (sessions.length === 0) throw new TypeError('runSteps needs at least one session');
  const byName = new Map(steps.map((s) => [s.name, s]));
  for (const s of steps) for (const dep of s.after ?? []) if (!byName.has(dep) || byName.get(dep)!.optional) throw new TypeError(`step "${s.name}" waits for unknown or optional step "${dep}"`);
  const required = steps.filter((s) => !s.optional);
  const done = new Set<string>();
  const started = new Set<string>();
  const idle = [...sessions];
  const running = new Map<string, Promise<void>>();
  const timings: StepTiming[] = [];
  let failure: { error: unknown } | undefined;

  const ready = () => [...required, ...steps.filter((s) => s.optional)].filter((s) => !started.has(s.name) && (s.after ?? []).every((d) => done.has(d)));
  // A gap: steps not started yet that are not ready either (they wait for steps in flight).
  const gap = () => required.some((s) => !started.has(s.name));
  while (required.some((s) => !done.has(s.name)) || running.size > 0) {
    if (!failure && signal?.aborted) failure = { error: signal.reason };
    if (!failure) {
      for (const step of ready()) {
        if (step.optional && !gap()) continue;
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
      if (required.every((s) => done.has(s.name))) break;
      throw new TypeError(`steps wait for each other: ${required.filter((s) => !done.has(s.name)).map((s) => s.name).join(', ')}`);
    }
    await Promise.race(running.values());
    if (failure && running.size === 0) throw failure.error;
  }
  return timings;
}
