import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemResponse, toInsightError } from '../errors/problem-response.ts';
import { openStore, type Store } from '../store/open-store.ts';
import { createSessionKey, type SessionKey } from '../identity/session-token.ts';
import { addApiKey } from '../testing/admin-fixtures.ts';
import { until } from '../testing/wait.ts';
import { adminAuth, type AdminEnv } from './admin-auth.ts';

let store: Store;
let clock = Date.parse('2024-06-01T12:00:00Z');
let app: Hono<AdminEnv>;
let key: string;
let keyId: string;
let sessionKey: SessionKey;

const get = (authorization?: string) => app.request('/whoami', authorization ? { headers: { authorization } } : {});
const lastUsed = async (id: string) =>
  (await store.db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()).last_used_at;
/** The touch is written in the background; give it a moment. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

beforeAll(async () => {
  store = await openStore({ dataDir: 'memory://' });
  await store.db.insertInto('organisations').values({ id: 'org_a', name: 'A', slug: 'a' }).execute();
  ({ key, keyId } = await addApiKey(store.db, 'org_a', 'analyst'));
  sessionKey = await createSessionKey('a-session-secret-for-these-tests-0123456789');
  app = new Hono<AdminEnv>();
  app.onError((error, c) => problemResponse(c, toInsightError(error)));
  app.use('*', adminAuth({ db: store.db, sessionKey, touchIntervalMs: 60_000, now: () => clock }));
  app.get('/whoami', (c) => {
    const admin = c.get('admin');
    return c.json({ ...admin, permissions: [...admin.permissions].sort() });
  });
});

afterAll(async () => {
  await store?.close();
});

describe('adminAuth', () => {
  it('puts the key organisation, id and role on the context', async () => {
    const res = await get(`Bearer ${key}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      orgId: 'org_a',
      keyId,
      role: 'analyst',
      actor: { type: 'api_key', id: keyId },
      permissions: ['ai:analyze', 'ai:query', 'ai:recommend', 'datasource:read', 'db:query', 'export:data', 'file:read', 'story:create', 'story:edit', 'user:read'],
    });
  });

  it.each([
    ['no header', undefined],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['an unknown key', 'Bearer ik_not_a_real_key_000000000'],
    ['a key that is too long', `Bearer ${'x'.repeat(600)}`],
  ])('answers 401 ERR_UNAUTHENTICATED for %s', async (_, header) => {
    const res = await get(header);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((await res.json()).code).toBe('ERR_UNAUTHENTICATED');
  });

  it('refuses a revoked key', async () => {
    const revoked = await addApiKey(store.db, 'org_a', 'owner');
    expect((await get(`Bearer ${revoked.key}`)).status).toBe(200);
    await store.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', revoked.keyId).execute();
    const res = await get(`Bearer ${revoked.key}`);
    expect(res.status).toBe(401);
    expect((await res.json()).code).toBe('ERR_UNAUTHENTICATED');
  });

  it('records the last use at most once a minute per key', async () => {
    const fresh = await addApiKey(store.db, 'org_a', 'viewer');
    expect(await lastUsed(fresh.keyId)).toBeNull();

    await get(`Bearer ${fresh.key}`);
    // The write is in the background: wait for it instead of for a while.
    await until(async () => (await lastUsed(fresh.keyId)) !== null, { what: 'last use written' });
    const first = await lastUsed(fresh.keyId);
    expect(first?.getTime()).toBe(clock);

    clock += 30_000;
    await get(`Bearer ${fresh.key}`);
    await get(`Bearer ${fresh.key}`);
    await settle();
    expect((await lastUsed(fresh.keyId))?.getTime()).toBe(first?.getTime());

    clock += 31_000;
    await get(`Bearer ${fresh.key}`);
    await until(async () => (await lastUsed(fresh.keyId))?.getTime() === clock, { what: 'last use written again' });
  });
});

describe('adminAuth with a custom role', () => {
  it('resolves the role of the key organisation into its permissions, and a deleted role into none', async () => {
    await store.db.insertInto('roles').values({ id: 'role_minter', org_id: 'org_a', name: 'Minter', description: null, permissions: JSON.stringify(['embed:mint', 'no:such']) }).execute();
    const custom = await addApiKey(store.db, 'org_a', 'role_minter');
    const res = await get(`Bearer ${custom.key}`);
    expect(await res.json()).toMatchObject({ role: 'role_minter', permissions: ['embed:mint'] });

    // The same role id in another organisation grants nothing here.
    await store.db.insertInto('organisations').values({ id: 'org_b', name: 'B', slug: 'b' }).execute();
    const foreign = await addApiKey(store.db, 'org_b', 'role_minter');
    expect(await (await get(`Bearer ${foreign.key}`)).json()).toMatchObject({ permissions: [] });

    await store.db.deleteFrom('roles').where('id', '=', 'role_minter').execute();
    expect(await (await get(`Bearer ${custom.key}`)).json()).toMatchObject({ permissions: [] });
  });
});

describe('adminAuth with a session token', () => {
  const userId = 'u_session_test';
  const sessionId = 'ses_test';
  const sign = (claims: Partial<{ userId: string; orgId: string; sessionId: string }> = {}, at = clock) =>
    sessionKey.sign({ userId, orgId: 'org_a', sessionId, ...claims }, at).then((t) => t.token);

  beforeAll(async () => {
    await store.db.insertInto('users').values({ id: userId, org_id: 'org_a', email: 'session@example.com', name: 'S', role: 'developer', password_hash: null }).execute();
    await store.db.insertInto('sessions').values({ id: sessionId, org_id: 'org_a', user_id: userId, ip: null, user_agent: null, expires_at: new Date(clock + 86_400_000), revoked_at: null, revoked_reason: null }).execute();
  });

  it('puts the user as the actor, with the user role', async () => {
    const res = await get(`Bearer ${await sign()}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ orgId: 'org_a', role: 'developer', actor: { type: 'user', id: userId }, sessionId });
  });

  it.each([
    ['an expired token', async () => sign({}, clock - 16 * 60_000), 'ERR_TOKEN_EXPIRED'],
    ['a token signed with another key', async () => (await createSessionKey('another-session-secret-0123456789-abcdef')).sign({ userId, orgId: 'org_a', sessionId }, clock).then((t) => t.token), 'ERR_UNAUTHENTICATED'],
    ['a token naming another organisation', async () => sign({ orgId: 'org_b' }), 'ERR_UNAUTHENTICATED'],
    ['a token of an unknown session', async () => sign({ sessionId: 'ses_nope' }), 'ERR_UNAUTHENTICATED'],
  ])('refuses %s', async (_, make, code) => {
    const res = await get(`Bearer ${await make()}`);
    expect(res.status).toBe(401);
    expect((await res.json()).code).toBe(code);
  });

  it('refuses the token at once when its session is revoked', async () => {
    const token = await sign();
    expect((await get(`Bearer ${token}`)).status).toBe(200);
    await store.db.updateTable('sessions').set({ revoked_at: new Date(clock) }).where('id', '=', sessionId).execute();
    const res = await get(`Bearer ${token}`);
    expect(res.status).toBe(401);
    expect((await res.json()).code).toBe('ERR_UNAUTHENTICATED');
  });
});
