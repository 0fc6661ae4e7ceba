/**
 * A batch whose commit fails transiently — here the worst way: the COMMIT
 * went through but its answer was lost — is committed again with everything
 * it held, rejects included, and nothing is doubled.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '../support/services.ts';
import { testConfig } from '../support/in-process.ts';
import { openWarehouse } from '../../src/warehouse/connect.ts';
import { createTables } from '../../src/warehouse/tables.ts';
import { runEtl } from '../../src/run/etl.ts';
import { silentLogger } from '../../src/common/log.ts';
import { postgresBackend } from '../../src/stage/postgres-backend.ts';
import { WarehouseError } from '../../src/common/errors.ts';

describe('a retried batch commit', () => {
  it('keeps the rows and the rejects of the first attempt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparkify-retry-'));
    mkdirSync(join(dir, 'song_data'));
    for (let i = 0; i < 5; i++) {
      const song = { num_songs: 1, artist_id: `AR${i}`, song_id: i === 3 ? null : `SO${i}`, title: `T${i}`, duration: 1, year: 0 };
      writeFileSync(join(dir, 'song_data', `TR${i}.json`), JSON.stringify(song));
    }
    writeFileSync(join(dir, 'song_data', 'TRbad.json'), '{"song_id": ');
    const config = testConfig({ target: await createDatabase('retrycommit'), songs: join(dir, 'song_data'), maxErrors: '10', retries: '3' });
    const wh = await openWarehouse(config, silentLogger);
    try {
      await createTables(wh);
      let calls = 0;
      const summary = await runEtl(wh, config, 'etl', {
        log: silentLogger,
        backend: (w, runId, _s3, neverLoaded) => {
          const real = postgresBackend(w, runId, neverLoaded);
          return {
            ...real,
            async commitBatch(items) {
              calls++;
              if (calls === 1) {
                // The commit goes through, but the answer is lost: the retry must neither double nor lose anything.
                await real.commitBatch(items);
                throw new WarehouseError('CONNECTION', 'connection lost after COMMIT (injected)', { retryable: true });
              }
              return real.commitBatch(items);
            },
          };
        },
      });
      expect(calls).toBe(2);
      expect(summary.records).toEqual({ staged: 4, rejected: 2 });
      const { rows } = await wh.pool.query(`SELECT (SELECT COUNT(*) FROM stg_songs)::int AS staged, (SELECT COUNT(*) FROM etl_rejects)::int AS rejects, (SELECT SUM(rejects) FROM etl_objects)::int AS recorded`);
      expect(rows[0]).toEqual({ staged: 4, rejects: 2, recorded: 2 });
    } finally {
      await wh.close();
    }
  });
});
