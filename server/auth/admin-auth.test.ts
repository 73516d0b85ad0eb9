import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemResponse, toInsightError } from '../errors/problem-response.ts';
import { openStore, type Store } from '../store/open-store.ts';
import { addApiKey } from '../testing/admin-fixtures.ts';
import { adminAuth, type AdminEnv } from './admin-auth.ts';

let store: Store;
let clock = Date.parse('2024-06-01T12:00:00Z');
let app: Hono<AdminEnv>;
let key: string;
let keyId: string;

const get = (authorization?: string) => app.request('/whoami', authorization ? { headers: { authorization } } : {});
const lastUsed = async (id: string) =>
  (await store.db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()).last_used_at;
/** The touch is written in the background; give it a moment. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

beforeAll(async () => {
  store = await openStore({ dataDir: 'memory://' });
  await store.db.insertInto('organisations').values({ id: 'org_a', name: 'A', slug: 'a' }).execute();
  ({ key, keyId } = await addApiKey(store.db, 'org_a', 'analyst'));
  app = new Hono<AdminEnv>();
  app.onError((error, c) => problemResponse(c, toInsightError(error)));
  app.use('*', adminAuth({ db: store.db, touchIntervalMs: 60_000, now: () => clock }));
  app.get('/whoami', (c) => c.json(c.get('admin')));
});

afterAll(async () => {
  await store?.close();
});

describe('adminAuth', () => {
  it('puts the key organisation, id and role on the context', async () => {
    const res = await get(`Bearer ${key}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ orgId: 'org_a', keyId, role: 'analyst' });
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
    await settle();
    const first = await lastUsed(fresh.keyId);
    expect(first?.getTime()).toBe(clock);

    clock += 30_000;
    await get(`Bearer ${fresh.key}`);
    await get(`Bearer ${fresh.key}`);
    await settle();
    expect((await lastUsed(fresh.keyId))?.getTime()).toBe(first?.getTime());

    clock += 31_000;
    await get(`Bearer ${fresh.key}`);
    await settle();
    expect((await lastUsed(fresh.keyId))?.getTime()).toBe(clock);
  });
});
