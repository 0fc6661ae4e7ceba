/** Builds the S3 client from resolved settings (the only place one is created). */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Settings } from '../config.ts';

export function makeS3Client(settings: S3Settings, overrides: Partial<S3ClientConfig> = {}): S3Client {
  const config: S3ClientConfig = {
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    maxAttempts: 5,
    ...overrides,
  };
  if (settings.endpoint) {
    config.endpoint = settings.endpoint;
    // Many S3-compatible servers reject the SDK's default CRC checksums.
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  if (settings.anonymous) {
    // Public buckets: send requests unsigned (aws-sdk-js-v3#2321), like `aws s3 --no-sign-request`.
    config.credentials = { accessKeyId: '', secretAccessKey: '' };
    config.signer = { sign: async (request) => request };
  }
  return new S3Client(config);
}
