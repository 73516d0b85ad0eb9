/**
 * Authentication of the admin API: `Authorization: Bearer <api key or
 * session JWT>`. Keys are stored only as their sha256, so the lookup is by
 * hash; a revoked key is the same as an unknown one. A session JWT is checked
 * against its session on every request, so a logout or a revoked refresh
 * family ends it at once. Either way the caller's role is resolved here into
 * a permission set (custom roles included), which requirePermission reads.
 * `last_used_at` is refreshed at most once per interval per key, so a busy
 * integration does not write to the store on every request.
 */
import type { Kysely } from 'kysely';
import type { MiddlewareHandler } from 'hono';
import { hashApiKey } from '../bootstrap/ensure-default-org.ts';
import { InsightError } from '../errors/insight-error.ts';
import type { AuditLog } from '../identity/audit-log.ts';
import { looksLikeJwt, type SessionKey } from '../identity/session-token.ts';
import type { StoreSchema } from '../store/store-schema.ts';
import { isBuiltInRole, knownPermissions, ROLE_PERMISSIONS, type Permission } from './permissions.ts';

export interface AdminActor {
  type: 'user' | 'api_key';
  id: string;
}

export interface AdminContext {
  orgId: string;
  /** The API key's id (never the key); for a user session, the user's id. Prefer `actor`. */
  keyId: string;
  /** A built-in role name or a custom role's id. */
  role: string;
  /** What the role grants, resolved at authentication (custom roles included). */
  permissions: ReadonlySet<Permission>;
  /** Who is calling: a user (session JWT) or an API key. */
  actor: AdminActor;
  /** The session of a user caller. */
  sessionId?: string;
}

export type AdminEnv = {
  Variables: {
    admin: AdminContext;
    /** Where adminApp's audit middleware writes (set by adminAuth when it has a log). */
    auditLog: AuditLog | undefined;
    /** A route's summary of the resource before its change, for the audit entry. */
    auditBefore: unknown;
  };
};

export interface AdminAuthOptions {
  db: Kysely<StoreSchema>;
  /** Verifies session JWTs; without it only API keys are accepted. */
  sessionKey?: SessionKey;
  /** The audit log adminApp's middleware records changes into. */
  audit?: AuditLog;
  /** Refresh `last_used_at` at most this often per key (default one minute). */
  touchIntervalMs?: number;
  now?: () => number;
  /** Called when refreshing `last_used_at` fails; the request goes on regardless. */
  onTouchError?: (error: unknown) => void;
}

/** Longer than any key or session token we issue; a bound keeps hashing cheap for garbage headers. */
const MAX_CREDENTIAL_LENGTH = 2048;

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

  /** A built-in role's set, or the custom role's list joined in by the lookup (none for a deleted role). */
  const permissionsOf = (role: string, custom: unknown): ReadonlySet<Permission> =>
    isBuiltInRole(role) ? ROLE_PERMISSIONS[role] : Array.isArray(custom) ? knownPermissions(custom as string[]) : new Set();

  async function fromSession(token: string): Promise<AdminContext> {
    if (!options.sessionKey) throw new InsightError('ERR_UNAUTHENTICATED', 'The API key is not valid');
    const claims = await options.sessionKey.verify(token, now());
    const row = await db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .leftJoin('roles as r', (join) => join.onRef('r.id', '=', 'u.role').onRef('r.org_id', '=', 'u.org_id'))
      .select(['u.id', 'u.org_id', 'u.role', 'r.permissions'])
      .where('s.id', '=', claims.sessionId)
      .where('s.user_id', '=', claims.userId)
      .where('s.revoked_at', 'is', null)
      .where('s.expires_at', '>', new Date(now()))
      .executeTakeFirst();
    if (!row || row.org_id !== claims.orgId) throw new InsightError('ERR_UNAUTHENTICATED', 'The session has ended; log in again');
    return {
      orgId: row.org_id,
      keyId: row.id,
      role: row.role,
      permissions: permissionsOf(row.role, row.permissions),
      actor: { type: 'user', id: row.id },
      sessionId: claims.sessionId,
    };
  }

  async function fromApiKey(key: string): Promise<AdminContext> {
    const row = await db
      .selectFrom('api_keys as k')
      .leftJoin('roles as r', (join) => join.onRef('r.id', '=', 'k.role').onRef('r.org_id', '=', 'k.org_id'))
      .select(['k.id', 'k.org_id', 'k.role', 'k.last_used_at', 'r.permissions'])
      .where('k.key_hash', '=', hashApiKey(key))
      .where('k.revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw new InsightError('ERR_UNAUTHENTICATED', 'The API key is not valid');
    touch(row.id, row.last_used_at);
    return { orgId: row.org_id, keyId: row.id, role: row.role, permissions: permissionsOf(row.role, row.permissions), actor: { type: 'api_key', id: row.id } };
  }

  return async function adminAuthHandler(c, next) {
    const match = c.req.header('authorization')?.match(/^Bearer\s+(\S+)\s*$/i);
    if (!match) throw new InsightError('ERR_UNAUTHENTICATED', 'Send an API key or session token as "Authorization: Bearer <credential>"');
    const credential = match[1] as string;
    if (credential.length > MAX_CREDENTIAL_LENGTH) throw new InsightError('ERR_UNAUTHENTICATED', 'The credential is not valid');
    c.set('admin', looksLikeJwt(credential) ? await fromSession(credential) : await fromApiKey(credential));
    c.set('auditLog', options.audit);
    await next();
  };
}
