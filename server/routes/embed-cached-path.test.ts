/**
 * A cached card request verifies the token, finds the story and card in
 * memory, computes the cache key and reads the cache: it runs no statement
 * in the platform store, however long after the warm-up it comes (nothing
 * there expires by time), and not for a viewer's first request either (the
 * first-use audit is written after the response). Revocation still takes
 * effect at once. Every statement the store runs is counted through the
 * store's own query hook.
 */
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StoryView } from '@insight-engine/sdk/protocol';
import { adminClient, TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';

let server: TestServer;
let cardPath: string;
const statements: string[] = [];

/** Statements of the request path: the query history is written in batches after responses, a second later. */
const onRequestPath = () => statements.filter((sql) => !/^insert into "query_history"/i.test(sql));

const cardData = (token: string) =>
  server.app.request(cardPath, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ filters: { region: 'West' } }) });

/** Lets every background write started so far finish, so the count that follows is the request's alone. */
async function settle() {
  await server.services.history.flush();
  await server.services.audit.flush();
}

beforeAll(async () => {
  server = await createTestServer({}, { onStoreQuery: (sql) => statements.push(sql) });
  const warm = await server.token({ sub: 'warm-up', expiresIn: 3600 });
  const story = (await (await server.app.request('/api/embed/story', { headers: { authorization: `Bearer ${warm}` } })).json()) as StoryView;
  const card = story.pages.flatMap((p) => p.cards).find((c) => c.key === 'revenue-by-month');
  cardPath = `/api/embed/cards/${card?.id}/data`;
  expect((await cardData(warm)).status).toBe(200);
  await settle();
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await server?.close();
});

describe('a cached card request', () => {
  it('runs no statement in the platform store, also minutes after the warm-up', async () => {
    const token = await server.token({ sub: 'viewer-1', expiresIn: 3600 });
    expect((await cardData(token)).status).toBe(200);
    await settle();
    // Past every lifetime the store's values once had in memory (settings 5 s, stories and datasets 10 s, keys 30 s).
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 120_000);
    statements.length = 0;
    const res = await cardData(token);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { fromCache: boolean }).fromCache).toBe(true);
    expect(onRequestPath()).toEqual([]);
  });

  it('runs none for a viewer’s first request either, and audits that first use afterwards', async () => {
    const token = await server.token({ sub: 'viewer-2', expiresIn: 3600 });
    statements.length = 0;
    const res = await cardData(token);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { fromCache: boolean }).fromCache).toBe(true);
    expect(onRequestPath()).toEqual([]);

    await server.services.audit.flush();
    const audit = await server.services.audit.list(server.services.defaultOrgId, { action: 'embed.token.first_use', limit: 100 });
    expect(audit.items.filter((e) => (e.after as { sub?: string }).sub === 'viewer-2')).toHaveLength(1);
  });

  it('still refuses a token at once when it is revoked', async () => {
    const token = await server.token({ sub: 'viewer-3', expiresIn: 3600 });
    const { jti, exp } = decodeJwt(token);
    expect((await cardData(token)).status).toBe(200);
    const api = adminClient(server.app, TEST_ADMIN_KEY);
    expect((await api('POST', '/api/embed-keys/revoked-tokens', { jti, exp })).status).toBe(201);
    const res = await cardData(token);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('ERR_TOKEN_REVOKED');
  });
});
