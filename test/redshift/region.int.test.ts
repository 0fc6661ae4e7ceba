/**
 * COPY's REGION (DG:copy-parameters-data-source-s3): without it every file a
 * COPY reads must be in the cluster's region; with it, every one in that
 * region. The sources and the staging bucket have regions of their own; the
 * stand-in knows each bucket's region and refuses a COPY that names the wrong
 * one, as S3 would (301 PermanentRedirect).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, runCli, s3Env } from '../support/cli.ts';
import { expectReferenceFigures, REFERENCE_COUNTS } from '../support/reference.ts';
import { redshiftTestBed, type RedshiftTestBed } from './setup.ts';

let bed: RedshiftTestBed;
beforeAll(async () => {
  bed = await redshiftTestBed();
});
afterAll(async () => bed.close());

// The stand-in cluster lives in us-east-1; the sources are in eu-west-1.
const regions = (staging: string) => ({ bucketRegions: { [bed.dataBucket]: 'eu-west-1', [bed.stagingBucket]: staging } });

describe('COPY REGION', () => {
  it('stage mode: sources elsewhere, staging in the cluster\'s region — no REGION', async () => {
    const c = await bed.cluster('region_stage_home', regions('us-east-1'));
    const r = await runCli(['run', ...bed.flags(c.target, 'tmp/region1', 'stage', ['--s3-region', 'eu-west-1', '--staging-region', 'us-east-1', '--cluster-region', 'us-east-1'])], { env: s3Env() });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ status: 'ok', tables: REFERENCE_COUNTS });
    await expectReferenceFigures(c.upstream, 'dwh');
  });

  it('stage mode: staging in another region than the cluster — REGION names it', async () => {
    const c = await bed.cluster('region_stage_away', regions('eu-west-1'));
    const r = await runCli(['run', ...bed.flags(c.target, 'tmp/region2', 'stage', ['--s3-region', 'eu-west-1', '--cluster-region', 'us-east-1'])], { env: s3Env() });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ status: 'ok', tables: REFERENCE_COUNTS });
  });

  it('direct mode: sources and staging in one other region — REGION names it', async () => {
    const c = await bed.cluster('region_direct', regions('eu-west-1'));
    const r = await runCli(['run', ...bed.flags(c.target, 'tmp/region3', 'direct', ['--s3-region', 'eu-west-1', '--cluster-region', 'us-east-1'])], { env: s3Env() });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ status: 'ok', tables: REFERENCE_COUNTS });
  });

  it('direct mode: sources and staging in different regions — refused before anything runs, saying why', async () => {
    const c = await bed.cluster('region_direct_split', regions('us-east-1'));
    const r = await runCli(['run', ...bed.flags(c.target, 'tmp/region4', 'direct', ['--s3-region', 'eu-west-1', '--staging-region', 'us-east-1', '--cluster-region', 'us-east-1'])], { env: s3Env() });
    expect(r.code).toBe(1);
    expect(json(r).error).toMatch(/direct mode: the sources are in eu-west-1 but the staging bucket, which holds each COPY's manifest, is in us-east-1/);
    expect(await c.query(`SELECT COUNT(*)::int AS n FROM dwh.etl_runs`)).toEqual([{ n: 0 }]);
  });
});
