/**
 * The embed signing keys of all organisations, looked up by `kid`. Keys are
 * kept decrypted in memory until they change, so verifying a token costs no
 * store round trip on the hot path; `forget()` drops them after a change.
 * The same snapshot holds the revoked token ids (`jti`) of every
 * organisation, so a revocation reaches this instance at once (forget) and
 * every other instance as soon as the change feed tells it.
 */
import type { Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import { createStoreMemo } from '../store/store-memo.ts';
import type { StoreSchema } from '../store/store-schema.ts';

export interface EmbedKey {
  id: string;
  orgId: string;
  /** Imported once as a WebCrypto key: jose would otherwise import the raw bytes on every verification. */
  secret: CryptoKey;
  allowedOrigins: string[];
  maxTtlSeconds: number;
}

/** What a token's first accepted use tells the audit log. */
export interface EmbedTokenUse {
  orgId: string;
  keyId: string;
  story: string;
  sub: string | undefined;
  jti: string | undefined;
  exp: number;
  permissions: readonly string[];
  params: Readonly<Record<string, string | number | boolean>>;
  /** `jti:<jti>` or `sha256:<hash of the token>`: what makes the use "first". */
  ref: string;
}

export interface EmbedKeyRing {
  /** The active key named by `kid`, or the default organisation's primary key when the token names none. */
  resolve(kid: string | undefined): Promise<EmbedKey | undefined>;
  /** Whether the organisation revoked this token id (POST /api/embed-keys/revoked-tokens). */
  isTokenRevoked(orgId: string, jti: string): Promise<boolean>;
  /** Every origin some active key allows, for CORS preflights, which carry no token. */
  allowedOrigins(): Promise<ReadonlySet<string>>;
  /** Called by verification the first time this instance accepts a token. */
  noteTokenUse(use: EmbedTokenUse): void;
  forget(): void;
}

export interface EmbedKeyRingOptions {
  defaultOrgId: string;
  /** Tells other instances of a change (and them us); without it, `forget()` is this instance's alone. */
  changes?: ChangeFeed;
  /** Told of each token's first accepted use on this instance (the audit log records it once across instances). */
  onTokenFirstUse?: (use: EmbedTokenUse) => void;
}

export function createEmbedKeyRing(db: Kysely<StoreSchema>, box: SecretBox, options: EmbedKeyRingOptions): EmbedKeyRing {
  const memo = createStoreMemo<{ byId: Map<string, EmbedKey>; primary: EmbedKey | undefined; revoked: Set<string>; origins: Set<string> }>();
  options.changes?.watch('embed-keys', memo);
  // Refs already reported by this instance: a busy token is reported once, not once per cache reload.
  const reported = new Set<string>();

  async function load() {
    const revokedRows = await db.selectFrom('revoked_embed_tokens').select(['org_id', 'jti']).where('expires_at', '>', new Date(Date.now() - 60_000)).execute();
    const revoked = new Set(revokedRows.map((r) => `${r.org_id}\n${r.jti}`));
    const origins = new Set<string>();
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
      for (const origin of row.allowed_origins) origins.add(origin);
      if (!primary && row.org_id === options.defaultOrgId) primary = key;
    }
    return { byId, primary, revoked, origins };
  }

  const current = () => memo.get('', load);

  return {
    async resolve(kid) {
      const ring = await current();
      return kid === undefined ? ring.primary : ring.byId.get(kid);
    },
    async isTokenRevoked(orgId, jti) {
      return (await current()).revoked.has(`${orgId}\n${jti}`);
    },
    async allowedOrigins() {
      return (await current()).origins;
    },
    noteTokenUse(use) {
      if (!options.onTokenFirstUse || reported.has(use.ref)) return;
      if (reported.size >= 100_000) reported.clear();
      reported.add(use.ref);
      options.onTokenFirstUse(use);
    },
    forget() {
      if (options.changes) options.changes.changed('embed-keys');
      else memo.forget();
    },
  };
}
