/**
 * A batch whose read fails in a way that stops the run (here: the source's
 * connection refused) lets the other reads of the batch finish and disposes
 * of their rejects before the error surfaces (STYLE.md §7): no read outlives
 * its unit, and no reject spool is left on disk.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { SparkifyError } from '../../src/common/errors.ts';
import { silentLogger } from '../../src/common/log.ts';
import type { Source, SourceObject } from '../../src/extract/source.ts';
import { stageObjects } from '../../src/stage/index.ts';
import { postgresBackend } from '../../src/stage/postgres-backend.ts';
import { openWarehouse } from '../../src/warehouse/connect.ts';
import { createTables } from '../../src/warehouse/tables.ts';
import { testConfig } from '../support/in-process.ts';
import { createDatabase } from '../support/services.ts';

/** This process's reject spill files (reject-spool.ts names them after the pid). */
const spillFiles = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`sparkify-rejects-${process.pid}-`));

describe('a batch with a read that stops the run', () => {
  it('lets the sibling read finish and disposes of its rejects before the error surfaces', async () => {
    const wh = await openWarehouse(testConfig({ target: await createDatabase('batchfail') }), silentLogger);
    try {
      await createTables(wh);
      const before = spillFiles();
      const first: SourceObject = { dataset: 'songs', key: 'song_data/a.json', size: 100, fingerprint: '"a"' };
      const second: SourceObject = { dataset: 'songs', key: 'song_data/b.json', size: 100, fingerprint: '"b"' };

      let firstReading!: () => void;
      const reading = new Promise<void>((resolve) => (firstReading = resolve));
      let secondFailed!: () => void;
      const failed = new Promise<void>((resolve) => (secondFailed = resolve));
      let spilled = false;
      let firstDone = false;
      // Lines of 60,000 bytes that are not JSON: a reject each, with its raw text, so that 80 of
      // them (4.8 MB) overflow the spool's 4 MiB of memory into a temp file.
      const bad = Buffer.from(`${'x'.repeat(60_000)}\n`);
      async function* firstBody(): AsyncGenerator<Buffer> {
        try {
          yield Buffer.from('{"song_id": "S1", "artist_id": "A1"}\n');
          for (let i = 0; i < 80; i++) yield bad;
          // Read one chunk ahead at most (highWaterMark 1): 79 bad lines are spooled by now.
          spilled = spillFiles().some((f) => !before.includes(f));
          firstReading();
          await failed;
          // The rest comes a turn of the event loop at a time: the read is still going when the other fails.
          for (let i = 0; i < 20; i++) {
            await new Promise((resolve) => setImmediate(resolve));
            yield bad;
          }
        } finally {
          firstDone = true;
        }
      }
      const source: Source = {
        dataset: 'songs',
        description: 'a test source',
        keyPrefix: 'song_data/',
        list: async function* () {},
        async open(o) {
          if (o.key === first.key) return { body: Readable.from(firstBody(), { objectMode: false, highWaterMark: 1 }) };
          await reading;
          secondFailed();
          throw new SparkifyError('CONNECTION', 'injected: the source refused the connection');
        },
      };

      const staged = stageObjects({ objects: [first, second], sourceOf: () => source, backend: postgresBackend(wh, 1), log: silentLogger, unitConcurrency: 1, readConcurrency: 2 });
      await expect(staged).rejects.toMatchObject({ code: 'CONNECTION', message: 'injected: the source refused the connection' });
      expect(spilled).toBe(true);
      expect(firstDone).toBe(true);
      expect(spillFiles().filter((f) => !before.includes(f))).toEqual([]);
      // Nothing was committed: the batch failed as a whole.
      expect((await wh.pool.query('SELECT COUNT(*)::int AS n FROM etl_objects')).rows[0].n).toBe(0);
    } finally {
      await wh.close();
    }
  });
});
