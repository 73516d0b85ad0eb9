import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { EMBED_AUDIENCE } from './protocol.ts';
import { signEmbedToken } from './sign-embed-token.ts';

const secret = 'host-embed-secret-0123456789abcdef';
const key = new TextEncoder().encode(secret);

describe('signEmbedToken (Web Crypto, no dependency)', () => {
  it('mints an HS256 JWT that a standard verifier accepts, with the claims the server reads', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await signEmbedToken({ secret, story: 'retail-overview', params: { tenant_id: 42, region: 'Nord-Est ü' }, permissions: ['view', 'ask'], sub: 'user-7', kid: 'k2', expiresIn: 120 });
    const { payload, protectedHeader } = await jwtVerify(token, key, { algorithms: ['HS256'], audience: EMBED_AUDIENCE });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'k2' });
    expect(payload).toMatchObject({ resource: { story: 'retail-overview' }, params: { tenant_id: 42, region: 'Nord-Est ü' }, permissions: ['view', 'ask'], sub: 'user-7' });
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('leaves out kid and sub when not given, and uses the default permissions', async () => {
    const token = await signEmbedToken({ secret, story: 's' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, key, { audience: EMBED_AUDIENCE });
    expect(payload.sub).toBeUndefined();
    expect(payload.permissions).toEqual(['view', 'drill']);
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it('is refused by a verifier holding another secret', async () => {
    const token = await signEmbedToken({ secret, story: 's' });
    await expect(jwtVerify(token, new TextEncoder().encode('another-secret-0123456789abcdef'))).rejects.toThrow(/signature/);
  });

  it('refuses a lifetime outside 1 s – 24 h', async () => {
    await expect(signEmbedToken({ secret, story: 's', expiresIn: 0 })).rejects.toThrow(RangeError);
    await expect(signEmbedToken({ secret, story: 's', expiresIn: 86_401 })).rejects.toThrow(RangeError);
  });
});
