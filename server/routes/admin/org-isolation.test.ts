/**
 * Organisation isolation (IDOR): organisation B, with its own owner API key
 * and its own owner user, can neither read, list, change nor delete anything
 * of organisation A. A single resource of A answers 404, exactly like an id
 * that does not exist, so B learns nothing about A's ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONNECTION_ID } from '../../demo-content/provision-demo.ts';
import { adminClient, createOrg, TEST_ADMIN_KEY, TEST_ADMIN_KEY_ID } from '../../testing/admin-fixtures.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

let server: TestServer;
/** Organisation A: the default organisation with the demo connection, dataset and story. */
let a: ReturnType<typeof adminClient>;
const callers: Record<string, ReturnType<typeof adminClient>> = {};

const ids = {} as Record<'connection' | 'dataset' | 'savedQuery' | 'story' | 'user' | 'role' | 'apiKey' | 'embedKey', string>;

beforeAll(async () => {
  server = await createTestServer({ allowRegistration: true });
  a = adminClient(server.app, TEST_ADMIN_KEY);
  const b = await createOrg(server.services.store.db, 'b');
  callers['B api key'] = adminClient(server.app, b.key);
  const registered = await server.app.request('/api/auth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ organisation: 'Org B2', name: 'Bea', email: 'bea@b.test', password: 'a long enough password b' }),
  });
  callers['B user session'] = adminClient(server.app, ((await registered.json()) as { accessToken: string }).accessToken);

  ids.connection = DEMO_CONNECTION_ID;
  ids.dataset = (await a('GET', '/api/datasets')).json.items[0].id;
  ids.savedQuery = (
    await a('POST', '/api/saved-queries', { name: 'A revenue', kind: 'structured', query: { dataset: 'sales', dimensions: [{ column: 'region' }], measures: [{ agg: 'count', as: 'n' }] } })
  ).json.id;
  ids.story = (await a('GET', '/api/stories')).json.items[0].id;
  ids.user = (await a('POST', '/api/users', { email: 'alice@a.test', name: 'Alice', role: 'analyst', password: 'a long enough password a' })).json.id;
  ids.role = (await a('POST', '/api/roles', { name: 'A role', permissions: ['datasource:read'] })).json.id;
  ids.apiKey = TEST_ADMIN_KEY_ID;
  ids.embedKey = (await a('POST', '/api/embed-keys', { name: 'A key' })).json.id;
  for (const [name, id] of Object.entries(ids)) expect(id, name).toBeTruthy();
});

afterAll(async () => {
  await server?.close();
});

/** Requests naming one of A's resources; every one must answer 404 to B. */
const SINGLE: Array<[string, string, (id: typeof ids) => string, unknown?]> = [
  ['connection', 'GET', (i) => `/api/connections/${i.connection}`],
  ['connection', 'PATCH', (i) => `/api/connections/${i.connection}`, { name: 'taken' }],
  ['connection', 'POST', (i) => `/api/connections/${i.connection}/test`],
  ['connection', 'GET', (i) => `/api/connections/${i.connection}/schema`],
  ['connection', 'DELETE', (i) => `/api/connections/${i.connection}`],
  ['dataset', 'GET', (i) => `/api/datasets/${i.dataset}`],
  ['dataset', 'POST', (i) => `/api/datasets/${i.dataset}/preview`, { params: { tenant_id: 1 } }],
  ['dataset', 'DELETE', (i) => `/api/datasets/${i.dataset}`],
  ['saved query', 'GET', (i) => `/api/saved-queries/${i.savedQuery}`],
  ['saved query', 'POST', (i) => `/api/saved-queries/${i.savedQuery}/run`, { params: {} }],
  ['saved query', 'DELETE', (i) => `/api/saved-queries/${i.savedQuery}`],
  ['story', 'GET', (i) => `/api/stories/${i.story}`],
  ['story', 'PATCH', (i) => `/api/stories/${i.story}`, { title: 'taken' }],
  ['story', 'DELETE', (i) => `/api/stories/${i.story}`],
  ['user', 'GET', (i) => `/api/users/${i.user}`],
  ['user', 'PATCH', (i) => `/api/users/${i.user}`, { name: 'taken' }],
  ['user', 'DELETE', (i) => `/api/users/${i.user}`],
  ['role', 'GET', (i) => `/api/roles/${i.role}`],
  ['role', 'PATCH', (i) => `/api/roles/${i.role}`, { name: 'taken' }],
  ['role', 'DELETE', (i) => `/api/roles/${i.role}`],
  ['api key', 'GET', (i) => `/api/api-keys/${i.apiKey}`],
  ['api key', 'DELETE', (i) => `/api/api-keys/${i.apiKey}`],
  ['embed key', 'GET', (i) => `/api/embed-keys/${i.embedKey}`],
  ['embed key', 'PATCH', (i) => `/api/embed-keys/${i.embedKey}`, { allowedOrigins: ['https://evil.test'] }],
  ['embed key', 'DELETE', (i) => `/api/embed-keys/${i.embedKey}`],
];

describe.each(['B api key', 'B user session'])('%s against organisation A', (caller) => {
  it.each(SINGLE)('%s: %s answers 404', async (_, method, path, body) => {
    const res = await callers[caller]!(method, path(ids), body);
    expect(res.status).toBe(404);
    expect(res.json.code).toMatch(/^ERR_(\w+_)?NOT_FOUND$/);
  });

  it('lists none of A’s resources', async () => {
    const api = callers[caller]!;
    const lists: Array<[string, string]> = [
      ['/api/connections', ids.connection],
      ['/api/datasets', ids.dataset],
      ['/api/saved-queries', ids.savedQuery],
      ['/api/stories', ids.story],
      ['/api/users', ids.user],
      ['/api/roles', ids.role],
      ['/api/api-keys', ids.apiKey],
      ['/api/embed-keys', ids.embedKey],
    ];
    for (const [path, id] of lists) {
      const res = await api('GET', path);
      expect(res.status, path).toBe(200);
      expect(res.text, path).not.toContain(id);
    }
    // B's log holds B's own requests only (including the ids B itself tried), never A's entries.
    const audit = await api('GET', '/api/audit?limit=200');
    expect(audit.status).toBe(200);
    const actors = new Set(audit.json.items.map((e: { actor: { id: string } }) => e.actor.id));
    expect(actors.size).toBe(1);
    expect(actors.has(TEST_ADMIN_KEY_ID)).toBe(false);
    expect(audit.json.items.some((e: { action: string; status: number }) => e.action === 'POST /api/users' && e.status === 201)).toBe(false);
    expect((await api('GET', `/api/audit?actor=${TEST_ADMIN_KEY_ID}`)).json.items).toEqual([]);
    expect((await api('GET', '/api/audit?action=POST /api/embed-keys')).json.items).toEqual([]);
  });

  it('cannot mint an embed token for A’s story, by id or slug', async () => {
    const api = callers[caller]!;
    for (const story of [ids.story, 'retail-overview']) {
      const res = await api('POST', '/api/embed/tokens', { story, params: { tenant_id: 1 } });
      expect(res.status, story).toBe(404);
      expect(res.json.code).toBe('ERR_STORY_NOT_FOUND');
    }
  });

  it('cannot query A’s datasets or assign A’s custom role', async () => {
    const api = callers[caller]!;
    const run = await api('POST', '/api/queries/run', { query: { dataset: 'sales', measures: [{ agg: 'count', as: 'n' }] }, params: { tenant_id: 1 } });
    expect(run.status).toBe(404);
    const key = await api('POST', '/api/api-keys', { name: 'borrowed role', role: ids.role });
    expect([key.status, key.json.code]).toEqual([400, 'ERR_VALIDATION']);
    const byName = await api('POST', '/api/api-keys', { name: 'borrowed role', role: 'A role' });
    expect(byName.status).toBe(400);
  });
});

describe('organisation A after B tried', () => {
  it('still has every resource, unchanged', async () => {
    expect((await a('GET', `/api/connections/${ids.connection}`)).json.name).not.toBe('taken');
    expect((await a('GET', `/api/datasets/${ids.dataset}`)).status).toBe(200);
    expect((await a('GET', `/api/saved-queries/${ids.savedQuery}`)).status).toBe(200);
    expect((await a('GET', `/api/stories/${ids.story}`)).json.title).not.toBe('taken');
    expect((await a('GET', `/api/users/${ids.user}`)).json.name).toBe('Alice');
    expect((await a('GET', `/api/roles/${ids.role}`)).json.name).toBe('A role');
    expect((await a('GET', `/api/api-keys/${ids.apiKey}`)).json.revokedAt).toBeNull();
    expect((await a('GET', `/api/embed-keys/${ids.embedKey}`)).json).toMatchObject({ revokedAt: null, allowedOrigins: [] });
  });

  it('records B’s attempts in B’s audit log only', async () => {
    const mine = await a('GET', '/api/audit?limit=200');
    expect(mine.json.items.every((e: { actor: { type: string; id: string } }) => e.actor.type !== 'api_key' || e.actor.id === TEST_ADMIN_KEY_ID)).toBe(true);
    const theirs = await callers['B api key']!('GET', '/api/audit?action=DELETE*&limit=200');
    expect(theirs.json.items.length).toBeGreaterThan(0);
    expect(theirs.json.items.every((e: { status: number }) => e.status === 404)).toBe(true);
  });
});
