/**
 * Identity across two server instances sharing one PostgreSQL platform store:
 * sessions, refresh rotation, the login lockout and API key revocation hold
 * for the whole deployment, not per process.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { POSTGRES_URL, serviceAvailable } from '../testing/services.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';

const SCHEMA = `insight_identity_test_${process.pid}`;
const PASSWORD = 'a long enough password pg';

describe.skipIf(!(await serviceAvailable('postgres')))('identity on PostgreSQL with two instances', () => {
  let one: TestServer;
  let two: TestServer;

  const post = async (server: TestServer, path: string, body: unknown, ip = '192.0.2.1') => {
    const res = await server.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, { incoming: { socket: { remoteAddress: ip } } });
    return { status: res.status, json: (await res.json()) as any };
  };

  beforeAll(async () => {
    const shared = { demo: false, databaseUrl: POSTGRES_URL, allowRegistration: true };
    // One after the other: the first one migrates the shared store.
    one = await createTestServer(shared, { storeSchema: SCHEMA });
    two = await createTestServer(shared, { storeSchema: SCHEMA });
    expect(one.services.store.kind).toBe('postgres');
    expect((await post(one, '/api/auth/register', { organisation: 'Two Instances', name: 'Pat', email: 'pat@pg.test', password: PASSWORD })).status).toBe(201);
  });

  afterAll(async () => {
    await one?.close();
    await two?.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade`);
    await client.end();
  });

  it('accepts a session of one instance on the other, and ends it on both at logout', async () => {
    const login = await post(one, '/api/auth/login', { email: 'pat@pg.test', password: PASSWORD });
    const onTwo = adminClient(two.app, login.json.accessToken);
    expect((await onTwo('GET', '/api/auth/me')).status).toBe(200);
    expect((await adminClient(one.app, login.json.accessToken)('POST', '/api/auth/logout')).status).toBe(204);
    expect((await onTwo('GET', '/api/auth/me')).status).toBe(401);
  });

  it('lets exactly one of two simultaneous refreshes win, and revokes the family', async () => {
    const login = await post(one, '/api/auth/login', { email: 'pat@pg.test', password: PASSWORD });
    const [a, b] = await Promise.all([
      post(one, '/api/auth/refresh', { refreshToken: login.json.refreshToken }),
      post(two, '/api/auth/refresh', { refreshToken: login.json.refreshToken }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 401]);
    const loser = a.status === 401 ? a : b;
    const winner = a.status === 200 ? a : b;
    expect(loser.json.code).toBe('ERR_REFRESH_TOKEN_REUSED');
    // The race is treated as a reuse: the winner's tokens die with the family.
    expect((await adminClient(two.app, winner.json.accessToken)('GET', '/api/auth/me')).status).toBe(401);
    expect((await post(one, '/api/auth/refresh', { refreshToken: winner.json.refreshToken })).status).toBe(401);
  });

  it('counts failed logins across instances', async () => {
    const ip = '198.51.100.20';
    const results: number[] = [];
    for (let i = 0; i < 5; i++) results.push((await post(i % 2 ? two : one, '/api/auth/login', { email: 'pat@pg.test', password: `wrong ${i}` }, ip)).status);
    expect(results).toEqual([401, 401, 401, 401, 429]);
    expect((await post(one, '/api/auth/login', { email: 'pat@pg.test', password: PASSWORD }, ip)).status).toBe(429);
    expect((await post(two, '/api/auth/login', { email: 'pat@pg.test', password: PASSWORD }, ip)).status).toBe(429);
  });

  it('refuses an API key on every instance as soon as it is revoked on one', async () => {
    const created = await adminClient(one.app, TEST_ADMIN_KEY)('POST', '/api/api-keys', { name: 'pg key', role: 'viewer' });
    const onTwo = adminClient(two.app, created.json.key);
    expect((await onTwo('GET', '/api/users')).status).toBe(200);
    expect((await adminClient(one.app, TEST_ADMIN_KEY)('DELETE', `/api/api-keys/${created.json.id}`)).status).toBe(204);
    expect((await onTwo('GET', '/api/users')).status).toBe(401);
  });
});
