import { serve } from '@hono/node-server';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, TEST_EMBED_SECRET, type TestServer } from '../server/testing/test-services.ts';
import { createInsightClient, InsightApiError, refreshDelayMs, tokenExpiry } from './client.ts';
import { signEmbedToken } from './sign-embed-token.ts';

describe('refreshDelayMs', () => {
  it('refreshes at 80% of a long life, and a minute before expiry for short ones', () => {
    const now = 1_000_000_000_000;
    const exp = (secondsAhead: number) => now / 1000 + secondsAhead;
    expect(refreshDelayMs(exp(600), now)).toBe(480_000);
    expect(refreshDelayMs(exp(3600), now)).toBe(2_880_000);
    expect(refreshDelayMs(exp(90), now)).toBe(30_000);
    expect(refreshDelayMs(exp(30), now)).toBe(0);
    expect(refreshDelayMs(exp(-10), now)).toBe(0);
  });
});

describe('signEmbedToken', () => {
  it('mints the documented claims', async () => {
    const token = await signEmbedToken({ secret: 'x'.repeat(32), story: 's', params: { tenant_id: 7 }, sub: 'u1', expiresIn: 120 });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ resource: { story: 's' }, params: { tenant_id: 7 }, permissions: ['view', 'drill'], aud: 'insight-embed', sub: 'u1' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(120);
    expect(tokenExpiry(token)).toBe(claims.exp);
  });

  it('refuses lifetimes over 24 hours', async () => {
    await expect(signEmbedToken({ secret: 'x'.repeat(32), story: 's', expiresIn: 86_401 })).rejects.toThrow(RangeError);
  });
});

describe('InsightClient against a real server', () => {
  let test: TestServer;
  let server: ReturnType<typeof serve>;
  let url: string;

  beforeAll(async () => {
    test = await createTestServer();
    server = await new Promise((resolve) => {
      const s = serve({ fetch: test.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await test.close();
  });

  it('loads the story and a card', async () => {
    const client = createInsightClient({ server: url + '/', token: await test.token() });
    const story = await client.story();
    const card = story.pages[0]?.cards.find((c) => c.key === 'total-revenue');
    const data = await client.cardData(card?.id as string, { region: 'West' });
    expect(data.columns[0]?.name).toBe('revenue');
    expect(typeof data.rows[0]?.[0]).toBe('number');
  });

  it('surfaces problems as InsightApiError with the stable code', async () => {
    const client = createInsightClient({ server: url, token: 'not-a-token' });
    const error = await client.story().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsightApiError);
    expect((error as InsightApiError).code).toBe('ERR_TOKEN_INVALID');
    expect((error as InsightApiError).status).toBe(401);
  });

  it('asks the tokenProvider again when the server says the token expired', async () => {
    // Well past exp and the server's clock tolerance.
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ resource: { story: 'retail-overview' }, params: { tenant_id: 1 } })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience('insight-embed')
      .setIssuedAt(now - 600)
      .setExpirationTime(now - 120)
      .sign(new TextEncoder().encode(TEST_EMBED_SECRET));
    let calls = 0;
    const client = createInsightClient({
      server: url,
      token: expired,
      tokenProvider: async () => {
        calls += 1;
        return test.token();
      },
    });
    expect((await client.story()).slug).toBe('retail-overview');
    expect(calls).toBe(1);
  });
});
