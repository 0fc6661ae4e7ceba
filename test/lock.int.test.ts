/** One run at a time per warehouse schema: a second run says who holds the lock and exits 1. */
import { describe, expect, it } from 'vitest';
import { createDatabase, SAMPLE_DIR } from './support/services.ts';
import { runCli } from './support/cli.ts';
import { withWarehouse } from './support/in-process.ts';
import { acquireRunLock } from '../src/warehouse/lock.ts';
import { createTables } from '../src/warehouse/tables.ts';

describe('run lock', () => {
  it('refuses a second run while one holds the lock, and lets it run after', async () => {
    const url = await createDatabase('lock');
    const args = ['etl', '--target', url, '--logs', `${SAMPLE_DIR}log_data`];
    await withWarehouse({ target: url }, async (wh) => {
      await createTables(wh);
      const lock = await acquireRunLock(wh, { host: 'etl-host', pid: 4242 });
      try {
        const r = await runCli(args);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^error: another sparkify run holds the lock on schema public: loader [^\n]+, connected since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/m);
      } finally {
        await lock.release();
      }
    });
    expect((await runCli(args)).code).toBe(0);
  });
});
