import { readFile } from 'node:fs/promises';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoryView } from '@insight-engine/sdk/protocol';
import { DEFAULT_EMBED_KEY_ID } from '../../bootstrap/ensure-default-org.ts';
import { DEMO_STORY_FILE } from '../../demo-content/provision-demo.ts';
import { adminClient, addApiKey, createOrg, TEST_ADMIN_KEY } from '../../testing/admin-fixtures.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

let server: TestServer;
let api: ReturnType<typeof adminClient>;

const embed = (token: string, path: string, init: RequestInit = {}) =>
  server.app.request(path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });

const setMaxTtl = async (seconds: number) => {
  await server.services.store.db.updateTable('embed_keys').set({ max_ttl_seconds: seconds }).where('id', '=', DEFAULT_EMBED_KEY_ID).execute();
  server.services.keys.forget();
};

beforeAll(async () => {
  server = await createTestServer();
  api = adminClient(server.app, TEST_ADMIN_KEY);
});

afterAll(async () => {
  await server?.close();
});

describe('POST /api/embed/tokens', () => {
  it('mints a token with the primary key that opens the story on the embed API', async () => {
    const res = await api('POST', '/api/embed/tokens', { story: 'retail-overview', params: { tenant_id: 2 }, sub: 'host-user-9', permissions: ['view', 'drill', 'export'] });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ token: expect.any(String), expiresAt: expect.any(Number), kid: DEFAULT_EMBED_KEY_ID });
    expect(decodeProtectedHeader(res.json.token)).toMatchObject({ alg: 'HS256', kid: DEFAULT_EMBED_KEY_ID });
    const claims = decodeJwt(res.json.token);
    expect(claims).toMatchObject({ aud: 'insight-embed', sub: 'host-user-9', params: { tenant_id: 2 }, resource: { story: 'retail-overview' }, permissions: ['view', 'drill', 'export'] });
    expect(claims.exp).toBe(res.json.expiresAt);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);

    const story = await embed(res.json.token, '/api/embed/story');
    expect(story.status).toBe(200);
    const view = (await story.json()) as StoryView;
    expect(view).toMatchObject({ slug: 'retail-overview', expiresAt: res.json.expiresAt, permissions: ['view', 'drill', 'export'] });
  });

  it('records the embed viewer as the actor of the queries its token runs', async () => {
    const { json } = await api('POST', '/api/embed/tokens', { story: 'retail-overview', params: { tenant_id: 1 }, sub: 'host-user-77' });
    const view = (await (await embed(json.token, '/api/embed/story')).json()) as StoryView;
    const card = view.pages[0]?.cards[0];
    expect((await embed(json.token, `/api/embed/cards/${card?.id}/data`, { method: 'POST', body: '{}' })).status).toBe(200);
    const filter = view.filters.find((f) => f.name === 'region');
    expect((await embed(json.token, `/api/embed/filters/${filter?.id}/values`)).status).toBe(200);

    await server.services.history.flush();
    const history = await api('GET', '/api/queries/history?limit=2');
    expect(history.json.items).toEqual([
      expect.objectContaining({ actor: { type: 'embed', id: 'host-user-77' }, datasetName: 'sales', status: 'ok' }),
      expect.objectContaining({ actor: { type: 'embed', id: 'host-user-77' }, datasetName: 'sales', status: 'ok' }),
    ]);
  });

  it('caps the lifetime at the key\'s max_ttl_seconds, and the capped token verifies', async () => {
    await setMaxTtl(300);
    try {
      const res = await api('POST', '/api/embed/tokens', { story: 'retail-overview', params: { tenant_id: 1 }, expiresIn: 3600 });
      expect(res.status).toBe(200);
      const { exp = 0, iat = 0 } = decodeJwt(res.json.token);
      expect(exp - iat).toBeLessThanOrEqual(300);
      expect(res.json.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 300);
      expect((await embed(res.json.token, '/api/embed/story')).status).toBe(200);
    } finally {
      await setMaxTtl(86_400);
    }
  });

  it.each([
    ['no story', { params: {} }, 'story'],
    ['a parameter that is an object', { story: 'retail-overview', params: { tenant_id: { any: true } } }, 'params.tenant_id'],
    ['a parameter name that is not an identifier', { story: 'retail-overview', params: { 'tenant-id': 1 } }, 'params.tenant-id'],
    ['an unknown permission', { story: 'retail-overview', permissions: ['admin'] }, 'permissions.0'],
    ['a lifetime over 24 hours', { story: 'retail-overview', expiresIn: 86_401 }, 'expiresIn'],
    ['a zero lifetime', { story: 'retail-overview', expiresIn: 0 }, 'expiresIn'],
    ['an unknown member', { story: 'retail-overview', aud: 'other' }, ''],
  ])('refuses %s with 400 ERR_VALIDATION', async (_, body, path) => {
    const res = await api('POST', '/api/embed/tokens', body);
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('ERR_VALIDATION');
    expect(res.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  });

  it('answers 404 for a story the organisation does not have', async () => {
    const res = await api('POST', '/api/embed/tokens', { story: 'no-such-story' });
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('ERR_STORY_NOT_FOUND');
  });

  it('takes an admin API key only: none, an embed token or a role without embed:mint is refused', async () => {
    expect((await adminClient(server.app, undefined)('POST', '/api/embed/tokens', { story: 'retail-overview' })).json.code).toBe('ERR_UNAUTHENTICATED');
    const embedToken = await server.token();
    const withToken = await adminClient(server.app, embedToken)('POST', '/api/embed/tokens', { story: 'retail-overview' });
    expect(withToken.status).toBe(401);
    expect(withToken.json.code).toBe('ERR_UNAUTHENTICATED');
    const analyst = adminClient(server.app, (await addApiKey(server.services.store.db, server.services.defaultOrgId, 'analyst')).key);
    const res = await analyst('POST', '/api/embed/tokens', { story: 'retail-overview' });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'ERR_FORBIDDEN', permission: 'embed:mint' });
  });

  it('signs for another organisation with that organisation\'s own key, and only for its stories', async () => {
    const db = server.services.store.db;
    const other = await createOrg(db);
    const theirs = adminClient(server.app, other.key);
    // The default organisation's story is not theirs.
    expect((await theirs('POST', '/api/embed/tokens', { story: 'retail-overview' })).status).toBe(404);

    const story = JSON.parse(await readFile(DEMO_STORY_FILE, 'utf8')) as { slug: string };
    await server.services.stories.importStory(other.orgId, { ...story, slug: 'their-story' });
    const noKey = await theirs('POST', '/api/embed/tokens', { story: 'their-story' });
    expect(noKey.status).toBe(409);
    expect(noKey.json.code).toBe('ERR_CONFLICT');

    const kid = `ek_${other.orgId}`;
    await db
      .insertInto('embed_keys')
      .values({ id: kid, org_id: other.orgId, name: 'theirs', secret_sealed: server.services.box.seal('their-own-embed-secret-0123456789abcdef'), allowed_origins: '["*"]', max_ttl_seconds: 120, revoked_at: null })
      .execute();
    server.services.keys.forget();
    const minted = await theirs('POST', '/api/embed/tokens', { story: 'their-story', params: { tenant_id: 1 } });
    expect(minted.status).toBe(200);
    expect(minted.json.kid).toBe(kid);
    const { exp = 0, iat = 0 } = decodeJwt(minted.json.token);
    expect(exp - iat).toBe(120);
    const view = await embed(minted.json.token, '/api/embed/story');
    expect(view.status).toBe(200);
    expect(((await view.json()) as StoryView).slug).toBe('their-story');
  });
});
