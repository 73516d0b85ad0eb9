/**
 * The default organisation, its first embed key and the bootstrap admin API
 * key, created at start from the configuration. Settings from the environment
 * win over what the store holds, so rotating INSIGHT_EMBED_SECRET takes effect
 * on the next start.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { StoreSchema } from '../store/store-schema.ts';

export const DEFAULT_ORG_ID = 'org_default';
export const DEFAULT_EMBED_KEY_ID = 'default';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export async function ensureDefaultOrg(
  db: Kysely<StoreSchema>,
  box: SecretBox,
  options: { embedSecret: string; adminApiKey: string; allowedOrigins: string[] },
): Promise<string> {
  await db.insertInto('organisations').values({ id: DEFAULT_ORG_ID, name: 'Default organisation', slug: 'default' }).onConflict((oc) => oc.doNothing()).execute();

  const key = await db.selectFrom('embed_keys').selectAll().where('id', '=', DEFAULT_EMBED_KEY_ID).executeTakeFirst();
  if (!key) {
    await db
      .insertInto('embed_keys')
      .values({
        id: DEFAULT_EMBED_KEY_ID,
        org_id: DEFAULT_ORG_ID,
        name: 'Default embed key',
        secret_sealed: box.seal(options.embedSecret),
        allowed_origins: JSON.stringify(options.allowedOrigins),
        max_ttl_seconds: 86_400,
        revoked_at: null,
      })
      .execute();
  } else if (box.open(key.secret_sealed) !== options.embedSecret || JSON.stringify(key.allowed_origins) !== JSON.stringify(options.allowedOrigins)) {
    await db
      .updateTable('embed_keys')
      .set({ secret_sealed: box.seal(options.embedSecret), allowed_origins: JSON.stringify(options.allowedOrigins) })
      .where('id', '=', DEFAULT_EMBED_KEY_ID)
      .execute();
  }

  const hash = hashApiKey(options.adminApiKey);
  await db
    .insertInto('api_keys')
    .values({ id: `k_${hash.slice(0, 16)}`, org_id: DEFAULT_ORG_ID, name: 'Bootstrap admin key', prefix: options.adminApiKey.slice(0, 7), key_hash: hash, role: 'owner', last_used_at: null, revoked_at: null })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return DEFAULT_ORG_ID;
}
