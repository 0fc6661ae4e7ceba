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
   * Work that fills a gap: it starts only on a session no required step is ready for while required
   * steps still wait or run, and is left out where there is none. No step may wait for it, nor does
   * runSteps once the required steps are done.
   */
  optional?: boolean;
  run(session: pg.ClientBase, context: C): Promise<void>;
}

export interface StepTiming {
  name: string;
  ms: number;
  /** When it started, in ms from the first step's start (a build's schedule, for -v). */
  at: number;
}

export interface StepsDone {
  /** The wall time of each step that ran (an optional step left in flight adds its own when it ends). */
  timings: StepTiming[];
  /**
   * Optional steps still in flight once every required step was done: the caller goes on with the
   * sessions they leave free, and `settled` (which never rejects) says when they have ended and
   * released `sessions`, which they hold until then.
   */
  rest?: { settled: Promise<void>; sessions: readonly pg.ClientBase[] };
}

/**
 * Runs `steps` (each name unique, `after` naming earlier steps) on `sessions`. Returns once every
 * required step is done: an optional one still running then is left in flight (StepsDone.rest),
 * so that a gap it filled does not make the caller wait for it.
 */
export async function runSteps<C>(steps: readonly Step<C>[], sessions: readonly pg.ClientBase[], context: C, signal?: AbortSignal): Promise<StepsDone> {
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
  const origin = Date.now();

  const requiredDone = () => required.every((s) => done.has(s.name));
  // Required steps first: an optional one gets only a session none of them is ready for (a gap of the
  // schedule, or its tail), and only while required steps remain (below, once they are done, runSteps returns).
  const ready = () => [...required, ...steps.filter((s) => s.optional)].filter((s) => !started.has(s.name) && (s.after ?? []).every((d) => done.has(d)));
  while (!requiredDone() || running.size > 0) {
    if (!failure && requiredDone()) {
      // Only optional steps run: they are left to end on their own.
      const held = sessions.filter((s) => !idle.includes(s));
      return { timings, rest: { settled: Promise.allSettled([...running.values()]).then(() => undefined), sessions: held } };
    }
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
              timings.push({ name: step.name, ms: Date.now() - t, at: t - origin });
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
      throw new TypeError(`steps wait for each other: ${required.filter((s) => !done.has(s.name)).map((s) => s.name).join(', ')}`);
    }
    await Promise.race(running.values());
    if (failure && running.size === 0) throw failure.error;
  }
  return { timings };
}
