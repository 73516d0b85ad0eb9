/**
 * Helpers for admin API tests: requests with an API key, and extra
 * organisations and keys written straight into the platform store.
 */
import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { hashApiKey } from '../bootstrap/ensure-default-org.ts';
import type { StoreSchema } from '../store/store-schema.ts';

/** The bootstrap key `createTestServer` configures (role owner, default organisation). */
export const TEST_ADMIN_KEY = 'ik_test_admin_key_0123456789';
export const TEST_ADMIN_KEY_ID = `k_${hashApiKey(TEST_ADMIN_KEY).slice(0, 16)}`;

export interface AdminResponse<T = any> {
  status: number;
  contentType: string | null;
  /** The raw body, to assert what must never appear in it. */
  text: string;
  json: T;
  headers: Headers;
}

/**
 * @example
 * const api = adminClient(server.app, TEST_ADMIN_KEY);
 * const { status, json } = await api('POST', '/api/connections', { name: 'pg', type: 'postgres', url });
 */
export function adminClient(app: Hono<any>, key: string | undefined) {
  return async function request<T = any>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<AdminResponse<T>> {
    const headers = new Headers(extraHeaders);
    if (key !== undefined) headers.set('authorization', `Bearer ${key}`);
    if (body !== undefined) headers.set('content-type', 'application/json');
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    const text = await res.text();
    let json: any = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, contentType: res.headers.get('content-type'), text, json, headers: res.headers };
  };
}

/** An API key for an organisation, stored hashed like real ones. */
export async function addApiKey(db: Kysely<StoreSchema>, orgId: string, role: string): Promise<{ key: string; keyId: string }> {
  const key = `ik_${randomBytes(18).toString('base64url')}`;
  const keyId = `k_${hashApiKey(key).slice(0, 16)}`;
  await db
    .insertInto('api_keys')
    .values({ id: keyId, org_id: orgId, name: `${role} key`, prefix: key.slice(0, 7), key_hash: hashApiKey(key), role, last_used_at: null, revoked_at: null })
    .execute();
  return { key, keyId };
}

/** A second organisation with an owner key, to prove one organisation cannot reach another's resources. */
export async function createOrg(db: Kysely<StoreSchema>, name = 'other'): Promise<{ orgId: string; key: string; keyId: string }> {
  const orgId = `org_${name}_${randomBytes(4).toString('hex')}`;
  await db.insertInto('organisations').values({ id: orgId, name, slug: orgId }).execute();
  return { orgId, ...(await addApiKey(db, orgId, 'owner')) };
}
