import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../bootstrap/ensure-default-org.ts';
import { adminClient, TEST_ADMIN_KEY, TEST_ADMIN_KEY_ID } from '../../testing/admin-fixtures.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';
import { until } from '../../testing/wait.ts';

let server: TestServer;
let api: ReturnType<typeof adminClient>;

beforeAll(async () => {
  server = await createTestServer({ demo: false });
  api = adminClient(server.app, TEST_ADMIN_KEY);
});
afterAll(async () => {
  await server?.close();
});

describe('/api/api-keys', () => {
  let key: string;
  let id: string;

  it('creates a key, shows it once and stores only its hash', async () => {
    const res = await api('POST', '/api/api-keys', { name: 'ci pipeline', role: 'developer' });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ name: 'ci pipeline', role: 'developer', lastUsedAt: null, revokedAt: null });
    ({ key, id } = res.json);
    expect(key).toMatch(/^ik_/);
    expect(res.json.prefix).toBe(key.slice(0, 7));
    const row = await server.services.store.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(hashApiKey(key));
    expect(JSON.stringify(row)).not.toContain(key);
  });

  it('lists prefix, role, creation and last use, never the key', async () => {
    await adminClient(server.app, key)('GET', '/api/connections');
    // The last use is written in the background: wait for it, not for a while.
    const lastUsed = () => server.services.store.db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow();
    await until(async () => (await lastUsed()).last_used_at !== null, { what: 'last use written' });
    const list = await api('GET', '/api/api-keys');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(key);
    expect(list.text).not.toContain(TEST_ADMIN_KEY);
    expect(list.text).not.toMatch(/key_hash|keyHash/);
    const mine = list.json.items.find((k: { id: string }) => k.id === id);
    expect(Object.keys(mine).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'role']);
    expect(mine.lastUsedAt).not.toBeNull();
  });

  it('refuses an unknown role', async () => {
    const res = await api('POST', '/api/api-keys', { name: 'x', role: 'superuser' });
    expect([res.status, res.json.code]).toEqual([400, 'ERR_VALIDATION']);
  });

  it('revokes a key with immediate effect', async () => {
    const client = adminClient(server.app, key);
    expect((await client('GET', '/api/connections')).status).toBe(200);
    expect((await api('DELETE', `/api/api-keys/${id}`)).status).toBe(204);
    const after = await client('GET', '/api/connections');
    expect([after.status, after.json.code]).toEqual([401, 'ERR_UNAUTHENTICATED']);
    expect((await api('GET', `/api/api-keys/${id}`)).json.revokedAt).not.toBeNull();
    // Revoking again is harmless.
    expect((await api('DELETE', `/api/api-keys/${id}`)).status).toBe(204);
  });

  it('lets a key revoke itself', async () => {
    const created = await api('POST', '/api/api-keys', { name: 'self', role: 'owner' });
    const self = adminClient(server.app, created.json.key);
    expect((await self('DELETE', `/api/api-keys/${created.json.id}`)).status).toBe(204);
    expect((await self('GET', '/api/api-keys')).status).toBe(401);
  });
});

describe('/api/audit', () => {
  it('records changes of any admin module with who, what, before and after, and redacts secrets', async () => {
    const created = await api('POST', '/api/connections', { name: 'audited-db', type: 'postgres', url: 'postgres://reader:hunter2-secret@db.example.com:5432/app' });
    expect(created.status).toBe(201);
    const id = created.json.id;
    expect((await api('PATCH', `/api/connections/${id}`, { name: 'audited-db-2', password: 'n3w-p4ss-w0rd' })).status).toBe(200);
    expect((await api('DELETE', `/api/connections/${id}`)).status).toBe(204);

    const res = await api('GET', `/api/audit?resource=${id}`);
    expect(res.status).toBe(200);
    expect(res.json.items.map((e: { action: string }) => e.action)).toEqual(['DELETE /api/connections/:id', 'PATCH /api/connections/:id', 'POST /api/connections']);
    for (const entry of res.json.items) {
      expect(entry).toMatchObject({ actor: { type: 'api_key', id: TEST_ADMIN_KEY_ID }, resource: { type: 'connections', id } });
    }
    expect(res.json.items[1]).toMatchObject({ status: 200, after: { name: 'audited-db-2' } });
    expect(res.text).not.toContain('hunter2-secret');
    expect(res.text).not.toContain('n3w-p4ss-w0rd');
  });

  it('records refused changes with their status, and reads no entry for GETs', async () => {
    const viewer = await api('POST', '/api/api-keys', { name: 'viewer', role: 'viewer' });
    const client = adminClient(server.app, viewer.json.key);
    expect((await client('POST', '/api/api-keys', { name: 'nope', role: 'owner' })).status).toBe(403);
    await client('GET', '/api/connections');
    const entries = (await api('GET', `/api/audit?actor=${viewer.json.id}`)).json.items;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: 'POST /api/api-keys', status: 403, after: { error: 'ERR_FORBIDDEN' } });
  });

  it('keeps before and after of user changes without the password', async () => {
    const user = await api('POST', '/api/users', { email: 'audit@users.test', name: 'Aud', role: 'viewer', password: 'super secret password 9' });
    await api('PATCH', `/api/users/${user.json.id}`, { role: 'analyst', password: 'another secret password 9' });
    const res = await api('GET', `/api/audit?resource=${user.json.id}&action=PATCH /api/users/:id`);
    expect(res.json.items).toHaveLength(1);
    expect(res.json.items[0]).toMatchObject({ before: { role: 'viewer' }, after: { role: 'analyst' } });
    const all = await api('GET', '/api/audit?resource=users');
    expect(all.text).not.toContain('super secret password 9');
    expect(all.text).not.toContain('another secret password 9');
  });

  it('filters by time and pages with a cursor', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 5; i++) await api('POST', '/api/roles', { name: `Paged ${i}`, permissions: [] });
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res: any = await api('GET', `/api/audit?action=POST /api/roles&from=${encodeURIComponent(before)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      pages.push(res.json.items.map((e: { after: { name: string } }) => e.after.name));
      cursor = res.json.nextCursor;
    } while (cursor);
    expect(pages).toEqual([['Paged 4', 'Paged 3'], ['Paged 2', 'Paged 1'], ['Paged 0']]);
    const future = await api('GET', `/api/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.json.items).toEqual([]);
    const bad = await api('GET', '/api/audit?from=yesterday');
    expect([bad.status, bad.json.code]).toEqual([400, 'ERR_VALIDATION']);
  });
});
