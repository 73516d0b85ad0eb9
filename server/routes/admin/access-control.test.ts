import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltInRole } from '../../auth/permissions.ts';
import { adminClient, addApiKey, TEST_ADMIN_KEY } from '../../testing/admin-fixtures.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

let server: TestServer;
let owner: ReturnType<typeof adminClient>;
const clients = {} as Record<BuiltInRole, ReturnType<typeof adminClient>>;
const ROLES: BuiltInRole[] = ['owner', 'admin', 'developer', 'analyst', 'viewer'];

beforeAll(async () => {
  server = await createTestServer({ demo: false });
  owner = adminClient(server.app, TEST_ADMIN_KEY);
  for (const role of ROLES) clients[role] = adminClient(server.app, (await addApiKey(server.services.store.db, server.services.defaultOrgId, role)).key);
});
afterAll(async () => {
  await server?.close();
});

/**
 * Representative routes, one permission each, and the built-in roles that
 * hold it. Bodies are deliberately incomplete: an allowed caller gets past
 * the permission check to a validation or not-found answer, never 403.
 */
const MATRIX: Array<[string, string, unknown, BuiltInRole[]]> = [
  ['GET', '/api/connections', undefined, ['owner', 'admin', 'developer', 'analyst', 'viewer']],
  ['POST', '/api/connections', {}, ['owner', 'admin', 'developer']],
  ['POST', '/api/datasets', {}, ['owner', 'admin', 'developer']],
  ['POST', '/api/queries/run', {}, ['owner', 'admin', 'developer', 'analyst']],
  ['GET', '/api/queries/history', undefined, ['owner', 'admin', 'developer']],
  ['POST', '/api/embed/tokens', { story: 'no-such-story', params: {} }, ['owner', 'admin', 'developer']],
  ['GET', '/api/users', undefined, ['owner', 'admin', 'developer', 'analyst', 'viewer']],
  ['POST', '/api/users', {}, ['owner', 'admin']],
  ['DELETE', '/api/users/u_missing', undefined, ['owner', 'admin']],
  ['GET', '/api/roles', undefined, ['owner', 'admin', 'developer']],
  ['POST', '/api/roles', {}, ['owner', 'admin']],
  ['DELETE', '/api/roles/role_missing', undefined, ['owner', 'admin']],
  ['GET', '/api/api-keys', undefined, ['owner', 'admin']],
  ['POST', '/api/api-keys', {}, ['owner', 'admin']],
  ['GET', '/api/embed-keys', undefined, ['owner', 'admin']],
  ['POST', '/api/embed-keys/revoked-tokens', {}, ['owner', 'admin']],
  ['GET', '/api/audit', undefined, ['owner', 'admin']],
];

describe('permission matrix of the built-in roles', () => {
  const cases = MATRIX.flatMap(([method, path, body, allowed]) => ROLES.map((role) => [role, method, path, body, allowed.includes(role)] as const));

  it.each(cases)('%s: %s %s', async (role, method, path, body, allowed) => {
    const res = await clients[role](method, path, body);
    if (allowed) {
      expect(res.status).not.toBe(403);
      expect(res.status).not.toBe(401);
      expect(res.status).toBeLessThan(500);
    } else {
      expect(res.status).toBe(403);
      expect(res.json.code).toBe('ERR_FORBIDDEN');
      expect(typeof res.json.permission).toBe('string');
    }
  });
});

describe('custom roles', () => {
  let roleId: string;
  let key: string;
  let keyId: string;

  it('creates a role from permission strings and lists it after the built-ins', async () => {
    const res = await owner('POST', '/api/roles', { name: 'Embedder', description: 'reads and mints', permissions: ['datasource:read', 'embed:mint', 'embed:mint'] });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ name: 'Embedder', builtIn: false, permissions: ['datasource:read', 'embed:mint'] });
    roleId = res.json.id;
    const list = await owner('GET', '/api/roles');
    expect(list.json.items.map((r: { name: string }) => r.name)).toEqual(['owner', 'admin', 'developer', 'analyst', 'viewer', 'Embedder']);
    expect(list.json.items[0]).toMatchObject({ builtIn: true, id: 'owner' });
  });

  it('refuses unknown permissions and built-in names', async () => {
    const unknown = await owner('POST', '/api/roles', { name: 'Bad', permissions: ['db:everything'] });
    expect([unknown.status, unknown.json.code]).toEqual([400, 'ERR_VALIDATION']);
    const taken = await owner('POST', '/api/roles', { name: 'Admin', permissions: [] });
    expect([taken.status, taken.json.code]).toEqual([400, 'ERR_VALIDATION']);
    const twice = await owner('POST', '/api/roles', { name: 'Embedder', permissions: [] });
    expect([twice.status, twice.json.code]).toEqual([409, 'ERR_CONFLICT']);
  });

  it('grants exactly its permissions to an API key holding it (named by role name)', async () => {
    const created = await owner('POST', '/api/api-keys', { name: 'embedder', role: 'Embedder' });
    expect(created.status).toBe(201);
    expect(created.json.role).toBe(roleId);
    ({ key, id: keyId } = created.json);
    const api = adminClient(server.app, key);
    expect((await api('GET', '/api/connections')).status).toBe(200);
    expect((await api('POST', '/api/embed/tokens', { story: 'no-such-story', params: {} })).json.code).toBe('ERR_STORY_NOT_FOUND');
    for (const [method, path] of [['POST', '/api/connections'], ['POST', '/api/queries/run'], ['GET', '/api/users'], ['GET', '/api/api-keys']] as const) {
      const res = await api(method, path, method === 'POST' ? {} : undefined);
      expect(res.status, `${method} ${path}`).toBe(403);
    }
  });

  it('takes a change of the role into account on the next request', async () => {
    const api = adminClient(server.app, key);
    const changed = await owner('PATCH', `/api/roles/${roleId}`, { permissions: ['datasource:read'] });
    expect(changed.status).toBe(200);
    expect((await api('POST', '/api/embed/tokens', { story: 'no-such-story', params: {} })).status).toBe(403);
    expect((await api('GET', '/api/connections')).status).toBe(200);
  });

  it('works for users too, and keeps a role held by someone from being deleted', async () => {
    const user = await owner('POST', '/api/users', { email: 'reader@custom.test', name: 'Reader', role: roleId, password: 'a long enough password 2' });
    expect(user.status).toBe(201);
    const login = await server.app.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'reader@custom.test', password: 'a long enough password 2' }) });
    const session = (await login.json()) as { accessToken: string; user: { permissions: string[] } };
    expect(session.user.permissions).toEqual(['datasource:read']);
    const asUser = adminClient(server.app, session.accessToken);
    expect((await asUser('GET', '/api/connections')).status).toBe(200);
    expect((await asUser('GET', '/api/users')).status).toBe(403);

    const held = await owner('DELETE', `/api/roles/${roleId}`);
    expect([held.status, held.json.code]).toEqual([409, 'ERR_CONFLICT']);
    expect((await owner('DELETE', `/api/users/${user.json.id}`)).status).toBe(204);
    expect((await owner('DELETE', `/api/api-keys/${keyId}`)).status).toBe(204);
    expect((await owner('DELETE', `/api/roles/${roleId}`)).status).toBe(204);
    expect((await owner('GET', `/api/roles/${roleId}`)).status).toBe(404);
  });

  it('keeps the built-in roles read-only', async () => {
    expect((await owner('PATCH', '/api/roles/viewer', { permissions: ['system:admin'] })).status).toBe(403);
    expect((await owner('DELETE', '/api/roles/admin')).status).toBe(403);
    expect((await owner('GET', '/api/roles/analyst')).json).toMatchObject({ builtIn: true, name: 'analyst' });
  });
});

describe('no escalation past the caller’s own rights', () => {
  it('keeps an admin from minting owner keys, writing system:admin roles or changing an owner', async () => {
    const admin = clients.admin;
    const ownerKey = await admin('POST', '/api/api-keys', { name: 'escalate', role: 'owner' });
    expect([ownerKey.status, ownerKey.json.code]).toEqual([403, 'ERR_FORBIDDEN']);
    expect((await admin('POST', '/api/roles', { name: 'Root', permissions: ['system:admin'] })).status).toBe(403);
    expect((await admin('POST', '/api/api-keys', { name: 'fine', role: 'developer' })).status).toBe(201);

    const boss = await owner('POST', '/api/users', { email: 'boss@escalate.test', name: 'Boss', role: 'owner', password: 'a long enough password 3' });
    expect((await admin('PATCH', `/api/users/${boss.json.id}`, { role: 'viewer' })).status).toBe(403);
    expect((await admin('DELETE', `/api/users/${boss.json.id}`)).status).toBe(403);
    const self = await admin('POST', '/api/users', { email: 'helper@escalate.test', name: 'Helper', role: 'admin', password: 'a long enough password 4' });
    expect(self.status).toBe(201);
    expect((await admin('PATCH', `/api/users/${self.json.id}`, { role: 'owner' })).status).toBe(403);
  });

  it('keeps the organisation from losing its last owner', async () => {
    const owners = (await owner('GET', '/api/users')).json.items.filter((u: { role: string }) => u.role === 'owner');
    expect(owners).toHaveLength(1);
    const res = await owner('PATCH', `/api/users/${owners[0].id}`, { role: 'admin' });
    expect([res.status, res.json.code]).toEqual([409, 'ERR_CONFLICT']);
    expect((await owner('DELETE', `/api/users/${owners[0].id}`)).status).toBe(409);
  });
});
