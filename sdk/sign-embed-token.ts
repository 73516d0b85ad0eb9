/**
 * Server-side helper for host backends: mints an embed token in one call.
 * Any JWT library can do the same (HS256, the claims of `EmbedTokenClaims`).
 */
import { SignJWT } from 'jose';
import { DEFAULT_PERMISSIONS, EMBED_AUDIENCE, MAX_TOKEN_LIFETIME_SECONDS, type EmbedPermission } from './protocol.ts';

export interface SignEmbedTokenOptions {
  /** The organisation's embed secret (INSIGHT_EMBED_SECRET or an embed key's secret). */
  secret: string;
  /** Embed key id, when the organisation has several keys. */
  kid?: string;
  /** Story id or slug the token may show. */
  story: string;
  /** Locked parameters the row policies read, e.g. `{ tenant_id: 42 }`. */
  params?: Record<string, string | number | boolean>;
  permissions?: EmbedPermission[];
  /** Lifetime in seconds (default 10 minutes, at most 24 hours). */
  expiresIn?: number;
  /** The host's user id, for audit and rate limits. */
  sub?: string;
}

/**
 * @example
 * const token = await signEmbedToken({ secret: process.env.INSIGHT_EMBED_SECRET!, story: 'retail-overview', params: { tenant_id: 42 } });
 */
export async function signEmbedToken(options: SignEmbedTokenOptions): Promise<string> {
  const expiresIn = options.expiresIn ?? 600;
  if (!Number.isFinite(expiresIn) || expiresIn <= 0 || expiresIn > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new RangeError(`expiresIn must be between 1 and ${MAX_TOKEN_LIFETIME_SECONDS} seconds`);
  }
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    resource: { story: options.story },
    params: options.params ?? {},
    permissions: options.permissions ?? [...DEFAULT_PERMISSIONS],
  })
    .setProtectedHeader(options.kid ? { alg: 'HS256', typ: 'JWT', kid: options.kid } : { alg: 'HS256', typ: 'JWT' })
    .setAudience(EMBED_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + Math.floor(expiresIn))
    .setJti(crypto.randomUUID());
  if (options.sub) jwt.setSubject(options.sub);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
