/**
 * The full build's step runner: steps start as soon as what they wait for is
 * done and a session is free; optional steps only fill gaps in that schedule.
 */
import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { runSteps, type Step } from '../../src/model/steps.ts';

const sessions = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i }) as unknown as pg.ClientBase);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A step that takes `ms` and logs its start and end. */
function step(name: string, ms: number, log: string[], extra: Partial<Step<unknown>> = {}): Step<unknown> {
  return {
    name,
    ...extra,
    async run() {
      log.push(`${name} start`);
      await sleep(ms);
      log.push(`${name} end`);
    },
  };
}

describe('runSteps', () => {
  it('starts an optional step on a session left idle while a step waits for one in flight', async () => {
    const log: string[] = [];
    const { timings } = await runSteps(
      [step('long', 80, log), step('short', 5, log), step('after long', 5, log, { after: ['long'] }), step('fill', 20, log, { optional: true })],
      sessions(2),
      undefined,
    );
    expect(timings.map((t) => t.name).sort()).toEqual(['after long', 'fill', 'long', 'short']);
    // It took the session `short` freed, before `long` was done.
    expect(log.indexOf('fill start')).toBeGreaterThan(log.indexOf('short end'));
    expect(log.indexOf('fill start')).toBeLessThan(log.indexOf('long end'));
  });

  it('returns once the required steps are done, leaving an optional step in flight with the session it holds', async () => {
    const log: string[] = [];
    const pool = sessions(2);
    // `fill` starts in the gap while `long` runs, and outlasts every required step.
    const { timings, rest } = await runSteps([step('long', 30, log), step('short', 1, log), step('after long', 1, log, { after: ['long'] }), step('fill', 120, log, { optional: true })], pool, undefined);
    expect(log).toContain('after long end');
    expect(log).not.toContain('fill end');
    expect(rest?.sessions).toHaveLength(1);
    // The caller goes on with the other session.
    expect(pool.filter((s) => !rest!.sessions.includes(s))).toHaveLength(1);
    await rest!.settled;
    expect(log.at(-1)).toBe('fill end');
    expect(timings.map((t) => t.name)).toContain('fill');
  });

  it('gives a required step that is ready the free session before an optional one', async () => {
    const log: string[] = [];
    await runSteps([step('first', 10, log), step('fill', 10, log, { optional: true }), step('then', 10, log, { after: ['first'] })], sessions(1), undefined);
    // One session: no session is ever idle while a required step runs, so `fill` is left out.
    expect(log).toEqual(['first start', 'first end', 'then start', 'then end']);
  });

  it('refuses a step that waits for an optional one', async () => {
    await expect(runSteps([step('fill', 1, [], { optional: true }), step('x', 1, [], { after: ['fill'] })], sessions(2), undefined)).rejects.toThrow(/optional step "fill"/);
  });

  it('throws the first failure once the steps in flight settle, starting nothing after it', async () => {
    const log: string[] = [];
    const failing: Step<unknown> = { name: 'bad', run: async () => Promise.reject(new Error('boom')) };
    await expect(runSteps([failing, step('slow', 30, log), step('later', 1, log, { after: ['slow'] })], sessions(2), undefined)).rejects.toThrow('boom');
    expect(log).toEqual(['slow start', 'slow end']);
  });
});
