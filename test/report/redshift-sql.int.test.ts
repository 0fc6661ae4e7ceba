/**
 * The report's SQL files and the checks' SQL through the Redshift stand-in
 * (test/redshift-standin): nothing is refused as Postgres-only, and the answers
 * equal those read from Postgres directly.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../src/check/index.ts';
import { dialectFor, TableNames } from '../../src/dialect/index.ts';
import { runReport } from '../../src/report/index.ts';
import type { Warehouse } from '../../src/warehouse/connect.ts';
import { asPostgresUrl, startHarness, type Harness } from '../redshift-standin/test-harness.ts';
import { etl, withWarehouse } from '../support/in-process.ts';
import { writeHandmade } from './handmade.ts';

const SCHEMA = 'mart';
const fixedClock = () => new Date('2020-01-01T00:00:00Z');

describe('report and check SQL on the Redshift stand-in', () => {
  let h: Harness;
  let pool: pg.Pool;
  let wh: Warehouse;
  beforeAll(async () => {
    h = await startHarness('report_standin');
    // Loaded into the upstream Postgres directly; only the reading goes through the stand-in.
    expect((await etl({ target: h.upstreamUrl, schema: SCHEMA, ...(await writeHandmade()) })).status).toBe('ok');
    pool = new pg.Pool({ connectionString: asPostgresUrl(h.standin.url()), max: 2 });
    // What openWarehouse gives for a redshift:// target, minus the connection checks.
    wh = { pool, names: new TableNames(SCHEMA), dialect: dialectFor('redshift'), description: 'stand-in', close: async () => undefined };
  });
  afterAll(async () => {
    await pool?.end();
    await h?.close();
  });

  it('runs every report query, with search_path set and reset, and gives the Postgres answers', async () => {
    // Through the stand-in indeed: it reports Redshift and refuses Postgres-only SQL.
    expect((await pool.query('SELECT version() AS v')).rows[0].v).toContain('Redshift');
    await expect(pool.query('SELECT DISTINCT ON (1) 1')).rejects.toThrow('SELECT DISTINCT ON is not supported');
    const viaStandin = await runReport(wh, { now: fixedClock });
    const direct = await withWarehouse({ target: h.upstreamUrl, schema: SCHEMA }, (w) => runReport(w, { now: fixedClock }));
    expect(viaStandin).toEqual(direct);
    expect(viaStandin.overview.songplays).toBe(6);
  });

  it('runs every check and they pass', async () => {
    const results = await runChecks(wh);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.find((r) => r.name === 'staging reconciles with songplays')?.detail).toBe('6 NextSong events with a user id in stg_events (winning copies), 6 songplays');
  });
});
