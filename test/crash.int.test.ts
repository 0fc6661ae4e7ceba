/**
 * Crash safety (SPEC §6): SIGKILL the loader at random points — while it
 * lists, in the middle of a COPY, during the model step — and run it again:
 * the tables end exactly as after an uninterrupted run, no row lost or doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { spawnCli, json, runCli, s3Env, s3Flags } from './support/cli.ts';
import { withWarehouse } from './support/in-process.ts';
import { generatedBucket } from './support/generated-bucket.ts';
import { starTables } from './support/star-tables.ts';
import { createTables } from '../src/warehouse/tables.ts';

let url: string;
let sources: string[];
let client: pg.Client;
let reference: Record<string, unknown[]>;
/** How long the reference load staged after its listing ended (ms): the kills "into staging" are shares of it. */
let stagingAfterPlanMs = 0;

beforeAll(async () => {
  // Big enough that staging and the model step each last long enough to be killed in (see `phases` below), no bigger.
  const set = await generatedBucket('crash', { songs: 150, days: 12, users: 100, events: 24_000, seed: 7 });
  ({ url, client, reference, sourceFlags: sources } = set);
  // Listing and staging overlap; "plan: … to load" ends the listing. Fixed delays of up to 500 ms
  // once outlasted staging on a fast day (a kill meant for staging landed in the model step).
  stagingAfterPlanMs = Math.max(0, set.referenceRun.timings.stageMs - set.referenceRun.timings.listMs);
}, 180_000);
afterAll(() => client?.end());

/** `delayMs`, or a share of the reference load's staging after its listing (`stagingShare`, under 1). */
type KillPlan = { name: string; trigger: RegExp; delayMs?: number; stagingShare?: number };

const delayOf = (plan: KillPlan) => plan.delayMs ?? Math.floor((plan.stagingShare ?? 0) * stagingAfterPlanMs);

/** Starts `etl` and SIGKILLs it `delayMs` after a stderr line matches; says whether the kill landed before the end. */
function killDuring(plan: KillPlan, schema: string): Promise<{ killed: boolean; stderr: string; phase: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(['etl', '--target', url, '--schema', schema, ...sources, ...s3Flags(), '--concurrency', '4'], { env: { PATH: process.env.PATH, ...s3Env() } });
    child.stdout.resume();
    let stderr = '';
    let armed = false;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!armed && plan.trigger.test(stderr)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayOf(plan));
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve({ killed: signal === 'SIGKILL', stderr, phase: phaseOf(stderr) }));
  });
}

/** Where a killed run was, from the last milestone it printed. */
function phaseOf(stderr: string): string {
  if (/model: full build started/.test(stderr)) return 'model';
  if (/plan: \d+ to load/.test(stderr)) return 'staging';
  if (/: loading into /.test(stderr)) return 'listing';
  return 'starting';
}

/** Seeded delays, so a failure can be replayed. */
function delays(seed: number, count: number, max: number): number[] {
  let x = seed;
  return Array.from({ length: count }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % max;
  });
}

describe('SIGKILL at random points', () => {
  const plans: KillPlan[] = [
    { name: 'while listing', trigger: /run \d+: loading/, delayMs: 0 },
    // Within the first 80 % of the reference load's staging: the runs here, two at a time and each in a process of its own, stage no faster.
    ...delays(2018, 5, 80).map((d) => ({ name: `${d} % into staging`, trigger: /plan: \d+ to load/, stagingShare: d / 100 })),
    { name: 'at the start of the model step', trigger: /model: full build started/, delayMs: 0 },
    ...delays(1101, 2, 100).map((d) => ({ name: `${d} ms into the model step`, trigger: /model: full build started/, delayMs: d })),
  ];
  let landed = 0;
  const phases = new Map<string, number>();

  // The plans run in two lanes side by side, each on a schema of its own: a lane mostly waits
  // for its loader's process and for Postgres, so the two overlap.
  describe.concurrent('leaves each object loaded or not, and the next run ends where an uninterrupted run would', () => {
    for (const lane of [0, 1]) {
      it(`kill plans ${lane === 0 ? 'of even rank' : 'of odd rank'}`, async () => {
        const schema = `crash_${lane}`;
        for (const plan of plans.filter((_, i) => i % 2 === lane)) {
          await withWarehouse({ target: url, schema }, (wh) => createTables(wh, { reset: true }));
          const first = await killDuring(plan, schema);
          if (first.killed) {
            landed++;
            phases.set(first.phase, (phases.get(first.phase) ?? 0) + 1);
          }
          // Kill a second run too, mid-way, before letting one finish.
          await killDuring({ name: 'again', trigger: /plan: \d+ to load|model:/, delayMs: 150 }, schema);
          const finish = await runCli(['etl', '--target', url, '--schema', schema, ...sources, ...s3Flags(), '--json'], { env: s3Env() });
          expect(finish.code, `${plan.name}: ${finish.stderr}`).toBe(0);
          expect(json(finish).status).toBe('ok');
          const after = await starTables(client, schema);
          for (const table of Object.keys(reference)) expect(after[table].length, `${plan.name}: ${table}`).toBe(reference[table].length);
          // Row for row: compared as JSON text first (vitest's deep equality takes seconds on 50,000 rows), its diff only on a difference.
          if (JSON.stringify(after) !== JSON.stringify(reference)) expect(after, plan.name).toEqual(reference);
        }
      }, 400_000);
    }
  });

  it('landed its kills in a running loader, while listing, staging and modelling', () => {
    // Most kills must have hit a running loader, in each phase, or the test proves nothing.
    expect(landed).toBeGreaterThanOrEqual(plans.length - 2);
    expect(phases.get('listing') ?? 0, JSON.stringify([...phases])).toBeGreaterThanOrEqual(1);
    expect(phases.get('staging') ?? 0, `${JSON.stringify([...phases])}; the reference staged ${stagingAfterPlanMs} ms after its listing`).toBeGreaterThanOrEqual(4);
    expect(phases.get('model') ?? 0, JSON.stringify([...phases])).toBeGreaterThanOrEqual(2);
  });
});
