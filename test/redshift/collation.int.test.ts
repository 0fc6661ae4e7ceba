/**
 * A Redshift database created COLLATE CASE_INSENSITIVE compares every string
 * that way (DG:r_CREATE_DATABASE): 'Song' = 'song'. The loader's rules are
 * case-exact, so it refuses such a database at connect instead of building a
 * different star schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { runCli, s3Env } from '../support/cli.ts';
import { asPostgresUrl } from '../redshift-standin/test-harness.ts';
import { redshiftTestBed, type RedshiftTestBed } from './setup.ts';

let bed: RedshiftTestBed;
beforeAll(async () => {
  bed = await redshiftTestBed(false);
});
afterAll(async () => bed.close());

describe('case-insensitive Redshift databases', () => {
  it('the stand-in compares case-insensitively when asked, as such a database does', async () => {
    const c = await bed.cluster('collation_ci', { caseInsensitive: true });
    const client = new pg.Client({ connectionString: asPostgresUrl(c.target) });
    await client.connect();
    try {
      await client.query('CREATE TABLE t (v VARCHAR(10))');
      await client.query(`INSERT INTO t VALUES ('Song'), ('song'), ('SONG '), ('other')`);
      expect((await client.query('SELECT db_collation() AS c')).rows).toEqual([{ c: 'case_insensitive' }]);
      expect((await client.query('SELECT COUNT(DISTINCT v)::int AS n FROM t')).rows).toEqual([{ n: 2 }]);
      expect((await client.query(`SELECT COUNT(*)::int AS n FROM t WHERE v = 'SONG'`)).rows).toEqual([{ n: 3 }]);
    } finally {
      await client.end();
    }
  });

  it('refuses to load into one, saying why, before touching anything', async () => {
    const c = await bed.cluster('collation_refused', { caseInsensitive: true });
    const r = await runCli(['create-tables', '--target', c.target, '--schema', 'dwh'], { env: s3Env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is a case-insensitive database \(COLLATE CASE_INSENSITIVE\).*case_sensitive/s);
    expect(await c.query(`SELECT 1 FROM information_schema.schemata WHERE schema_name = 'dwh'`)).toEqual([]);
  });
});
