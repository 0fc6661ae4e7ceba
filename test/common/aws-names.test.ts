/** AWS names: one rule each, shared by config, the source URLs, the staging prefix and the COPY statements. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isBucketName, isRegion, validateRegion } from '../../src/common/aws-names.ts';
import { ConfigError } from '../../src/common/errors.ts';
import { copyCsvManifest, validateS3Url } from '../../src/dialect/redshift-copy.ts';
import { parseSourceUrl } from '../../src/extract/source-url.ts';
import { parseStagingPrefix } from '../../src/stage/s3-staging.ts';

const ROLE = 'arn:aws:iam::123456789012:role/dwhRole';
const REGIONS = ['us-west-2', 'eu-central-1', 'us-gov-west-1', 'cn-north-1', 'ap-southeast-5', 'il-central-1'];
const NOT_REGIONS = ['auto', 'Oregon', 'US-WEST-2', 'us-west', 'uswest-2', "us-west-2' --", 'us-west-2\n', ''];
const BUCKETS = ['udacity-dend', 'a1b', 'my.bucket.name', 'x'.repeat(63)];
const NOT_BUCKETS = ['Bad_Bucket', 'ab', 'x'.repeat(64), '-lead', 'trail-', 'with space', "quo'te", 'UPPER'];

describe('AWS regions', () => {
  it('are region codes, and nothing else', () => {
    for (const r of REGIONS) expect(isRegion(r), r).toBe(true);
    for (const r of NOT_REGIONS) expect(isRegion(r), r).toBe(false);
  });

  it('are refused with a ConfigError naming the setting', () => {
    expect(validateRegion('eu-west-1', '--s3-region: S3 region')).toBe('eu-west-1');
    let caught: unknown;
    try {
      validateRegion('auto', '--s3-region: S3 region');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).code).toBe('CONFIG');
    expect((caught as ConfigError).message).toBe('--s3-region: S3 region must look like us-west-2, got "auto"');
  });

  it('that config accepts, COPY takes; that config refuses, COPY refuses', () => {
    const copy = (region: string) => () => copyCsvManifest({ table: 't', columns: ['a'], manifestUrl: 's3://staging/run/rows.manifest', iamRole: ROLE, region });
    for (const r of REGIONS) expect(copy(r)()).toContain(`\nREGION '${r}'`);
    for (const r of NOT_REGIONS.filter(Boolean)) expect(copy(r), r).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });
});

describe('S3 bucket names', () => {
  it('follow the S3 naming rules', () => {
    for (const b of BUCKETS) expect(isBucketName(b), b).toBe(true);
    for (const b of NOT_BUCKETS) expect(isBucketName(b), b).toBe(false);
  });

  it('are judged alike in a source URL, the staging prefix and a COPY URL', () => {
    const verdicts = (bucket: string) => {
      const ok = (f: () => unknown) => {
        try {
          f();
          return true;
        } catch (err) {
          expect(['USAGE', 'CONFIG']).toContain((err as ConfigError).code);
          return false;
        }
      };
      return [ok(() => parseSourceUrl(`s3://${bucket}/log_data`)), ok(() => parseStagingPrefix(`s3://${bucket}/tmp`)), ok(() => validateS3Url(`s3://${bucket}/key`, 'manifest'))];
    };
    for (const b of [...BUCKETS, ...NOT_BUCKETS.filter((b) => !b.includes('/'))]) expect(verdicts(b), b).toEqual([isBucketName(b), isBucketName(b), isBucketName(b)]);
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9._ -]{1,70}$/), (b) => {
        const v = isBucketName(b);
        expect(verdicts(b)).toEqual([v, v, v]);
      }),
    );
  });
});
