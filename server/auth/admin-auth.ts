/**
 * Authentication of the admin API: `Authorization: Bearer <api key>`. Keys
 * are stored only as their sha256, so the lookup is by hash; a revoked key is
 * the same as an unknown one. `last_used_at` is refreshed at most once per
 * interval per key, so a busy integration does not write to the store on
 * every request.
 */
import type { Kysely } from 'kysely';
import type { MiddlewareHandler } from 'hono';
import { hashApiKey } from '../bootstrap/ensure-default-org.ts';
import { InsightError } from '../errors/insight-error.ts';
import type { StoreSchema } from '../store/store-schema.ts';

export interface AdminContext {
  orgId: string;
  /** The API key's id (never the key). */
  keyId: string;
  role: string;
}

export type AdminEnv = { Variables: { admin: AdminContext } };

export interface AdminAuthOptions {
  db: Kysely<StoreSchema>;
  /** Refresh `last_used_at` at most this often per key (default one minute). */
  touchIntervalMs?: number;
  now?: () => number;
  /** Called when refreshing `last_used_at` fails; the request goes on regardless. */
  onTouchError?: (error: unknown) => void;
}

/** Longer than any key we issue; a bound keeps hashing cheap for garbage headers. */
const MAX_KEY_LENGTH = 512;

/**
 * @example
 * const api = new Hono<AdminEnv>();
 * api.use('*', adminAuth({ db: services.store.db }));
 * api.get('/things', (c) => c.json({ org: c.get('admin').orgId }));
 */
export function adminAuth(options: AdminAuthOptions): MiddlewareHandler<AdminEnv> {
  const { db } = options;
  const interval = options.touchIntervalMs ?? 60_000;
  const now = options.now ?? Date.now;
  // Keys this instance touched recently: skips even the guarded UPDATE.
  const touched = new Map<string, number>();

  function touch(keyId: string, lastUsed: Date | null): void {
    const at = now();
    if (lastUsed && at - lastUsed.getTime() < interval) return;
    const mine = touched.get(keyId);
    if (mine !== undefined && at - mine < interval) return;
    touched.set(keyId, at);
    if (touched.size > 10_000) touched.clear();
    const stamp = new Date(at);
    // The guard keeps several instances (or a race here) from writing more than once per interval.
    void db
      .updateTable('api_keys')
      .set({ last_used_at: stamp })
      .where('id', '=', keyId)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', new Date(at - interval))]))
      .execute()
      .catch((error: unknown) => {
        touched.delete(keyId);
        options.onTouchError?.(error);
      });
  }

  return async function adminAuthHandler(c, next) {
    const match = c.req.header('authorization')?.match(/^Bearer\s+(\S+)\s*$/i);
    if (!match) throw new InsightError('ERR_UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>"');
    const key = match[1] as string;
    if (key.length > MAX_KEY_LENGTH) throw new InsightError('ERR_UNAUTHENTICATED', 'The API key is not valid');
    const row = await db
      .selectFrom('api_keys')
      .select(['id', 'org_id', 'role', 'last_used_at'])
      .where('key_hash', '=', hashApiKey(key))
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw new InsightError('ERR_UNAUTHENTICATED', 'The API key is not valid');
    c.set('admin', { orgId: row.org_id, keyId: row.id, role: row.role });
    touch(row.id, row.last_used_at);
    await next();
  };
}
