import { rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, addApiKey, createOrg, TEST_ADMIN_KEY } from '../../testing/admin-fixtures.ts';
import { createMysqlOrders, createPostgresOrders, type OrdersFixture } from '../../testing/orders-fixture.ts';
import { serviceAvailable } from '../../testing/services.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

const available = (await serviceAvailable('postgres')) && (await serviceAvailable('mysql'));

describe.skipIf(!available)('/api/connections on PostgreSQL and MariaDB', () => {
  let server: TestServer;
  let pgOrders: OrdersFixture;
  let myOrders: OrdersFixture;
  let api: ReturnType<typeof adminClient>;
  let pgId: string;
  let myId: string;

  /** The stored row, sealed settings included. */
  const storedRow = (id: string) => server.services.store.db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  beforeAll(async () => {
    [server, pgOrders, myOrders] = await Promise.all([createTestServer(), createPostgresOrders(), createMysqlOrders()]);
    api = adminClient(server.app, TEST_ADMIN_KEY);
  });

  afterAll(async () => {
    await server?.close();
    await Promise.all([pgOrders?.drop(), myOrders?.drop()]);
    if (server) {
      await rm(path.join(server.services.config.dataDir, 'warehouses'), { recursive: true, force: true });
      // Only when empty: other suites of this process may share the folder.
      await rmdir(server.services.config.dataDir).catch(() => {});
    }
  });

  it('creates a PostgreSQL connection from a URL and never shows its password', async () => {
    const res = await api('POST', '/api/connections', { name: 'pg-orders', type: 'postgres', url: pgOrders.readerUrl });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      name: 'pg-orders',
      type: 'postgres',
      host: pgOrders.reader.host,
      port: pgOrders.reader.port,
      database: pgOrders.reader.database,
      user: pgOrders.reader.user,
      ssl: false,
      hasPassword: true,
    });
    expect(res.text).not.toContain(pgOrders.reader.password);
    expect(res.text).not.toContain(encodeURIComponent(pgOrders.reader.password));
    pgId = res.json.id;

    const row = await storedRow(pgId);
    expect(JSON.stringify(row)).not.toContain(pgOrders.reader.password);
    // It is there, sealed: opening the box gives it back.
    expect(JSON.parse(server.services.box.open(row.config_sealed)).password).toBe(pgOrders.reader.password);
  });

  it('creates a MariaDB connection from separate fields', async () => {
    const { host, port, database, user, password } = myOrders.reader;
    const res = await api('POST', '/api/connections', { name: 'maria-orders', type: 'mysql', host, port, database, user, password });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ type: 'mysql', host, port, database, user, hasPassword: true });
    expect(res.text).not.toContain(password);
    myId = res.json.id;
    expect((await storedRow(myId)).config_sealed).not.toContain(password);
  });

  it('lists and gets connections without passwords', async () => {
    const list = await api('GET', '/api/connections');
    expect(list.status).toBe(200);
    expect(list.json.items.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['pg-orders', 'maria-orders']));
    const one = await api('GET', `/api/connections/${myId}`);
    expect(one.json).toMatchObject({ id: myId, name: 'maria-orders', hasPassword: true });
    for (const text of [list.text, one.text]) {
      expect(text).not.toContain(pgOrders.reader.password);
      expect(text).not.toContain(myOrders.reader.password);
      expect(text).not.toMatch(/"password"/);
    }
    expect(list.text).not.toContain('config_sealed');
  });

  it('tests both connections with the reader credentials', async () => {
    for (const id of [pgId, myId]) {
      const res = await api('POST', `/api/connections/${id}/test`);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ ok: true, latencyMs: expect.any(Number) });
    }
  });

  it('introspects the schema, keeps it in the store, and refreshes on request', async () => {
    for (const [id, fixture] of [[pgId, pgOrders], [myId, myOrders]] as const) {
      const first = await api('GET', `/api/connections/${id}/schema`);
      expect(first.status).toBe(200);
      expect(first.json.fromCache).toBe(false);
      const table = first.json.tables.find((t: { name: string }) => t.name === fixture.table);
      expect(table.columns.map((c: { name: string }) => c.name)).toEqual(['id', 'tenant_id', 'placed_at', 'status', 'amount']);
      expect(table.columns.find((c: { name: string }) => c.name === 'id')).toMatchObject({ primaryKey: true, nullable: false });
      expect(table.columns.find((c: { name: string }) => c.name === 'amount')).toMatchObject({ primaryKey: false });

      const again = await api('GET', `/api/connections/${id}/schema`);
      expect(again.json).toMatchObject({ fromCache: true, fetchedAt: first.json.fetchedAt });
      expect(again.json.tables).toEqual(first.json.tables);

      const refreshed = await api('GET', `/api/connections/${id}/schema?refresh=1`);
      expect(refreshed.json.fromCache).toBe(false);
      expect(Date.parse(refreshed.json.fetchedAt)).toBeGreaterThanOrEqual(Date.parse(first.json.fetchedAt));
    }
    const stored = await server.services.store.db.selectFrom('connection_schemas').select('connection_id').where('connection_id', 'in', [pgId, myId]).execute();
    expect(stored).toHaveLength(2);
  });

  it('answers 503 ERR_DATABASE_UNAVAILABLE for a wrong password, then recovers after an update', async () => {
    const wrong = 'definitely-not-the-password-42';
    const patched = await api('PATCH', `/api/connections/${myId}`, { password: wrong });
    expect(patched.status).toBe(200);
    expect(patched.json.hasPassword).toBe(true);
    expect(patched.text).not.toContain(wrong);

    const failed = await api('POST', `/api/connections/${myId}/test`);
    expect(failed.status).toBe(503);
    expect(failed.contentType).toContain('application/problem+json');
    expect(failed.json.code).toBe('ERR_DATABASE_UNAVAILABLE');
    expect(failed.text).not.toContain(wrong);
    expect(failed.text).not.toContain(myOrders.reader.password);

    const fixed = await api('PATCH', `/api/connections/${myId}`, { password: myOrders.reader.password, name: 'maria-orders-2' });
    expect(fixed.json).toMatchObject({ name: 'maria-orders-2', user: myOrders.reader.user });
    expect((await api('POST', `/api/connections/${myId}/test`)).status).toBe(200);
    // New settings may reach another database: the stored schema is not trusted any more.
    expect((await api('GET', `/api/connections/${myId}/schema`)).json.fromCache).toBe(false);
  });

  it('keeps the stored password when a URL without one replaces the settings, and removes it with null', async () => {
    const { host, port, database, user } = pgOrders.reader;
    const kept = await api('PATCH', `/api/connections/${pgId}`, { url: `postgresql://${user}@${host}:${port}/${database}?sslmode=disable` });
    expect(kept.json).toMatchObject({ hasPassword: true, ssl: false });
    expect(JSON.parse(server.services.box.open((await storedRow(pgId)).config_sealed)).password).toBe(pgOrders.reader.password);

    const created = await api('POST', '/api/connections', { name: 'pg-nopass', type: 'postgres', url: pgOrders.readerUrl });
    const removed = await api('PATCH', `/api/connections/${created.json.id}`, { password: null });
    expect(removed.json.hasPassword).toBe(false);
    expect(JSON.parse(server.services.box.open((await storedRow(created.json.id)).config_sealed))).not.toHaveProperty('password');
    expect((await api('DELETE', `/api/connections/${created.json.id}`)).status).toBe(204);
  });

  it.each([
    ['a missing name', { type: 'postgres', host: 'db', database: 'x', user: 'u' }, 'name'],
    ['an unknown type', { name: 'x', type: 'oracle', host: 'db', database: 'x', user: 'u' }, 'type'],
    ['an unknown field', { name: 'x', type: 'postgres', host: 'db', database: 'x', user: 'u', sslpassword: 'p' }, ''],
    ['a url and fields together', { name: 'x', type: 'postgres', url: 'postgres://u:p@db/x', host: 'other' }, 'host'],
    ['a url of another type', { name: 'x', type: 'mysql', url: 'postgres://u:p@db/x' }, 'url'],
    ['a missing host', { name: 'x', type: 'postgres', database: 'x', user: 'u' }, 'host'],
    ['TLS on MySQL', { name: 'x', type: 'mysql', host: 'db', database: 'x', user: 'u', ssl: true }, 'ssl'],
    ['server settings on pglite', { name: 'x', type: 'pglite', host: 'db' }, 'host'],
    ['a port out of range', { name: 'x', type: 'postgres', host: 'db', port: 70000, database: 'x', user: 'u' }, 'port'],
  ])('refuses %s with 400 ERR_VALIDATION', async (_, body, path) => {
    const res = await api('POST', '/api/connections', body);
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.json.code).toBe('ERR_VALIDATION');
    expect(res.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  });

  it('refuses a URL it cannot parse without quoting the password back', async () => {
    const res = await api('POST', '/api/connections', { name: 'x', type: 'postgres', url: 'postgres://u:hunter2-secret@db/x?sslpassword=zz' });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('ERR_VALIDATION');
    expect(res.text).not.toContain('hunter2-secret');
  });

  it('refuses invalid JSON and a duplicate name', async () => {
    const bad = await api('POST', '/api/connections', '{"name": ');
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('ERR_VALIDATION');
    const dup = await api('POST', '/api/connections', { name: 'pg-orders', type: 'postgres', url: pgOrders.readerUrl });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe('ERR_CONFLICT');
  });

  it('creates an embedded pglite connection in a folder of its own', async () => {
    const created = await api('POST', '/api/connections', { name: 'scratch', type: 'pglite' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ type: 'pglite', host: null, database: null, hasPassword: false });
    const settings = JSON.parse(server.services.box.open((await storedRow(created.json.id)).config_sealed));
    expect(settings.path).toBe(`warehouses/org_default/${created.json.id}`);
    expect((await api('POST', `/api/connections/${created.json.id}/test`)).json.ok).toBe(true);
    expect((await api('DELETE', `/api/connections/${created.json.id}`)).status).toBe(204);
  });

  describe('authentication and scoping', () => {
    it('answers 401 without a key and with a wrong key', async () => {
      for (const key of [undefined, 'ik_wrong_key_000000000000']) {
        const res = await adminClient(server.app, key)('GET', '/api/connections');
        expect(res.status).toBe(401);
        expect(res.json.code).toBe('ERR_UNAUTHENTICATED');
      }
    });

    it('answers 404 for a connection of another organisation, on every route', async () => {
      const other = await createOrg(server.services.store.db);
      const theirs = adminClient(server.app, other.key);
      expect((await theirs('GET', '/api/connections')).json.items).toEqual([]);
      for (const [method, path, body] of [
        ['GET', `/api/connections/${pgId}`],
        ['PATCH', `/api/connections/${pgId}`, { name: 'stolen' }],
        ['POST', `/api/connections/${pgId}/test`],
        ['GET', `/api/connections/${pgId}/schema`],
        ['DELETE', `/api/connections/${pgId}`],
      ] as const) {
        const res = await theirs(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.json.code).toBe('ERR_CONNECTION_NOT_FOUND');
      }
      expect((await api('GET', `/api/connections/${pgId}`)).json.name).toBe('pg-orders');
    });

    it('answers 403 ERR_FORBIDDEN when the role does not allow the action', async () => {
      const viewer = adminClient(server.app, (await addApiKey(server.services.store.db, server.services.defaultOrgId, 'viewer')).key);
      expect((await viewer('GET', '/api/connections')).status).toBe(200);
      const res = await viewer('POST', '/api/connections', { name: 'v', type: 'pglite' });
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ code: 'ERR_FORBIDDEN', permission: 'db:connect' });
    });
  });

  it('refuses to delete a connection datasets still use, then deletes it and closes its pool', async () => {
    const dataset = await api('POST', '/api/datasets', {
      name: 'pg_orders_tmp',
      label: 'Orders',
      connectionId: pgId,
      table: pgOrders.table,
      columns: [{ name: 'id', type: 'number', role: 'dimension' }],
    });
    expect(dataset.status).toBe(201);
    const refused = await api('DELETE', `/api/connections/${pgId}`);
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'ERR_CONFLICT', datasets: ['pg_orders_tmp'] });

    expect((await api('DELETE', `/api/datasets/${dataset.json.id}`)).status).toBe(204);
    expect((await api('DELETE', `/api/connections/${pgId}`)).status).toBe(204);
    expect((await api('GET', `/api/connections/${pgId}`)).status).toBe(404);
    expect(await server.services.store.db.selectFrom('connection_schemas').select('connection_id').where('connection_id', '=', pgId).execute()).toEqual([]);
    // The pool is gone: the role can be dropped without "role is being used" trouble, and no session remains.
    const sessions = await pgOrders.direct<{ n: number }>(`select count(*)::int as n from pg_stat_activity where usename = $1`, [pgOrders.reader.user]);
    expect(sessions[0]?.n).toBe(0);
  });
});
