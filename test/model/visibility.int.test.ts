/**
 * The full build's VACUUM of staging marks every page all-visible, also on a
 * server that commits asynchronously (the embedded one runs with
 * synchronous_commit off): VACUUM cannot mark a page whose rows' commit is
 * not yet flushed, so the build flushes the WAL first. Without it, the
 * duplicate keys are read with a heap fetch per event (3× slower at 1M
 * events) and so are a daily run's lookups.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase, SAMPLE_DIR } from '../support/services.ts';
import { etl } from '../support/in-process.ts';

describe('full build on a server that commits asynchronously', () => {
  it('leaves every page of stg_events all-visible', async () => {
    const target = await createDatabase('visibility');
    const db = new pg.Client({ connectionString: target });
    await db.connect();
    try {
      // Every session of the loader commits asynchronously (the WAL writer flushes their commits within 200 ms).
      await db.query(`ALTER DATABASE "${new URL(target).pathname.slice(1)}" SET synchronous_commit = off`);
      const summary = await etl({ target, songs: `${SAMPLE_DIR}song_data`, logs: `${SAMPLE_DIR}log_data` });
      expect(summary.status).toBe('ok');
      expect(summary.model?.mode).toBe('full');
      // VACUUM records how many pages it marked; nothing has written to staging since.
      const { rows } = await db.query(`SELECT relpages, relallvisible FROM pg_class WHERE relname = 'stg_events'`);
      expect(Number(rows[0].relpages)).toBeGreaterThan(0);
      expect(Number(rows[0].relallvisible)).toBe(Number(rows[0].relpages));
    } finally {
      await db.end();
    }
  });
});
