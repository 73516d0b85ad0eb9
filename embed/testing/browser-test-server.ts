/**
 * Runs in Node inside the web-test-runner process: a real InsightEngine server
 * (in-memory store, small seeded demo warehouse) on a free port, and a token
 * minter, so component tests render real data over real HTTP.
 */
import { serve } from '@hono/node-server';
import { SignJWT } from 'jose';
import { createTestServer, TEST_EMBED_SECRET } from '../../server/testing/test-services.ts';

/** A correctly signed token that expired two minutes ago (past the server's clock tolerance). */
function expiredToken(story: string, tenant: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ resource: { story }, params: { tenant_id: tenant }, permissions: ['view', 'drill'] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setAudience('insight-embed')
    .setIssuedAt(now - 720)
    .setExpirationTime(now - 120)
    .sign(new TextEncoder().encode(TEST_EMBED_SECRET));
}

export async function startBrowserTestServer() {
  const test = await createTestServer({ allowedOrigins: ['*'] });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: test.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    describe: () => ({ server: url }),
    /** `tenant` (default 1), `story` (default retail-overview), `expiresIn` seconds, `expired=true`. */
    token: (query: Record<string, string>) =>
      query['expired'] === 'true'
        ? expiredToken(query['story'] ?? 'retail-overview', Number(query['tenant'] ?? 1))
        : test.token({
            story: query['story'] ?? 'retail-overview',
            params: query['tenant'] === 'none' ? {} : { tenant_id: Number(query['tenant'] ?? 1) },
            ...(query['expiresIn'] ? { expiresIn: Number(query['expiresIn']) } : {}),
            ...(query['permissions'] ? { permissions: query['permissions'].split(',') as never } : {}),
          }),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await test.close();
    },
  };
}
