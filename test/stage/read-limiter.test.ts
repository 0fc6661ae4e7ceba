/**
 * The read limiter (stage/read-limiter.ts) with a test clock and a test
 * event-loop utilization: it grows only while reads wait for slots and the
 * loader's thread is idle, never past its cap, keeps the byte budget, honours
 * a fixed limit, and admits reads in order.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { INITIAL_READS, MAX_READS, ReadLimiter } from '../../src/stage/read-limiter.ts';

/** A read the test finishes when it wants. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { done, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Starts `n` reads of `size` bytes that wait on their own gates; returns the gates and the started flags. */
function startReads(limiter: ReadLimiter, n: number, size: number) {
  const gates = Array.from({ length: n }, gate);
  const started = gates.map(() => false);
  const finished = gates.map((g, i) => limiter.run(size, async () => {
    started[i] = true;
    await g.done;
  }));
  return { gates, started, finished };
}

/** Finishes the reads one at a time, a window of the test clock apart. */
async function finishOneByOne(gates: { open: () => void }[], advance: () => void) {
  for (const g of gates) {
    await tick();
    advance();
    g.open();
  }
  await tick();
}

describe('read limiter', () => {
  it('grows from 8 by doubling while reads queue and the thread is idle, up to 128', async () => {
    let now = 0;
    let busy = 0.1;
    const limiter = new ReadLimiter({ now: () => now, utilization: () => busy });
    expect(limiter.limit).toBe(INITIAL_READS);
    const { gates, started } = startReads(limiter, 400, 300);
    await tick();
    expect(started.filter(Boolean)).toHaveLength(8);
    // Each read that ends after a window lets the limiter look: idle and starved, so it doubles.
    const limits: number[] = [];
    for (let i = 0; i < 6; i++) {
      now += 150;
      gates[i].open();
      await tick();
      limits.push(limiter.limit);
    }
    expect(limits).toEqual([16, 32, 64, 128, 128, 128]);
    expect(limiter.inFlight).toBe(MAX_READS);
    // A busy thread stops nothing that runs, but nothing grows either (already at the cap here).
    busy = 0.95;
    for (const g of gates) g.open();
  });

  it('does not grow while the thread is busy, nor while no read waits for a slot', async () => {
    let now = 0;
    const busy = new ReadLimiter({ now: () => now, utilization: () => 0.9 });
    await finishOneByOne(startReads(busy, 20, 300).gates, () => (now += 150));
    expect(busy.limit).toBe(8);
    // Idle, but the reads come one at a time: none waits, more slots would change nothing.
    const idle = new ReadLimiter({ now: () => now, utilization: () => 0.1 });
    for (let i = 0; i < 10; i++) {
      now += 150;
      await idle.run(300, async () => undefined);
    }
    expect(idle.limit).toBe(8);
  });

  it('keeps the listed bytes in flight within the budget, but always admits one read', async () => {
    const limiter = new ReadLimiter({ fixed: 64, byteBudget: 8 * 1024 * 1024, utilization: () => 0 });
    const { gates, started } = startReads(limiter, 20, 1024 * 1024);
    await tick();
    expect(started.filter(Boolean)).toHaveLength(8);
    for (const g of gates) g.open();
    const huge = new ReadLimiter({ byteBudget: 1024 });
    await huge.run(10 * 1024 * 1024, async () => undefined);
    expect(huge.peak).toBe(1);
  });

  it('never passes a fixed limit (--concurrency), however idle', async () => {
    let now = 0;
    const limiter = new ReadLimiter({ fixed: 4, now: () => now, utilization: () => 0 });
    await finishOneByOne(startReads(limiter, 50, 300).gates, () => (now += 150));
    expect(limiter.peak).toBe(4);
    expect(limiter.limit).toBe(4);
    expect(() => new ReadLimiter({ fixed: 0 })).toThrow(TypeError);
  });

  it('admits reads in the order they asked, and keeps every bound, whatever the sizes and timings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ size: fc.integer({ min: 0, max: 4096 }), hold: fc.nat(3) }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 8192 }), async (reads, fixed, budget) => {
        const limiter = new ReadLimiter({ fixed, byteBudget: budget });
        const order: number[] = [];
        let inFlight = 0;
        let bytes = 0;
        await Promise.all(reads.map((r, i) => limiter.run(r.size, async () => {
          order.push(i);
          inFlight++;
          bytes += r.size;
          expect(inFlight).toBeLessThanOrEqual(fixed);
          if (inFlight > 1) expect(bytes).toBeLessThanOrEqual(budget);
          for (let k = 0; k < r.hold; k++) await tick();
          inFlight--;
          bytes -= r.size;
        })));
        expect(order).toEqual(reads.map((_, i) => i));
      }),
      { numRuns: 100 },
    );
  });
});
