import { describe, expect, it } from 'vitest';
import { CredentialsCache, type TemporaryCredentials } from '../../src/warehouse/iam-credentials.ts';

describe('CredentialsCache', () => {
  it('reuses credentials until a quarter of their lifetime (at most 5 minutes) is left, then fetches new ones', async () => {
    let now = 0;
    let n = 0;
    const fetch = async (): Promise<TemporaryCredentials> => ({ user: 'IAM:u', password: `p${++n}`, expiration: new Date(now + 3600_000) });
    const cache = new CredentialsCache(fetch, () => now);
    expect((await cache.get()).password).toBe('p1');
    now = 3600_000 - 5 * 60_000 - 1;
    expect((await cache.get()).password).toBe('p1');
    now += 1;
    expect((await cache.get()).password).toBe('p2');
    // Short-lived credentials: a quarter of their lifetime.
    const short = new CredentialsCache(async () => ({ user: 'u', password: `s${++n}`, expiration: new Date(now + 1000) }), () => now);
    const first = (await short.get()).password;
    now += 749;
    expect((await short.get()).password).toBe(first);
    now += 1;
    expect((await short.get()).password).not.toBe(first);
  });

  it('refreshes at the suggested refresh time, and shares one fetch between concurrent callers', async () => {
    let now = 0;
    let calls = 0;
    const cache = new CredentialsCache(async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      return { user: 'u', password: `p${calls}`, expiration: new Date(now + 3600_000), nextRefresh: new Date(now + 60_000) };
    }, () => now);
    expect(new Set((await Promise.all([cache.get(), cache.get(), cache.get()])).map((c) => c.password))).toEqual(new Set(['p1']));
    expect(calls).toBe(1);
    now = 60_000;
    expect((await cache.get()).password).toBe('p2');
  });
});
