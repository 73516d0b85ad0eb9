/**
 * API keys of an organisation. The key is shown once, when created; the
 * store keeps its sha256 (the scheme of the bootstrap key) and a short
 * prefix to recognise it in lists. Revoking is immediate: authentication
 * looks the hash up on every request.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { hashApiKey } from '../bootstrap/ensure-default-org.ts';
import { InsightError } from '../errors/insight-error.ts';
import type { ApiKeyRow, StoreSchema } from '../store/store-schema.ts';

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  role: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface ApiKeyRepository {
  list(orgId: string): Promise<ApiKeyView[]>;
  get(orgId: string, id: string): Promise<ApiKeyView>;
  /** The new key in clear, this once. */
  create(orgId: string, input: { name: string; role: string }): Promise<ApiKeyView & { key: string }>;
  revoke(orgId: string, id: string): Promise<ApiKeyView>;
}

const view = (row: ApiKeyRow): ApiKeyView => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  role: row.role,
  createdAt: row.created_at.toISOString(),
  lastUsedAt: row.last_used_at?.toISOString() ?? null,
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

export function createApiKeyRepository(db: Kysely<StoreSchema>): ApiKeyRepository {
  async function get(orgId: string, id: string): Promise<ApiKeyView> {
    const row = await db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new InsightError('ERR_NOT_FOUND', 'API key not found');
    return view(row);
  }

  return {
    async list(orgId) {
      return (await db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute()).map(view);
    },

    get,

    async create(orgId, input) {
      const key = `ik_${randomBytes(24).toString('base64url')}`;
      const hash = hashApiKey(key);
      const row = await db
        .insertInto('api_keys')
        .values({ id: `k_${hash.slice(0, 16)}`, org_id: orgId, name: input.name, prefix: key.slice(0, 7), key_hash: hash, role: input.role, last_used_at: null, revoked_at: null })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { ...view(row), key };
    },

    async revoke(orgId, id) {
      const before = await get(orgId, id);
      if (before.revokedAt) return before;
      const row = await db
        .updateTable('api_keys')
        .set({ revoked_at: new Date() })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      return row ? view(row) : get(orgId, id);
    },
  };
}
