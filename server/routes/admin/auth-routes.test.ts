import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

let server: TestServer;

interface Call {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** A request as a client at `ip` would send it (the socket address is what the lockout counts by). */
async function call(method: string, path: string, options: { body?: unknown; bearer?: string; ip?: string; userAgent?: string } = {}): Promise<Call> {
  const headers = new Headers();
  if (options.bearer) headers.set('authorization', `Bearer ${options.bearer}`);
  if (options.body !== undefined) headers.set('content-type', 'application/json');
  if (options.userAgent) headers.set('user-agent', options.userAgent);
  const res = await server.app.request(
    path,
    { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) },
    { incoming: { socket: { remoteAddress: options.ip ?? '192.0.2.10' } } },
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

const PASSWORD = 'a long enough password 1';

beforeAll(async () => {
  server = await createTestServer({ demo: false, allowRegistration: true });
});
afterAll(async () => {
  await server?.close();
});

describe('register, login, me, logout', () => {
  let accessToken: string;
  let orgId: string;

  it('registers an organisation whose first user is its owner', async () => {
    const res = await call('POST', '/api/auth/register', { body: { organisation: 'Acme Analytics', name: 'Ada', email: 'Ada@Acme.test', password: PASSWORD } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { email: 'ada@acme.test', name: 'Ada', role: 'owner' } });
    expect(res.json.refreshToken).toMatch(/^rt_/);
    expect(res.json.user.permissions).toContain('system:admin');
    expect(res.text).not.toContain(PASSWORD);
    orgId = res.json.user.orgId;
    expect(orgId).toMatch(/^org_/);
    const stored = await server.services.store.db.selectFrom('users').select('password_hash').where('email', '=', 'ada@acme.test').executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^scrypt\$/);
    expect(stored.password_hash).not.toContain(PASSWORD);
  });

  it('refuses a second registration with the same email, in any case', async () => {
    const res = await call('POST', '/api/auth/register', { body: { organisation: 'Other', name: 'Eve', email: 'ADA@acme.test', password: PASSWORD } });
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('ERR_CONFLICT');
  });

  it('refuses a short password and a malformed email with ERR_VALIDATION, never echoing the password', async () => {
    const res = await call('POST', '/api/auth/register', { body: { organisation: 'X', name: 'X', email: 'not-an-email', password: 'short' } });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('ERR_VALIDATION');
    expect(res.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(['email', 'password']);
    expect(res.text).not.toContain('"short"');
  });

  it('logs in and answers who the user is', async () => {
    const login = await call('POST', '/api/auth/login', { body: { email: 'ada@acme.test', password: PASSWORD }, userAgent: 'vitest-browser' });
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
    accessToken = login.json.accessToken;
    const me = await call('GET', '/api/auth/me', { bearer: accessToken });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ orgId, role: 'owner', actor: { type: 'user' }, user: { email: 'ada@acme.test' } });
    expect(me.text).not.toMatch(/password/i);
  });

  it('lets the session use admin routes of its organisation', async () => {
    const res = await call('POST', '/api/api-keys', { bearer: accessToken, body: { name: 'ci', role: 'viewer' } });
    expect(res.status).toBe(201);
    const list = await call('GET', '/api/api-keys', { bearer: accessToken });
    expect(list.json.items.map((k: { name: string }) => k.name)).toEqual(['ci']);
  });

  it('refuses a wrong password and an unknown email alike', async () => {
    const wrong = await call('POST', '/api/auth/login', { body: { email: 'ada@acme.test', password: 'not the password' }, ip: '192.0.2.99' });
    const unknown = await call('POST', '/api/auth/login', { body: { email: 'nobody@acme.test', password: 'not the password' }, ip: '192.0.2.99' });
    expect([wrong.status, wrong.json.code]).toEqual([401, 'ERR_LOGIN_FAILED']);
    expect([unknown.status, unknown.json.code]).toEqual([401, 'ERR_LOGIN_FAILED']);
    expect(wrong.json.detail).toBe(unknown.json.detail);
  });

  it('logs out: the access token stops working at once', async () => {
    const out = await call('POST', '/api/auth/logout', { bearer: accessToken });
    expect(out.status).toBe(204);
    const me = await call('GET', '/api/auth/me', { bearer: accessToken });
    expect(me.status).toBe(401);
    expect(me.json.code).toBe('ERR_UNAUTHENTICATED');
  });

  it('answers /me for an API key too, and refuses logout for one', async () => {
    const me = await call('GET', '/api/auth/me', { bearer: 'ik_test_admin_key_0123456789' });
    expect(me.json).toMatchObject({ role: 'owner', actor: { type: 'api_key' }, apiKey: { prefix: 'ik_test' } });
    expect(me.text).not.toContain('ik_test_admin_key_0123456789');
    expect((await call('POST', '/api/auth/logout', { bearer: 'ik_test_admin_key_0123456789' })).status).toBe(400);
  });

  it('records logins and the registration in the organisation audit log, without the password', async () => {
    const login = await call('POST', '/api/auth/login', { body: { email: 'ada@acme.test', password: PASSWORD } });
    const audit = await call('GET', '/api/audit?action=auth.*', { bearer: login.json.accessToken });
    expect(audit.status).toBe(200);
    const actions = audit.json.items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['auth.register', 'auth.login', 'auth.login_failed', 'auth.logout']));
    expect(audit.text).not.toContain(PASSWORD);
    const withAgent = audit.json.items.find((e: { userAgent: string | null }) => e.userAgent === 'vitest-browser');
    expect(withAgent).toMatchObject({ action: 'auth.login', ip: '192.0.2.10' });
  });
});

describe('refresh tokens', () => {
  let refreshToken: string;

  beforeAll(async () => {
    await call('POST', '/api/auth/register', { body: { organisation: 'Refreshers', name: 'Rita', email: 'rita@refresh.test', password: PASSWORD } });
    refreshToken = (await call('POST', '/api/auth/login', { body: { email: 'rita@refresh.test', password: PASSWORD } })).json.refreshToken;
  });

  it('rotates: each refresh answers a new refresh token and a working access token', async () => {
    const first = await call('POST', '/api/auth/refresh', { body: { refreshToken } });
    expect(first.status).toBe(200);
    expect(first.json.refreshToken).not.toBe(refreshToken);
    expect((await call('GET', '/api/auth/me', { bearer: first.json.accessToken })).status).toBe(200);
    const second = await call('POST', '/api/auth/refresh', { body: { refreshToken: first.json.refreshToken } });
    expect(second.status).toBe(200);
    const stored = await server.services.store.db.selectFrom('refresh_tokens').select('token_hash').execute();
    expect(JSON.stringify(stored)).not.toContain(second.json.refreshToken);
  });

  it('revokes the whole family when a used refresh token comes back', async () => {
    const login = await call('POST', '/api/auth/login', { body: { email: 'rita@refresh.test', password: PASSWORD } });
    const stolen = login.json.refreshToken;
    const legit = await call('POST', '/api/auth/refresh', { body: { refreshToken: stolen } });
    expect(legit.status).toBe(200);

    const replay = await call('POST', '/api/auth/refresh', { body: { refreshToken: stolen } });
    expect(replay.status).toBe(401);
    expect(replay.json.code).toBe('ERR_REFRESH_TOKEN_REUSED');

    // Everything of that family is dead: the newest refresh token and the access tokens.
    const next = await call('POST', '/api/auth/refresh', { body: { refreshToken: legit.json.refreshToken } });
    expect(next.status).toBe(401);
    expect((await call('GET', '/api/auth/me', { bearer: legit.json.accessToken })).status).toBe(401);
    expect((await call('GET', '/api/auth/me', { bearer: login.json.accessToken })).status).toBe(401);

    // Other sessions of the same user are untouched.
    const other = await call('POST', '/api/auth/refresh', { body: { refreshToken } }).catch(() => undefined);
    expect(other?.status).toBe(401); // `refreshToken` itself was rotated in the previous test
    const fresh = await call('POST', '/api/auth/login', { body: { email: 'rita@refresh.test', password: PASSWORD } });
    expect((await call('GET', '/api/auth/me', { bearer: fresh.json.accessToken })).status).toBe(200);
  });

  it('refuses an unknown refresh token', async () => {
    expect((await call('POST', '/api/auth/refresh', { body: { refreshToken: 'rt_unknown' } })).json.code).toBe('ERR_UNAUTHENTICATED');
  });

  it('ends sessions when the user is deleted', async () => {
    const owner = await call('POST', '/api/auth/login', { body: { email: 'rita@refresh.test', password: PASSWORD } });
    const added = await call('POST', '/api/users', { bearer: owner.json.accessToken, body: { email: 'temp@refresh.test', name: 'Temp', role: 'viewer', password: PASSWORD } });
    expect(added.status).toBe(201);
    const temp = await call('POST', '/api/auth/login', { body: { email: 'temp@refresh.test', password: PASSWORD } });
    expect((await call('GET', '/api/auth/me', { bearer: temp.json.accessToken })).status).toBe(200);
    expect((await call('DELETE', `/api/users/${added.json.id}`, { bearer: owner.json.accessToken })).status).toBe(204);
    expect((await call('GET', '/api/auth/me', { bearer: temp.json.accessToken })).status).toBe(401);
    expect((await call('POST', '/api/auth/refresh', { body: { refreshToken: temp.json.refreshToken } })).status).toBe(401);
  });
});

describe('login lockout', () => {
  const email = 'lock@lockout.test';

  beforeAll(async () => {
    await call('POST', '/api/auth/register', { body: { organisation: 'Lockout', name: 'Lou', email, password: PASSWORD } });
  });

  it('locks an email and address after 5 failures, even for the right password, and unlocks when the lock ends', async () => {
    const ip = '198.51.100.7';
    for (let i = 1; i <= 4; i++) {
      const res = await call('POST', '/api/auth/login', { body: { email, password: `wrong ${i}` }, ip });
      expect(res.status).toBe(401);
    }
    const fifth = await call('POST', '/api/auth/login', { body: { email, password: 'wrong 5' }, ip });
    expect(fifth.status).toBe(429);
    expect(fifth.json.code).toBe('ERR_RATE_LIMITED');
    expect(Number(fifth.headers.get('retry-after'))).toBe(900);

    const right = await call('POST', '/api/auth/login', { body: { email, password: PASSWORD }, ip });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(right.text).not.toContain('accessToken');

    // Another address is not locked out by this one's failures.
    expect((await call('POST', '/api/auth/login', { body: { email, password: PASSWORD }, ip: '203.0.113.5' })).status).toBe(200);

    // The lock runs out (moved into the past here rather than waiting 15 minutes).
    await server.services.store.db.updateTable('login_attempts').set({ locked_until: new Date(Date.now() - 1000) }).execute();
    const after = await call('POST', '/api/auth/login', { body: { email, password: PASSWORD }, ip });
    expect(after.status).toBe(200);
    expect(after.json.accessToken).toBeTruthy();

    // A success clears the count: four new failures do not lock again.
    for (let i = 1; i <= 4; i++) expect((await call('POST', '/api/auth/login', { body: { email, password: `again ${i}` }, ip })).status).toBe(401);
    expect((await call('POST', '/api/auth/login', { body: { email, password: PASSWORD }, ip })).status).toBe(200);
  });
});
