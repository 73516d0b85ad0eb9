/**
 * Runs in Node inside the web-test-runner process: a real InsightEngine server
 * (in-memory store, small seeded demo warehouse) on a free port, and a token
 * minter, so component tests render real data over real HTTP.
 */
import { readFile } from 'node:fs/promises';
import { serve } from '@hono/node-server';
import { SignJWT } from 'jose';
import { createTestServer, TEST_EMBED_SECRET, type TestServer } from '../../server/testing/test-services.ts';
import { startOutageProxy } from './outage-proxy.ts';
import { startTestModelServer } from './test-model-server.ts';

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
  // A second story for component tests (`story: 'component-lab'`): a filter on the locked tenant column, unsafe markdown.
  const lab: unknown = JSON.parse(await readFile(new URL('./lab.story.json', import.meta.url), 'utf8'));
  await test.services.stories.importStory(test.services.defaultOrgId, lab);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: test.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  // A second server whose AI engine is the local test model (see test-model-server.ts); it is
  // built on its first request, so runs without AI tests do not pay for it. Same embed secret
  // and demo story, so the tokens below work on both.
  // The test model always answers: its 30 s time box is there so a busy machine never turns
  // an answer into a timeout fallback.
  const model = await startTestModelServer();
  let aiTest: Promise<TestServer> | undefined;
  const aiApp = () =>
    (aiTest ??= createTestServer({ allowedOrigins: ['*'], openai: { apiKey: 'test-model-key', baseUrl: model.url, model: 'test-model', timeoutMs: 30_000 } }));
  const aiServer = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: async (request) => (await aiApp()).app.fetch(request), port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const aiAddress = aiServer.address();
  const aiUrl = `http://127.0.0.1:${typeof aiAddress === 'object' && aiAddress ? aiAddress.port : 0}`;
  // The same server behind a proxy that tests take down and bring back (see outage-proxy.ts).
  const outage = await startOutageProxy(url);
  return {
    describe: () => ({ server: url, aiServer: aiUrl, outageServer: outage.url }),
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
      await outage.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await test.close();
      await new Promise<void>((resolve) => aiServer.close(() => resolve()));
      if (aiTest) await (await aiTest).close();
      await model.close();
    },
  };
}
