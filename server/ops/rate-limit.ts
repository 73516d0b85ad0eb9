/**
 * Rate limits at the edge of the API: admin requests count per credential
 * (API key or user session, by its hash), embed requests per viewer (the
 * token's key id and `sub`, or the token's hash when it has no `sub`).
 *
 * With `verifyEmbed` (as the server runs), a viewer's bucket is taken from
 * the VERIFIED token: a forged token that names someone else's `sub` counts
 * against its own hash, so nobody can spend another viewer's budget.
 * Verification is memoised per token, so this costs a map lookup on the hot path.
 */
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { InsightError } from '../errors/insight-error.ts';
import { problemResponse } from '../errors/problem-response.ts';
import type { RateLimiter } from './rate-limiter.ts';

export type RateLimitScope = 'admin' | 'embed';

export interface RateLimitOptions {
  limiter: RateLimiter;
  /** Verifies an embed token, answering its key id and `sub`, or undefined when it does not verify. */
  verifyEmbed?: (token: string) => Promise<{ keyId: string; sub: string | undefined } | undefined>;
  /** Requests per window and scope; 0 switches the scope's limit off. */
  limits: Record<RateLimitScope, number>;
  /** Origins of the embed API, so a browser can read the 429 of a cross-origin embed. */
  allowedOrigins?: string[];
  onLimited?: (scope: RateLimitScope) => void;
}

const sha = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 32);

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  // Longer than any credential we issue: hashing megabytes of header is work an attacker should not buy.
  return match && (match[1] as string).length <= 8192 ? match[1] : undefined;
}

/** A JWT's header and claims, decoded without verification; undefined when it is not one. */
function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0] as string, 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as unknown;
    if (!header || typeof header !== 'object' || !claims || typeof claims !== 'object') return undefined;
    return { header: header as Record<string, unknown>, claims: claims as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

const shortString = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 256;

/** The bucket of an embed token: its key and `sub` when it has one, else the token itself. */
export function embedBucket(token: string): string {
  const jwt = decodeJwt(token);
  // The same `sub` under two organisations' keys is two viewers.
  if (jwt && shortString(jwt.claims['sub'])) return `embed:sub:${sha(`${shortString(jwt.header['kid']) ? jwt.header['kid'] : ''}\u0000${jwt.claims['sub']}`)}`;
  // Not a decodable token with a `sub`: counted by its hash (and refused by the token check if forged).
  return `embed:tok:${sha(token)}`;
}

/** The bucket of an embed token by its verified key and `sub`; an unverifiable token counts by its own hash. */
export async function verifiedEmbedBucket(token: string, verify: NonNullable<RateLimitOptions['verifyEmbed']>): Promise<string> {
  const viewer = await verify(token);
  if (viewer && shortString(viewer.sub)) return `embed:sub:${sha(`${viewer.keyId}\u0000${viewer.sub}`)}`;
  return `embed:tok:${sha(token)}`;
}

/** The bucket of an admin credential: a user session by its session id (it outlives each access token), an API key by its hash. */
export function adminBucket(credential: string): string {
  const sid = decodeJwt(credential)?.claims['sid'];
  return shortString(sid) ? `admin:session:${sha(sid)}` : `admin:key:${sha(credential)}`;
}

/** Which scope and bucket a request counts against, or none. */
export function rateLimitBucket(path: string, authorization: string | undefined): { scope: RateLimitScope; key: string } | undefined {
  if (!path.startsWith('/api/')) return undefined;
  const credential = bearer(authorization);
  if (!credential) return undefined;
  // `/api/embed/tokens` is the admin API minting tokens inside the embed prefix.
  const embed = path.startsWith('/api/embed/') && !path.startsWith('/api/embed/tokens');
  return embed ? { scope: 'embed', key: embedBucket(credential) } : { scope: 'admin', key: adminBucket(credential) };
}

/**
 * @example
 * app.use('/api/*', rateLimit({ limiter, limits: { admin: 600, embed: 600 } }));
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const origins = options.allowedOrigins ?? ['*'];
  return async function rateLimitHandler(c, next) {
    if (c.req.method === 'OPTIONS') return next();
    const bucket = rateLimitBucket(c.req.path, c.req.header('authorization'));
    const limit = bucket ? options.limits[bucket.scope] : 0;
    if (!bucket || limit <= 0) return next();
    const credential = bucket.scope === 'embed' && options.verifyEmbed ? bearer(c.req.header('authorization')) : undefined;
    const key = credential && options.verifyEmbed ? await verifiedEmbedBucket(credential, options.verifyEmbed) : bucket.key;
    const result = await options.limiter.hit(key, limit);
    c.header('ratelimit-limit', String(result.limit));
    c.header('ratelimit-remaining', String(result.remaining));
    c.header('ratelimit-reset', String(Math.ceil(result.resetMs / 1000)));
    if (result.allowed) return next();

    options.onLimited?.(bucket.scope);
    const retryAfter = Math.max(1, Math.ceil(result.resetMs / 1000));
    c.header('retry-after', String(retryAfter));
    if (bucket.scope === 'embed') {
      const origin = c.req.header('origin');
      if (origins.includes('*')) c.header('access-control-allow-origin', '*');
      else if (origin && origins.includes(origin)) {
        c.header('access-control-allow-origin', origin);
        c.header('vary', 'Origin');
      }
    }
    return problemResponse(c, new InsightError('ERR_RATE_LIMITED', `Too many requests; retry in ${retryAfter} s`, { retryAfterSeconds: retryAfter }));
  };
}
