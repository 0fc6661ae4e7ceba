/**
 * An analyst during a load: a second connection that reads `songplays` every
 * 100 ms while the loader runs, and records how long each read waited for
 * the table (its lock) and how long it took in all.
 *
 * Each probe is `BEGIN; LOCK TABLE songplays IN ACCESS SHARE MODE; SELECT
 * count(*) FROM songplays; COMMIT`: the LOCK is exactly what the SELECT
 * would take first, so its duration is the time the read was blocked by the
 * load, apart from the time the count itself needs on a busy machine.
 */
import pg from 'pg';

export interface ProbeResult {
  /** Reads made. */
  probes: number;
  /** Longest time a read waited for the table, ms (what a load blocks). */
  maxWaitMs: number;
  /** Longest read in all (wait + count on a machine the load keeps busy), ms. */
  maxReadMs: number;
  /** Reads that failed (e.g. the table was missing): should be 0. */
  errors: number;
  firstError?: string;
}

export interface Probe {
  stop(): Promise<ProbeResult>;
}

/** Median time of `n` reads on an idle warehouse, ms. */
export async function idleReadMs(url: string, n = 5): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await client.query('SELECT count(*) FROM songplays');
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return Math.round(times[Math.floor(n / 2)]);
  } finally {
    await client.end();
  }
}

/** Starts reading `songplays` every `everyMs` on its own connection until stopped. */
export async function startProbe(url: string, everyMs = 100): Promise<Probe> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const result: ProbeResult = { probes: 0, maxWaitMs: 0, maxReadMs: 0, errors: 0 };
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const t0 = performance.now();
      try {
        await client.query('BEGIN');
        await client.query('LOCK TABLE songplays IN ACCESS SHARE MODE');
        const waited = performance.now() - t0;
        await client.query('SELECT count(*) FROM songplays');
        await client.query('COMMIT');
        result.maxWaitMs = Math.max(result.maxWaitMs, waited);
        result.maxReadMs = Math.max(result.maxReadMs, performance.now() - t0);
        result.probes++;
      } catch (err) {
        result.errors++;
        result.firstError ??= (err as Error).message;
        await client.query('ROLLBACK').catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      await client.end();
      return { ...result, maxWaitMs: Math.round(result.maxWaitMs), maxReadMs: Math.round(result.maxReadMs) };
    },
  };
}
