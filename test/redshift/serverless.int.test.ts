/**
 * Redshift Serverless (no STL views, only SYS), and direct mode's load
 * errors on every flavour: read from SYS_LOAD_ERROR_DETAIL (STL only where
 * SYS is absent), outside the load's transaction, and a record missing a
 * required field is one reject, not a failed batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { asPostgresUrl } from '../redshift-standin/test-harness.ts';
import { json, runCli, s3Env, s3Flags } from '../support/cli.ts';
import { expectReferenceFigures, REFERENCE_COUNTS } from '../support/reference.ts';
import { createBucket } from '../support/services.ts';
import { redshiftTestBed, ROLE, type RedshiftTestBed } from './setup.ts';

let bed: RedshiftTestBed;
beforeAll(async () => {
  bed = await redshiftTestBed();
});
afterAll(async () => bed.close());

describe('Redshift Serverless', () => {
  it('has SYS views and refuses STL ones, as Serverless does', async () => {
    const c = await bed.cluster('serverless_views', { serverless: true });
    const client = new pg.Client({ connectionString: asPostgresUrl(c.target) });
    await client.connect();
    try {
      await expect(client.query('SELECT COUNT(*) FROM stl_load_errors')).rejects.toMatchObject({ code: '42501' });
      expect((await client.query('SELECT COUNT(*)::int AS n FROM sys_load_error_detail')).rows).toEqual([{ n: 0 }]);
      expect((await client.query('SELECT COUNT(*)::int AS n FROM sys_load_history')).rows).toEqual([{ n: 0 }]);
    } finally {
      await client.end();
    }
  });

  for (const mode of ['stage', 'direct'] as const) {
    it(`${mode} mode loads the sample with every reference figure, without STL`, async () => {
      const c = await bed.cluster(`serverless_${mode}`, { serverless: true });
      const r = await runCli(['run', ...bed.flags(c.target, `tmp/sl-${mode}`, mode)], { env: s3Env() });
      expect(r.code, r.stderr).toBe(0);
      expect(json(r)).toMatchObject({ status: 'ok', objects: { listed: 101, loaded: 101, failed: 0 }, records: { staged: 8127, rejected: 0 }, tables: REFERENCE_COUNTS });
      await expectReferenceFigures(c.upstream, 'dwh');
      expect(await bed.stagedKeys(`tmp/sl-${mode}/`)).toEqual([]);
      // COPY ran with STATUPDATE OFF: the run analyzed the staging tables itself.
      expect(await c.query(`SELECT DISTINCT tablename::text AS t FROM pg_stats WHERE schemaname = 'dwh' AND tablename LIKE 'stg%' ORDER BY 1`)).toEqual([{ t: 'stg_events' }, { t: 'stg_songs' }]);
    });
  }
});

describe('direct mode load errors', () => {
  const event = (i: number, over: Record<string, unknown> = {}) =>
    JSON.stringify({ auth: 'Logged In', itemInSession: i, page: 'NextSong', sessionId: 1, ts: 1541105830796 + i, userId: '5', level: 'free', song: `s${i}`, ...over });

  const flavours = { provisioned: {}, Serverless: { serverless: true }, 'a cluster without SYS views': { sysViews: false } };
  for (const [flavour, options] of Object.entries(flavours)) {
    it(`${flavour}: a bad value and a missing required field are one reject each, with object, line, reason and raw text`, async () => {
      const c = await bed.cluster(`direct_errors`, options);
      const bucket = await createBucket(bed.s3, 'direct-errors');
      const key = 'log_data/2018/11/2018-11-01-events.json';
      const missing = JSON.stringify({ auth: 'Logged In', itemInSession: 3, page: 'NextSong', ts: 1541105830799, userId: '5' });
      const lines = [event(0), event(1, { ts: 'soon' }), event(2), missing, event(4)];
      await bed.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: lines.join('\n') }));
      await bed.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'log_data/2018/11/2018-11-02-events.json', Body: event(9, { sessionId: 2 }) }));
      const flags = ['--target', c.target, '--iam-role', ROLE, '--staging-prefix', `s3://${bed.stagingBucket}/tmp/errors`, '--redshift-mode', 'direct', '--logs', `s3://${bucket}/log_data`, ...s3Flags(), '--json'];
      const r = await runCli(['run', ...flags], { env: s3Env() });
      expect(r.code, r.stderr).toBe(3);
      expect(json(r)).toMatchObject({ objects: { loaded: 2, failed: 0 }, records: { staged: 4, rejected: 2 } });
      const rejects = await c.query<{ source_key: string; source_line: number; field: string; reason: string; raw_text: string }>(
        'SELECT source_key, source_line::int AS source_line, field, reason, raw_text FROM etl_rejects ORDER BY source_line',
      );
      expect(rejects).toEqual([
        { source_key: key, source_line: 2, field: 'ts', reason: expect.stringMatching(/^Redshift load error 12\d\d in field "ts": /), raw_text: lines[1] },
        { source_key: key, source_line: 4, field: 'sessionId', reason: expect.stringMatching(/^Redshift load error 1213 in field "sessionId": /), raw_text: expect.stringContaining('"itemInSession":3') },
      ]);
      expect(await c.query('SELECT item_in_session FROM stg_events ORDER BY 1')).toEqual([0, 2, 4, 9].map((n) => ({ item_in_session: n })));
    });
  }
});
