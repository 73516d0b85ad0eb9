/**
 * The embed signing keys of all organisations, looked up by `kid`. Keys are
 * kept decrypted in memory for a short time so verifying a token costs no
 * store round trip on the hot path; `forget()` drops them after a change.
 */
import type { Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { StoreSchema } from '../store/store-schema.ts';

export interface EmbedKey {
  id: string;
  orgId: string;
  /** Imported once as a WebCrypto key: jose would otherwise import the raw bytes on every verification. */
  secret: CryptoKey;
  allowedOrigins: string[];
  maxTtlSeconds: number;
}

export interface EmbedKeyRing {
  /** The active key named by `kid`, or the default organisation's primary key when the token names none. */
  resolve(kid: string | undefined): Promise<EmbedKey | undefined>;
  forget(): void;
}

export function createEmbedKeyRing(db: Kysely<StoreSchema>, box: SecretBox, options: { defaultOrgId: string; ttlMs?: number }): EmbedKeyRing {
  const ttlMs = options.ttlMs ?? 30_000;
  let cached: { at: number; byId: Map<string, EmbedKey>; primary: EmbedKey | undefined } | undefined;

  async function load() {
    const rows = await db.selectFrom('embed_keys').selectAll().where('revoked_at', 'is', null).orderBy('created_at').execute();
    const byId = new Map<string, EmbedKey>();
    let primary: EmbedKey | undefined;
    for (const row of rows) {
      const secret = await crypto.subtle.importKey('raw', new TextEncoder().encode(box.open(row.secret_sealed)), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      const key: EmbedKey = {
        id: row.id,
        orgId: row.org_id,
        secret,
        allowedOrigins: row.allowed_origins,
        maxTtlSeconds: row.max_ttl_seconds,
      };
      byId.set(row.id, key);
      if (!primary && row.org_id === options.defaultOrgId) primary = key;
    }
    cached = { at: Date.now(), byId, primary };
    return cached;
  }

  return {
    async resolve(kid) {
      const ring = cached && Date.now() - cached.at < ttlMs ? cached : await load();
      return kid === undefined ? ring.primary : ring.byId.get(kid);
    },
    forget() {
      cached = undefined;
    },
  };
}
