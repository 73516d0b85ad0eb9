import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInsightError } from '../errors/insight-error.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';
import { verifyEmbedToken } from './verify-embed-token.ts';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});
afterAll(async () => {
  await server?.close();
});

const codeOf = (promise: Promise<unknown>) => promise.then(() => 'accepted', (e: unknown) => (isInsightError(e) ? e.code : String(e)));

describe('verifyEmbedToken on repeat requests', () => {
  it('still refuses a token once it expires, after it was accepted', async () => {
    const token = await server.token({ expiresIn: 60 });
    const viewer = await verifyEmbedToken(token, server.services.keys);
    expect(viewer.params).toEqual({ tenant_id: 1 });
    expect(Object.isFrozen(viewer)).toBe(true);
    expect(await codeOf(verifyEmbedToken(token, server.services.keys, Date.now() + 120_000))).toBe('ERR_TOKEN_EXPIRED');
  });

  it('refuses an accepted token once its key is revoked', async () => {
    const token = await server.token();
    expect(await codeOf(verifyEmbedToken(token, server.services.keys))).toBe('accepted');
    const db = server.services.store.db;
    await db.updateTable('embed_keys').set({ revoked_at: new Date() }).where('id', '=', 'default').execute();
    server.services.keys.forget();
    try {
      expect(await codeOf(verifyEmbedToken(token, server.services.keys))).toBe('ERR_TOKEN_KEY_UNKNOWN');
    } finally {
      await db.updateTable('embed_keys').set({ revoked_at: null }).where('id', '=', 'default').execute();
      server.services.keys.forget();
    }
    expect(await codeOf(verifyEmbedToken(token, server.services.keys))).toBe('accepted');
  });
});
