/**
 * Analysts keep working during loads (issue #15, "also prove"): while a first
 * load (a full build, swapped in) and a daily load (an incremental step) run,
 * analysts query every star table — quick counts, and long reads that hold the
 * tables for most of a second — and no quick read waits a second or more.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateSample } from '../src/generate/index.ts';
import { STAR_TABLES } from '../src/common/datasets.ts';
import { createDatabase } from './support/services.ts';
import { json, runCli } from './support/cli.ts';

describe('analysts during loads', () => {
  it('never wait a second for a read of a star table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparkify-analysts-'));
    await generateSample({ outDir: dir, songs: 200, days: 11, users: 100, events: 30_000, seed: 8, startDate: '2018-11-01' });
    const later = join(dir, 'later-day.json');
    renameSync(join(dir, 'log_data', '2018', '11', '2018-11-11-events.json'), later);
    const url = await createDatabase('analysts');
    const args = ['--target', url, '--songs', join(dir, 'song_data'), '--logs', join(dir, 'log_data'), '--json'];
    expect((await runCli(['create-tables', '--target', url])).code).toBe(0);

    let stop = false;
    const waits: number[] = [];
    const quick = async () => {
      const c = new pg.Client({ connectionString: url, application_name: 'analyst-quick' });
      await c.connect();
      for (let i = 0; !stop; i++) {
        const t = performance.now();
        await c.query(`SELECT count(*) FROM ${STAR_TABLES[i % STAR_TABLES.length]}`);
        waits.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 10));
      }
      await c.end();
    };
    // Long reads hold the tables (ACCESS SHARE) for 0.8 s at a time: a swap has to find a gap.
    const slow = async () => {
      const c = new pg.Client({ connectionString: url, application_name: 'analyst-slow' });
      await c.connect();
      while (!stop) {
        await c.query(`SELECT pg_sleep(0.8) FROM (SELECT count(*) FROM songplays JOIN users USING (user_id) JOIN time USING (start_time)) s`);
        await new Promise((r) => setTimeout(r, 300));
      }
      await c.end();
    };
    const analysts = [quick(), quick(), slow()];
    try {
      const full = await runCli(['etl', ...args]);
      expect(full.code, full.stderr).toBe(0);
      expect(json(full).model.mode).toBe('full');
      renameSync(later, join(dir, 'log_data', '2018', '11', '2018-11-11-events.json'));
      const daily = await runCli(['etl', ...args]);
      expect(daily.code, daily.stderr).toBe(0);
      expect(json(daily).model.mode).toBe('incremental');
    } finally {
      stop = true;
      await Promise.all(analysts);
    }
    const analystMaxWaitMs = Math.round(Math.max(...waits));
    console.log(`analysts: ${waits.length} quick reads during a full and an incremental load, longest ${analystMaxWaitMs} ms`);
    expect(waits.length).toBeGreaterThan(50);
    expect(analystMaxWaitMs).toBeLessThan(1000);
  });
});
