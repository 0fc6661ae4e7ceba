import { describe, expect, it } from 'vitest';
import { copyRegion } from '../../src/dialect/redshift-copy.ts';

describe('COPY … REGION', () => {
  it('is named only where the files are not in the cluster\'s region (DG:copy-parameters-data-source-s3)', () => {
    expect(copyRegion('us-west-2', 'us-west-2')).toBeUndefined();
    expect(copyRegion('eu-west-1', 'us-west-2')).toBe('eu-west-1');
    // The cluster's region unknown (a custom host): naming the bucket's is the safe choice.
    expect(copyRegion('eu-west-1', undefined)).toBe('eu-west-1');
    // A bucket of unknown region is taken to be in the cluster's.
    expect(copyRegion(undefined, 'us-west-2')).toBeUndefined();
  });
});
