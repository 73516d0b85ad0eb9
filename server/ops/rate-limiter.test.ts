import { describe, expect, it } from 'vitest';
import { adminBucket, embedBucket } from './rate-limit.ts';
import { createRateLimiter } from './rate-limiter.ts';

const jwt = (header: object, claims: object) =>
  [header, claims].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.signature';

describe('createRateLimiter in process', () => {
  it('lets `limit` requests through per window and key, then resets with the window', async () => {
    let now = 1_000_000;
    const limiter = createRateLimiter({ windowMs: 10_000, now: () => now });
    expect(limiter.kind).toBe('memory');
    const first = await limiter.hit('a', 2);
    expect(first).toEqual({ allowed: true, limit: 2, remaining: 1, resetMs: 10_000 });
    expect((await limiter.hit('a', 2)).allowed).toBe(true);
    now += 4_000;
    expect(await limiter.hit('a', 2)).toEqual({ allowed: false, limit: 2, remaining: 0, resetMs: 6_000 });
    expect((await limiter.hit('b', 2)).allowed).toBe(true);
    now += 6_000;
    expect((await limiter.hit('a', 2)).allowed).toBe(true);
  });
});

describe('buckets', () => {
  it('counts an embed viewer by key id and sub, or by the token without a sub', () => {
    const a = jwt({ alg: 'HS256', kid: 'k1' }, { sub: 'host-user-1', params: { tenant_id: 1 } });
    const sameViewer = jwt({ alg: 'HS256', kid: 'k1' }, { sub: 'host-user-1', params: { tenant_id: 2 } });
    const otherOrgKey = jwt({ alg: 'HS256', kid: 'k2' }, { sub: 'host-user-1' });
    expect(embedBucket(a)).toBe(embedBucket(sameViewer));
    expect(embedBucket(a)).not.toBe(embedBucket(otherOrgKey));
    const anonymous = jwt({ alg: 'HS256' }, { params: {} });
    expect(embedBucket(anonymous)).toMatch(/^embed:tok:/);
    expect(embedBucket('not-a-token')).toMatch(/^embed:tok:/);
    // Never the token or the sub in the key.
    expect(embedBucket(a)).not.toContain('host-user-1');
  });

  it('counts a user session by its session id across access tokens, an API key by its hash', () => {
    const t1 = jwt({ alg: 'HS256' }, { sub: 'u1', sid: 'session-1', exp: 1 });
    const t2 = jwt({ alg: 'HS256' }, { sub: 'u1', sid: 'session-1', exp: 2 });
    expect(adminBucket(t1)).toBe(adminBucket(t2));
    expect(adminBucket(t1)).toMatch(/^admin:session:/);
    expect(adminBucket('ik_abcdefghijklmnop')).toMatch(/^admin:key:/);
    expect(adminBucket('ik_abcdefghijklmnop')).not.toContain('ik_');
  });
});
