/**
 * Organisation isolation (IDOR) of collections and story shares: organisation
 * B, through its owner API key and its owner's session, can neither read,
 * list, change nor delete A's collections or the shares of A's stories, nor
 * share a story across the two organisations in either direction. Every
 * attempt answers like an id that does not exist (404, or ERR_VALIDATION for
 * a reference inside a body), so B learns nothing about A's ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, createOrg, TEST_ADMIN_KEY } from '../../testing/admin-fixtures.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

let server: TestServer;
/** Organisation A: the default organisation, through its owner key. */
let a: ReturnType<typeof adminClient>;
let bKey: ReturnType<typeof adminClient>;
const callers: Record<string, ReturnType<typeof adminClient>> = {};

const PASSWORD = 'a long enough password for isolation';
const ids = {} as Record<'collection' | 'emptyCollection' | 'story' | 'aUser' | 'bStory' | 'bCollection' | 'bUser', string>;

async function login(email: string): Promise<string> {
  const res = await server.app.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

beforeAll(async () => {
  server = await createTestServer({ demo: false, allowRegistration: true });
  a = adminClient(server.app, TEST_ADMIN_KEY);
  const b = await createOrg(server.services.store.db, 'b');
  bKey = adminClient(server.app, b.key);
  callers['B api key'] = bKey;
  const registered = await server.app.request('/api/auth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ organisation: 'Org B session', name: 'Bo', email: 'bo@b.test', password: PASSWORD }),
  });
  expect(registered.status).toBe(201);
  callers['B user session'] = adminClient(server.app, ((await registered.json()) as { accessToken: string }).accessToken);

  ids.collection = (await a('POST', '/api/collections', { name: 'A finance' })).json.id;
  ids.emptyCollection = (await a('POST', '/api/collections', { name: 'A empty', parentId: ids.collection })).json.id;
  ids.story = (await a('POST', '/api/stories', { title: 'A story', collectionId: ids.collection })).json.id;
  ids.aUser = (await a('POST', '/api/users', { email: 'ann@a.test', name: 'Ann', role: 'viewer', password: PASSWORD })).json.id;
  expect((await a('POST', `/api/stories/${ids.story}/shares`, { userId: ids.aUser, level: 'edit' })).status).toBe(201);

  ids.bStory = (await bKey('POST', '/api/stories', { title: 'B story' })).json.id;
  ids.bCollection = (await bKey('POST', '/api/collections', { name: 'B folder' })).json.id;
  ids.bUser = (await bKey('POST', '/api/users', { email: 'ben@b.test', name: 'Ben', role: 'viewer', password: PASSWORD })).json.id;
  for (const [name, id] of Object.entries(ids)) expect(id, name).toBeTruthy();
});

afterAll(async () => {
  await server?.close();
});

/** Requests naming one of A's collections or shares; each answers 404 to B. */
const SINGLE: Array<[string, string, (i: typeof ids) => string, ((i: typeof ids) => unknown)?]> = [
  ['collection', 'GET', (i) => `/api/collections/${i.collection}`],
  ['collection', 'PATCH', (i) => `/api/collections/${i.collection}`, () => ({ name: 'Taken' })],
  ['collection', 'PATCH', (i) => `/api/collections/${i.emptyCollection}`, () => ({ parentId: null })],
  ['collection', 'DELETE', (i) => `/api/collections/${i.emptyCollection}`],
  ['shares', 'GET', (i) => `/api/stories/${i.story}/shares`],
  ['shares', 'POST', (i) => `/api/stories/${i.story}/shares`, (i) => ({ userId: i.bUser, level: 'admin' })],
  ['shares', 'POST', (i) => `/api/stories/${i.story}/shares`, (i) => ({ userId: i.aUser, level: 'admin' })],
  ['shares', 'DELETE', (i) => `/api/stories/${i.story}/shares/${i.aUser}`],
];

describe.each(['B api key', 'B user session'])('%s against organisation A', (caller) => {
  it.each(SINGLE)('%s: %s answers 404', async (_, method, path, body) => {
    const res = await callers[caller]!(method, path(ids), body?.(ids));
    expect(res.status).toBe(404);
    expect(res.json.code).toMatch(/^ERR_(\w+_)?NOT_FOUND$/);
  });

  it('lists none of A’s collections, not even when naming one as the parent', async () => {
    const api = callers[caller]!;
    for (const path of ['/api/collections', `/api/collections?parent=${ids.collection}`, `/api/stories?collection=${ids.collection}`]) {
      const res = await api('GET', path);
      expect(res.status, path).toBe(200);
      expect(res.json.items, path).toEqual(path.includes('?') ? [] : expect.any(Array));
      expect(res.text, path).not.toContain(ids.collection);
      expect(res.text, path).not.toContain(ids.emptyCollection);
    }
  });

  it('cannot file its collections or stories into A’s collections', async () => {
    const api = callers[caller]!;
    const child = await api('POST', '/api/collections', { name: 'Inside A', parentId: ids.collection });
    expect([child.status, child.json.code]).toEqual([400, 'ERR_VALIDATION']);
    const own = await api('POST', '/api/collections', { name: `Own of ${caller}` });
    expect(own.status).toBe(201);
    const moved = await api('PATCH', `/api/collections/${own.json.id}`, { parentId: ids.collection });
    expect([moved.status, moved.json.code]).toEqual([400, 'ERR_VALIDATION']);
    expect((await api('GET', `/api/collections/${own.json.id}`)).json.parentId).toBeNull();
    const story = await api('POST', '/api/stories', { title: 'Into A', collectionId: ids.collection });
    expect([story.status, story.json.code]).toEqual([404, 'ERR_NOT_FOUND']);
  });
});

describe('sharing across organisations', () => {
  it('B cannot share its own story with a user of A (answers like a user that does not exist)', async () => {
    const res = await bKey('POST', `/api/stories/${ids.bStory}/shares`, { userId: ids.aUser, level: 'admin' });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ code: 'ERR_NOT_FOUND', errors: [{ path: 'userId' }] });
    const unknown = await bKey('POST', `/api/stories/${ids.bStory}/shares`, { userId: 'u_does_not_exist', level: 'admin' });
    expect([unknown.status, unknown.json.code, unknown.json.detail]).toEqual([res.status, res.json.code, res.json.detail]);
    expect((await bKey('GET', `/api/stories/${ids.bStory}/shares`)).json.items).toEqual([]);
  });

  it('A cannot share its story with a user of B either', async () => {
    const res = await a('POST', `/api/stories/${ids.story}/shares`, { userId: ids.bUser, level: 'view' });
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('ERR_NOT_FOUND');
  });

  it('a share row that names a story of another organisation grants nothing', async () => {
    // Defence in depth: even a share written straight into the store never crosses organisations.
    const role = await bKey('POST', '/api/roles', { name: 'B share only', permissions: ['user:read'] });
    expect(role.status).toBe(201);
    const reader = await bKey('POST', '/api/users', { email: 'bree@b.test', name: 'Bree', role: role.json.id, password: PASSWORD });
    expect(reader.status).toBe(201);
    await server.services.store.db.insertInto('story_shares').values({ story_id: ids.story, user_id: reader.json.id, level: 'admin', granted_by: null }).execute();
    const bree = adminClient(server.app, await login('bree@b.test'));
    for (const [method, path, body] of [
      ['GET', `/api/stories/${ids.story}`],
      ['PATCH', `/api/stories/${ids.story}`, { title: 'Taken' }],
      ['POST', `/api/stories/${ids.story}/publish`],
      ['DELETE', `/api/stories/${ids.story}`],
    ] as const) {
      const res = await bree(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.code).toBe('ERR_STORY_NOT_FOUND');
    }
    expect((await bree('GET', '/api/stories')).json).toMatchObject({ total: 0, items: [] });
    // A's owner sees only A's users among the shares of A's story.
    expect((await a('GET', `/api/stories/${ids.story}/shares`)).json.items.map((s: { userId: string }) => s.userId)).toEqual([ids.aUser]);
    await server.services.store.db.deleteFrom('story_shares').where('user_id', '=', reader.json.id).execute();
  });
});

describe('organisation A after B tried', () => {
  it('still has its collections and shares, unchanged', async () => {
    expect((await a('GET', `/api/collections/${ids.collection}`)).json).toMatchObject({ name: 'A finance', parentId: null, storyCount: 1, collections: [{ id: ids.emptyCollection }] });
    expect((await a('GET', `/api/collections/${ids.emptyCollection}`)).json).toMatchObject({ name: 'A empty', parentId: ids.collection });
    expect((await a('GET', `/api/stories/${ids.story}/shares`)).json.items).toEqual([expect.objectContaining({ userId: ids.aUser, level: 'edit' })]);
    expect((await bKey('GET', `/api/collections/${ids.bCollection}`)).json.parentId).toBeNull();
  });
});
