/**
 * The read limiter (stage/read-limiter.ts), on a simulated source and loader with
 * a test clock: it grows until a source's latency is hidden, whether the latency is
 * steady or varies; it stays at 8 when reads only wait for a busy loader; it never
 * passes 128 or a fixed limit, keeps the byte budget, and admits reads in order.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { INITIAL_READS, MAX_READS, ReadLimiter } from '../../src/stage/read-limiter.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `n` reads through a limiter on a test clock. Read i waits `latencyMs(i)` for the
 * source (all reads at once), then `workMs` of the loader's one thread (one read at a
 * time, in the order their answers came): so reads queue for the thread once there are
 * more in flight than latency ÷ work. The event-loop utilization the limiter sees is that
 * work over the time that passed. Returns the limiter and the share of the time the
 * thread worked.
 */
async function simulate(options: { n: number; latencyMs: (i: number) => number; workMs: number; fixed?: number }) {
  let now = 0;
  let busy = 0;
  let asked = { at: 0, busy: 0 };
  const utilization = () => {
    const u = (busy - asked.busy) / Math.max(now - asked.at, 1e-9);
    asked = { at: now, busy };
    return Math.min(1, u);
  };
  const limiter = new ReadLimiter({ fixed: options.fixed, now: () => now, utilization });
  const waiting: { answered: number; finish: () => void }[] = [];
  let asks = 0;
  const all = Array.from({ length: options.n }, () => limiter.run(300, () => new Promise<void>((finish) => waiting.push({ answered: now + options.latencyMs(asks++), finish }))));
  await tick();
  let threadFree = 0;
  while (waiting.length > 0) {
    // The earliest answer gets the thread next, as soon as it is free.
    waiting.sort((x, y) => x.answered - y.answered);
    const next = waiting.shift()!;
    now = Math.max(next.answered, threadFree) + options.workMs;
    threadFree = now;
    busy += options.workMs;
    next.finish();
    await tick();
  }
  await Promise.all(all);
  return { limiter, busy: busy / now };
}

/** Latencies of a real S3: 10 ms at least, 25 ms typical, some of 100 ms and more (a fixed pseudo-random draw). */
function variedLatency(): (i: number) => number {
  let x = 2018;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return 10 - 15 * Math.log(1 - x / 2 ** 32);
  };
}

describe('read limiter', () => {
  it('grows from 8 until the latency is hidden and the loader is busy, and no further', async () => {
    // 50 ms of latency and 2 ms of work a read: 26 in flight keep the thread busy; a fixed 8
    // would keep it busy 8 × 2 / 52 = 31% of the time.
    const { limiter, busy } = await simulate({ n: 3000, latencyMs: () => 50, workMs: 2 });
    expect(limiter.limit).toBeGreaterThanOrEqual(26);
    expect(limiter.limit).toBeLessThanOrEqual(64);
    expect(busy).toBeGreaterThan(0.9);
  });

  it('hides a latency that varies from read to read as well', async () => {
    const { limiter, busy } = await simulate({ n: 3000, latencyMs: variedLatency(), workMs: 1 });
    expect(limiter.limit).toBeGreaterThan(25);
    expect(busy).toBeGreaterThan(0.85);
  });

  it('stays at 8 on a fast source, where reads only wait for the busy loader', async () => {
    const { limiter, busy } = await simulate({ n: 3000, latencyMs: () => 1, workMs: 1 });
    expect(limiter.limit).toBe(INITIAL_READS);
    expect(busy).toBeGreaterThan(0.95);
  });

  it('never passes 128, however slow the source', async () => {
    const { limiter } = await simulate({ n: 3000, latencyMs: () => 400, workMs: 0.5 });
    expect(limiter.limit).toBe(MAX_READS);
    expect(limiter.peak).toBe(MAX_READS);
  });

  it('never passes a fixed limit (--concurrency), however slow the source', async () => {
    const { limiter } = await simulate({ n: 200, latencyMs: () => 400, workMs: 0.1, fixed: 4 });
    expect(limiter.peak).toBe(4);
    expect(limiter.limit).toBe(4);
    expect(() => new ReadLimiter({ fixed: 0 })).toThrow(TypeError);
  });

  it('keeps the listed bytes in flight within the budget, but always admits one read', async () => {
    const limiter = new ReadLimiter({ fixed: 64, byteBudget: 8 * 1024 * 1024 });
    let inFlight = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 20 }, () => limiter.run(1024 * 1024, async () => {
      most = Math.max(most, ++inFlight);
      await tick();
      inFlight--;
    })));
    expect(most).toBe(8);
    const huge = new ReadLimiter({ byteBudget: 1024 });
    await huge.run(10 * 1024 * 1024, async () => undefined);
    expect(huge.peak).toBe(1);
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
