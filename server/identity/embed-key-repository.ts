/**
 * Embed signing keys of an organisation. Several may be active at once (a
 * token's `kid` names one), so a host rotates by adding a key, moving its
 * signer over, then revoking the old one. The secret is shown once, on
 * create, and sealed at rest with the secret box. Every change drops this
 * instance's key ring cache at once; other instances pick it up within the
 * ring's cache lifetime (30 s).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { MAX_TOKEN_LIFETIME_SECONDS } from '@insight-engine/sdk/protocol';
import type { SecretBox } from '../crypto/secret-box.ts';
import { InsightError } from '../errors/insight-error.ts';
import { writeVersioned, type ExpectedVersion } from '../store/resource-version.ts';
import type { EmbedKeyRow, StoreSchema } from '../store/store-schema.ts';
import type { EmbedKeyRing } from '../tokens/embed-key-ring.ts';

export interface EmbedKeyView {
  /** The `kid` tokens name in their header. */
  id: string;
  name: string;
  allowedOrigins: string[];
  maxTtlSeconds: number;
  /** Incremented by every change (revocation included); the ETag is this number in quotes. */
  version: number;
  createdAt: string;
  revokedAt: string | null;
}

/** `*` or a bare origin: scheme, host and port, nothing after. */
const originSchema = z
  .string()
  .max(200)
  .refine((value) => {
    if (value === '*') return true;
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
    } catch {
      return false;
    }
  }, 'an origin such as https://app.example.com, or *');

export const createEmbedKeySchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    allowedOrigins: z.array(originSchema).max(50).default([]),
    maxTtlSeconds: z.number().int().min(60).max(MAX_TOKEN_LIFETIME_SECONDS).default(3600),
  })
  .strict();
export const updateEmbedKeySchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    allowedOrigins: z.array(originSchema).max(50).optional(),
    maxTtlSeconds: z.number().int().min(60).max(MAX_TOKEN_LIFETIME_SECONDS).optional(),
  })
  .strict();
export const revokeTokenSchema = z
  .object({
    jti: z.string().min(1).max(200),
    /** The token's `exp` (seconds since the epoch): the entry is kept until then. */
    exp: z.number().int().positive(),
  })
  .strict();

export interface EmbedKeyRepository {
  list(orgId: string): Promise<EmbedKeyView[]>;
  get(orgId: string, id: string): Promise<EmbedKeyView>;
  create(orgId: string, input: z.infer<typeof createEmbedKeySchema>): Promise<EmbedKeyView & { secret: string }>;
  /** With `expected`, only over that version (ERR_VERSION_CONFLICT otherwise). */
  update(orgId: string, id: string, input: z.infer<typeof updateEmbedKeySchema>, expected?: ExpectedVersion): Promise<EmbedKeyView>;
  revoke(orgId: string, id: string, expected?: ExpectedVersion): Promise<EmbedKeyView>;
  revokeToken(orgId: string, input: z.infer<typeof revokeTokenSchema>): Promise<void>;
}

const view = (row: EmbedKeyRow): EmbedKeyView => ({
  id: row.id,
  name: row.name,
  allowedOrigins: row.allowed_origins,
  maxTtlSeconds: row.max_ttl_seconds,
  version: row.version,
  createdAt: row.created_at.toISOString(),
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

export function createEmbedKeyRepository(db: Kysely<StoreSchema>, box: SecretBox, keys: EmbedKeyRing): EmbedKeyRepository {
  const notFound = () => new InsightError('ERR_NOT_FOUND', 'Embed key not found');

  async function get(orgId: string, id: string): Promise<EmbedKeyView> {
    const row = await db.selectFrom('embed_keys').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound();
    return view(row);
  }

  return {
    async list(orgId) {
      return (await db.selectFrom('embed_keys').selectAll().where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute()).map(view);
    },

    get,

    async create(orgId, input) {
      const secret = randomBytes(32).toString('base64url');
      const row = await db
        .insertInto('embed_keys')
        .values({
          id: `ek_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
          org_id: orgId,
          name: input.name,
          secret_sealed: box.seal(secret),
          allowed_origins: JSON.stringify(input.allowedOrigins),
          max_ttl_seconds: input.maxTtlSeconds,
          revoked_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      keys.forget();
      return { ...view(row), secret };
    },

    async update(orgId, id, input, expected) {
      const set = {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.allowedOrigins !== undefined ? { allowed_origins: JSON.stringify(input.allowedOrigins) } : {}),
        ...(input.maxTtlSeconds !== undefined ? { max_ttl_seconds: input.maxTtlSeconds } : {}),
      };
      const row = await writeVersioned(db, 'embed_keys', { orgId, id }, expected, notFound, async (tx) => {
        if (Object.keys(set).length > 0) await tx.updateTable('embed_keys').set(set).where('id', '=', id).execute();
        return tx.selectFrom('embed_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      });
      keys.forget();
      return view(row);
    },

    async revoke(orgId, id, expected) {
      const before = await get(orgId, id);
      if (before.revokedAt) return before;
      await writeVersioned(db, 'embed_keys', { orgId, id }, expected, notFound, (tx) =>
        tx.updateTable('embed_keys').set({ revoked_at: new Date() }).where('org_id', '=', orgId).where('id', '=', id).where('revoked_at', 'is', null).execute(),
      );
      keys.forget();
      return get(orgId, id);
    },

    async revokeToken(orgId, input) {
      const expiresAt = new Date(input.exp * 1000);
      await db
        .insertInto('revoked_embed_tokens')
        .values({ org_id: orgId, jti: input.jti, expires_at: expiresAt })
        .onConflict((oc) => oc.columns(['org_id', 'jti']).doUpdateSet({ expires_at: expiresAt }))
        .execute();
      // Entries past their token's expiry protect nothing any more.
      await db.deleteFrom('revoked_embed_tokens').where('expires_at', '<', new Date(Date.now() - 3600_000)).execute();
      keys.forget();
    },
  };
}
