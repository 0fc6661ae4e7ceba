/**
 * The S3 client's SHA-256 (src/extract/sha256.ts) gives the bytes the SDK's
 * own gives, for any data and any secret, as string or bytes, with the
 * HMAC keys it keeps reused across many secrets.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Sha256 as SdkSha256 } from '@smithy/core/checksum';
import { Sha256 } from '../../src/extract/sha256.ts';

const source = fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 200 }));

async function digestOf(Ctor: new (secret?: string | Uint8Array) => { update(d: string | Uint8Array): void; digest(): Promise<Uint8Array> }, secret: string | Uint8Array | undefined, parts: (string | Uint8Array)[]): Promise<string> {
  const h = new Ctor(secret);
  for (const p of parts) h.update(p);
  return Buffer.from(await h.digest()).toString('hex');
}

describe('the S3 client sha256', () => {
  it('hashes and HMACs as the SDK does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(source, { nil: undefined }), fc.array(source, { maxLength: 4 }), async (secret, parts) => {
        // Twice: the second time the HMAC key is the one kept from the first.
        for (let i = 0; i < 2; i++) expect(await digestOf(Sha256, secret, parts)).toBe(await digestOf(SdkSha256, secret, parts));
      }),
      { numRuns: 300 },
    );
  });

  it('a plain hash can be read and fed more; an HMAC is done once read', async () => {
    const ours = new Sha256();
    const theirs = new SdkSha256();
    const bytes = (t: string) => new TextEncoder().encode(t);
    for (const h of [ours, theirs]) h.update(bytes('abc'));
    expect(Buffer.from(await ours.digest())).toEqual(Buffer.from(await theirs.digest()));
    for (const h of [ours, theirs]) h.update(bytes('def'));
    expect(Buffer.from(await ours.digest())).toEqual(Buffer.from(await theirs.digest()));
    const hmac = new Sha256('key');
    hmac.update('x');
    await hmac.digest();
    expect(() => hmac.update('y')).toThrow(/finished/);
    hmac.reset();
    hmac.update('x');
    expect(Buffer.from(await hmac.digest()).toString('hex')).toBe(await digestOf(SdkSha256, 'key', ['x']));
  });

  it('keeps many keys apart', async () => {
    for (let k = 0; k < 100; k++) expect(await digestOf(Sha256, `secret ${k}`, ['data'])).toBe(await digestOf(SdkSha256, `secret ${k}`, ['data']));
  });
});
