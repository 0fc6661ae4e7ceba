/**
 * The run lease on Redshift (no advisory locks there): its times are the
 * warehouse's, so a client with a skewed clock sees a lease's true age, and a
 * holder whose heartbeat finds its row taken knows it lost the lease.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runEtl } from '../../src/run/etl.ts';
import { silentLogger } from '../../src/common/log.ts';
import { acquireRunLock } from '../../src/warehouse/lock.ts';
import { createTables } from '../../src/warehouse/tables.ts';
import { testConfig, useTestS3Credentials, withWarehouse } from '../support/in-process.ts';
import { SAMPLE_DIR } from '../support/services.ts';
import { redshiftTestBed, ROLE, type RedshiftTestBed } from './setup.ts';

let bed: RedshiftTestBed;
beforeAll(async () => {
  bed = await redshiftTestBed(false);
});
afterAll(async () => bed.close());
afterEach(() => {
  vi.useRealTimers();
});

const lease = (c: { query: (sql: string) => Promise<unknown[]> }) =>
  c.query(`SELECT holder, heartbeat_at::text AS heartbeat, extract(epoch FROM (now() AT TIME ZONE 'UTC') - heartbeat_at) AS age FROM dwh.etl_lock`) as Promise<{ holder: string; heartbeat: string; age: number }[]>;

describe('Redshift run lease', () => {
  it('judges a lease by the warehouse clock, whatever the client clock says', async () => {
    const c = await bed.cluster('lease_clock');
    await withWarehouse({ target: c.target, schema: 'dwh' }, async (wh) => {
      await createTables(wh);
      // Another host renewed its lease 60 s ago, by the warehouse's clock.
      await c.query(`INSERT INTO dwh.etl_lock VALUES ('run', 'other-host:77', now() AT TIME ZONE 'UTC' - interval '5 minutes', now() AT TIME ZONE 'UTC' - interval '60 seconds')`);
      // This client's clock runs 10 minutes fast: by it, the lease looks 11 minutes old.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 600_000 });
      await expect(acquireRunLock(wh, { host: 'etl-host', pid: 4242 })).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringMatching(/loader other-host:77/) });
      // Once it really is stale, by the warehouse's clock, it is taken over with the warehouse's time.
      await c.query(`UPDATE dwh.etl_lock SET heartbeat_at = now() AT TIME ZONE 'UTC' - interval '150 seconds'`);
      const lock = await acquireRunLock(wh, { host: 'etl-host', pid: 4242 });
      try {
        const [row] = await lease(c);
        expect(row.holder).toBe('etl-host:4242');
        expect(Math.abs(Number(row.age))).toBeLessThan(5);
      } finally {
        await lock.release();
      }
    });
  });

  it('stops a run whose heartbeat finds its lease taken over', async () => {
    const c = await bed.cluster('lease_lost');
    await withWarehouse({ target: c.target, schema: 'dwh' }, async (wh) => {
      await createTables(wh);
      const lock = await acquireRunLock(wh, { host: 'etl-host', pid: 4242 }, { heartbeatMs: 50 });
      try {
        // Heartbeats that find the row still theirs keep the lease.
        const [first] = await lease(c);
        await vi.waitFor(async () => expect((await lease(c))[0].heartbeat).not.toBe(first.heartbeat), { timeout: 5000 });
        expect(lock.lost.aborted).toBe(false);
        // Paused past the stale age, then another run took the lease over.
        await c.query(`UPDATE dwh.etl_lock SET holder = 'other-host:77'`);
        await vi.waitFor(() => expect(lock.lost.aborted).toBe(true), { timeout: 5000 });
        expect(lock.lost.reason).toMatchObject({ code: 'LOCKED', message: expect.stringMatching(/^lost the run lease on dwh: its row was taken over/) });
      } finally {
        await lock.release();
      }
      // Releasing a lost lease leaves the new holder's row alone.
      expect((await lease(c)).map((r) => r.holder)).toEqual(['other-host:77']);
    });
  });

  it('an etl run that loses its lease stops, and records that it failed', async () => {
    useTestS3Credentials();
    const c = await bed.cluster('lease_run');
    const flags = { target: c.target, schema: 'dwh', logs: `${SAMPLE_DIR}log_data`, songs: `${SAMPLE_DIR}song_data`, iamRole: ROLE, stagingPrefix: `s3://${bed.stagingBucket}/tmp/lease` };
    await withWarehouse(flags, async (wh) => {
      await createTables(wh);
      const run = runEtl(wh, testConfig(flags), 'etl', { log: silentLogger, lockOptions: { heartbeatMs: 50 } });
      // As soon as the run holds the lease, another run takes it over.
      await vi.waitFor(async () => expect(await lease(c)).toHaveLength(1), { timeout: 10_000, interval: 20 });
      await c.query(`UPDATE dwh.etl_lock SET holder = 'other-host:77'`);
      await expect(run).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringMatching(/^lost the run lease on dwh/) });
      expect(await c.query(`SELECT status, error FROM dwh.etl_runs`)).toEqual([{ status: 'failed', error: expect.stringMatching(/lost the run lease/) }]);
    });
  });
});
