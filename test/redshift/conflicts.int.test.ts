/**
 * Serialization conflicts on Redshift: error 1023, reported as SQLSTATE
 * XX000 (DG:c_serial_isolation). The stand-in runs every transaction
 * serializable and reports Postgres' conflicts that way, and can force one on
 * a chosen statement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { redshift } from '../../src/dialect/redshift.ts';
import { TableNames } from '../../src/dialect/sql.ts';
import { forgetObjects, lockForLoad, recordObjects } from '../../src/ledger/index.ts';
import { json, runCli, s3Env } from '../support/cli.ts';
import { expectReferenceFigures, REFERENCE_COUNTS } from '../support/reference.ts';
import { asPostgresUrl } from '../redshift-standin/test-harness.ts';
import { redshiftTestBed, type RedshiftTestBed } from './setup.ts';

let bed: RedshiftTestBed;
beforeAll(async () => {
  bed = await redshiftTestBed();
});
afterAll(async () => bed.close());

describe('Redshift serialization conflicts', () => {
  it('retries a load transaction that fails with error 1023, and loads everything', async () => {
    const c = await bed.cluster('conflict_retry');
    // The first unit's manifest row conflicts with a concurrent transaction, once.
    c.standin.forceConflict(/INSERT INTO "dwh"\."etl_objects"/);
    const r = await runCli(['run', ...bed.flags(c.target, 'tmp/conflict', 'stage')], { env: s3Env() });
    expect(r.code, r.stderr).toBe(0);
    expect(c.standin.cluster.conflicts.raised).toBe(1);
    expect(r.stderr).toMatch(/1023.*retrying|retrying.*1023/);
    expect(json(r)).toMatchObject({ status: 'ok', objects: { loaded: 101, failed: 0 }, tables: REFERENCE_COUNTS });
    await expectReferenceFigures(c.upstream, 'dwh');
  });

  it('two load transactions side by side conflict unless each takes the tables first, in one order', async () => {
    const c = await bed.cluster('conflict_locks');
    const names = new TableNames('dwh');
    const ctx = { names, dialect: redshift };
    const open = async () => {
      const client = new pg.Client({ connectionString: asPostgresUrl(c.target) });
      await client.connect();
      return client;
    };
    const [a, b] = [await open(), await open()];
    try {
      for (const sql of redshift.createTables(names)) await a.query(sql);
      const object = (key: string) => ({ object: { dataset: 'events' as const, key, size: 1, fingerprint: key }, rows: 0, rejects: 0, format: 'ndjson' });
      const unit = (client: pg.Client, key: string) => ({
        begin: async (lock: boolean) => {
          await client.query('BEGIN');
          if (lock) await lockForLoad(client, ctx);
        },
        forget: () => forgetObjects(client, ctx, 'events', [key]),
        record: () => recordObjects(client, ctx, 1, [object(key)]),
        commit: () => client.query('COMMIT'),
      });
      const [ua, ub] = [unit(a, 'a.json'), unit(b, 'b.json')];

      // Without the locks: both read and write the same tables, and Redshift fails one.
      const settle = async (steps: (() => Promise<unknown>)[]) => {
        try {
          for (const step of steps) await step();
          return undefined;
        } catch (err) {
          return err as pg.DatabaseError;
        }
      };
      await ua.begin(false);
      await ub.begin(false);
      await ua.forget();
      await ub.forget();
      const outcomes = [await settle([ua.record, ua.commit]), await settle([ub.record, ub.commit])];
      await a.query('ROLLBACK').catch(() => undefined);
      await b.query('ROLLBACK').catch(() => undefined);
      const failed = outcomes.filter((e) => e !== undefined);
      expect(failed.map((e) => [e!.code, e!.message])).toEqual([['XX000', '1023']]);
      expect(failed[0]!.detail).toMatch(/^Serializable isolation violation on table/);

      // With them: the second waits for the first, then both commit.
      await a.query('DELETE FROM dwh.etl_objects');
      await ua.begin(true);
      await ua.forget();
      const second = (async () => {
        await ub.begin(true);
        await ub.forget();
        await ub.record();
        await ub.commit();
      })();
      await ua.record();
      await ua.commit();
      await second;
      expect((await a.query('SELECT source_key FROM dwh.etl_objects ORDER BY 1')).rows.map((r) => r.source_key)).toEqual(['a.json', 'b.json']);
    } finally {
      await a.end();
      await b.end();
    }
  });
});
