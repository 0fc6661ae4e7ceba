/**
 * The real Udacity sample, loaded twice — from a folder and from an S3 bucket
 * through the AWS SDK — into a real Postgres: every SPEC §5 figure, no rejects.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBucket, createDatabase, SAMPLE_DIR, testS3Client, uploadDirectory } from './support/services.ts';
import { json, runCli, s3Env, s3Flags } from './support/cli.ts';
import { expectReferenceFigures, REFERENCE_COUNTS } from './support/reference.ts';

describe('loading the Udacity sample', () => {
  it('from a local folder', async () => {
    const url = await createDatabase('sample_local');
    const r = await runCli(['run', '--target', url, '--songs', `${SAMPLE_DIR}song_data`, '--logs', `${SAMPLE_DIR}log_data`, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = json(r);
    expect(s).toMatchObject({ status: 'ok', objects: { listed: 101, loaded: 101, skipped: 0, failed: 0 }, records: { staged: 8127, rejected: 0 }, tables: REFERENCE_COUNTS });
    await expectReferenceFigures(url);
    // Every check passes; the names logged double-encoded (Björk as "BjÃ\u0083Â¶rk") are a warning.
    expect(s.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(s.checks.filter((c: { warning?: boolean }) => c.warning).map((c: { detail: string }) => c.detail)).toEqual([expect.stringMatching(/^195 distinct names look like UTF-8 decoded twice: /)]);
    // The report says its top-songs charts rest on one matched play, in text and in HTML.
    const text = await runCli(['report', '--target', url]);
    expect(text.stdout).toContain('  * Only 1 of 6820 songplays (0.01%) matched a catalogue song: the top songs and top artists rest on that one play. "Top songs as logged" counts every play.');
    const html = join(mkdtempSync(join(tmpdir(), 'sparkify-report-')), 'r.html');
    expect((await runCli(['report', '--target', url, '--html', html])).code).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('* Only 1 of 6820 songplays (0.01%) matched a catalogue song');

    // Nothing new: a second run stages nothing and changes nothing.
    const again = json(await runCli(['etl', '--target', url, '--songs', `${SAMPLE_DIR}song_data`, '--logs', `${SAMPLE_DIR}log_data`, '--json']));
    expect(again).toMatchObject({ status: 'ok', objects: { loaded: 0, skipped: 101 }, records: { staged: 0 }, model: { mode: 'none' }, tables: REFERENCE_COUNTS });

    // --dry-run says what it would do and does nothing.
    const touched = await runCli(['etl', '--target', url, '--songs', `${SAMPLE_DIR}song_data`, '--logs', `${SAMPLE_DIR}log_data`, '--full-refresh', '--dry-run', '--json']);
    expect(json(touched)).toMatchObject({ status: 'ok', objects: { listed: 101, loaded: 0 }, dryRun: { load: expect.arrayContaining(['log_data/2018/11/2018-11-05-events.json']), prune: [] }, tables: REFERENCE_COUNTS });
    expect(json(touched).dryRun.load).toHaveLength(101);

    // One day, forced: exactly that object is reloaded; the tables end as they were.
    const oneDay = json(await runCli(['etl', '--target', url, '--logs', `${SAMPLE_DIR}log_data`, '--since', '2018-11-05', '--until', '2018-11-05', '--full-refresh', '--json']));
    expect(oneDay).toMatchObject({ status: 'ok', objects: { listed: 30, loaded: 1, skipped: 29 }, records: { staged: 408 }, tables: REFERENCE_COUNTS });

    // A full refresh of the logs alone reloads them and keeps the songs.
    const logsOnly = json(await runCli(['etl', '--target', url, '--logs', `${SAMPLE_DIR}log_data`, '--full-refresh', '--json']));
    expect(logsOnly).toMatchObject({ status: 'ok', objects: { listed: 30, loaded: 30 }, model: { mode: 'full' }, tables: REFERENCE_COUNTS });
    await expectReferenceFigures(url);
  });

  it('from an S3 bucket, in a schema of its own', async () => {
    const url = await createDatabase('sample_s3');
    const s3 = testS3Client();
    const bucket = await createBucket(s3, 'udacity');
    await uploadDirectory(s3, bucket, 'udacity-dend', SAMPLE_DIR);
    s3.destroy();
    const r = await runCli(
      ['run', '--target', url, '--schema', 'dwh', '--songs', `s3://${bucket}/udacity-dend/song_data`, '--logs', `s3://${bucket}/udacity-dend/log_data`, ...s3Flags(), '--json'],
      { env: s3Env() },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ status: 'ok', objects: { listed: 101, loaded: 101 }, records: { staged: 8127, rejected: 0 }, tables: REFERENCE_COUNTS });
    await expectReferenceFigures(url, 'dwh');

    // A public bucket, read without any credentials (like `aws s3 --no-sign-request`).
    const anonymous = await runCli(['run', '--target', url, '--schema', 'anon', '--logs', `s3://${bucket}/udacity-dend/log_data`, ...s3Flags(), '--no-sign-request', '--s3-region', 'us-east-1', '--json']);
    expect(anonymous.code, anonymous.stderr).toBe(0);
    expect(json(anonymous)).toMatchObject({ status: 'ok', records: { staged: 8056 } });
  });
});
