/**
 * Server-side helper for host backends: mints an embed token in one call.
 * Any JWT library can do the same (HS256, the claims of `EmbedTokenClaims`).
 * It signs with Web Crypto, so the SDK has no runtime dependency and runs on
 * Node 20+, Deno, Bun and edge runtimes alike.
 */
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
  const header = options.kid ? { alg: 'HS256', typ: 'JWT', kid: options.kid } : { alg: 'HS256', typ: 'JWT' };
  const claims = {
    resource: { story: options.story },
    params: options.params ?? {},
    permissions: options.permissions ?? [...DEFAULT_PERMISSIONS],
    aud: EMBED_AUDIENCE,
    iat: now,
    exp: now + Math.floor(expiresIn),
    jti: crypto.randomUUID(),
    ...(options.sub ? { sub: options.sub } : {}),
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const key = await crypto.subtle.importKey('raw', encoder.encode(options.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signature = await crypto.subtle.sign('HMAC', key, encoder.encode(signingInput));
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}

const encoder = new TextEncoder();

/** Base64url without padding (RFC 7515 §2), of a UTF-8 string or of bytes. */
function base64url(input: string | Uint8Array): string {
  const bytes = typeof input === 'string' ? encoder.encode(input) : input;
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
