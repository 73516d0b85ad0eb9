/**
 * The cached-card baseline: bare Hono that verifies the embed token with jose
 * (HS256, the audience, the clock tolerance, as the product does) and answers
 * the given bytes. Served over HTTP by bench/bare-server.ts, called in process
 * by the in-process figure of bench/cached-card-data.ts.
 */
import { Hono } from 'hono';
import { jwtVerify } from 'jose';
import { TEST_EMBED_SECRET } from '../server/testing/test-services.ts';

export async function bareCardApp(bytes: Uint8Array<ArrayBuffer>): Promise<Hono> {
  const secret = await crypto.subtle.importKey('raw', new TextEncoder().encode(TEST_EMBED_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const app = new Hono();
  app.post('/api/embed/cards/:cardId/data', async (c) => {
    const header = c.req.header('authorization') ?? '';
    await jwtVerify(header.slice(7), secret, { algorithms: ['HS256'], audience: 'insight-embed', clockTolerance: 30 });
    await c.req.text();
    return c.body(bytes, 200, { 'content-type': 'application/json' });
  });
  return app;
}
