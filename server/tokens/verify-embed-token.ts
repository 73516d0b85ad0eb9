/**
 * Strict verification of embed tokens: HS256 only, the `insight-embed`
 * audience, a required expiry no further than the key allows, and claims of
 * the documented shape. jose's errors become our stable codes here, at the edge.
 */
import { createHash } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { DEFAULT_PERMISSIONS, EMBED_AUDIENCE, MAX_TOKEN_LIFETIME_SECONDS, type EmbedPermission } from '@insight-engine/sdk/protocol';
import { InsightError } from '../errors/insight-error.ts';
import type { EmbedKey, EmbedKeyRing } from './embed-key-ring.ts';
import { ownRecord } from '../schema/own-record.ts';

/** Clock skew we accept between the host backend that signs and this server. */
export const CLOCK_TOLERANCE_SECONDS = 30;

const claimsSchema = z.object({
  resource: z.object({ story: z.string().min(1).max(200) }).strict(),
  params: ownRecord(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.union([z.string().max(500), z.number().finite(), z.boolean()])).default({}),
  permissions: z.array(z.enum(['view', 'drill', 'ask', 'export'])).max(4).default([...DEFAULT_PERMISSIONS]),
  sub: z.string().max(200).optional(),
  exp: z.number().int(),
  iat: z.number().int().optional(),
  jti: z.string().max(200).optional(),
});

export interface EmbedViewer {
  orgId: string;
  keyId: string;
  story: string;
  params: Record<string, string | number | boolean>;
  permissions: EmbedPermission[];
  sub: string | undefined;
  jti: string | undefined;
  exp: number;
  allowedOrigins: string[];
}

function translate(error: unknown): InsightError {
  if (error instanceof InsightError) return error;
  if (error instanceof joseErrors.JWTExpired) return new InsightError('ERR_TOKEN_EXPIRED');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return new InsightError('ERR_TOKEN_AUDIENCE');
    return new InsightError('ERR_TOKEN_INVALID', `The token claim "${error.claim}" is not valid`);
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) return new InsightError('ERR_TOKEN_ALGORITHM');
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new InsightError('ERR_TOKEN_SIGNATURE');
  return new InsightError('ERR_TOKEN_INVALID');
}

/**
 * Tokens already verified, by their full text (which includes the signature):
 * a viewer's page sends the same token with every card request, and the
 * HMAC check need not run again for identical bytes. Expiry and the key's
 * state are still checked on every request.
 */
const verified = new Map<string, { viewer: EmbedViewer; kid: string | undefined; key: EmbedKey }>();
const VERIFIED_LIMIT = 10_000;

export async function verifyEmbedToken(token: string, keys: EmbedKeyRing, now: number = Date.now()): Promise<EmbedViewer> {
  const known = verified.get(token);
  if (known) {
    // The ring hands out the same key object until it reloads; a revoked or rotated key ends the shortcut.
    const key = await keys.resolve(known.kid);
    if (key === known.key && Math.floor(now / 1000) <= known.viewer.exp + CLOCK_TOLERANCE_SECONDS) {
      if (known.viewer.jti !== undefined && (await keys.isTokenRevoked(known.viewer.orgId, known.viewer.jti))) throw new InsightError('ERR_TOKEN_REVOKED');
      return known.viewer;
    }
    verified.delete(token);
  }
  return verifyStrictly(token, keys, now);
}

async function verifyStrictly(token: string, keys: EmbedKeyRing, now: number): Promise<EmbedViewer> {
  if (token.length > 8192) throw new InsightError('ERR_TOKEN_INVALID', 'The token is too long');
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new InsightError('ERR_TOKEN_INVALID');
  }
  if (header.alg !== 'HS256') throw new InsightError('ERR_TOKEN_ALGORITHM');
  if (header.kid !== undefined && typeof header.kid !== 'string') throw new InsightError('ERR_TOKEN_INVALID');
  const key: EmbedKey | undefined = await keys.resolve(header.kid);
  if (!key) throw new InsightError('ERR_TOKEN_KEY_UNKNOWN');

  let payload;
  try {
    ({ payload } = await jwtVerify(token, key.secret, {
      algorithms: ['HS256'],
      audience: EMBED_AUDIENCE,
      requiredClaims: ['exp', 'aud'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now),
    }));
  } catch (error) {
    throw translate(error);
  }
  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) throw new InsightError('ERR_TOKEN_INVALID', 'The token claims do not have the documented shape');
  const claims = parsed.data;
  const nowSeconds = Math.floor(now / 1000);
  const maxTtl = Math.min(key.maxTtlSeconds, MAX_TOKEN_LIFETIME_SECONDS);
  const lifetime = claims.exp - (claims.iat ?? nowSeconds);
  if (lifetime > maxTtl || claims.exp - nowSeconds > maxTtl + CLOCK_TOLERANCE_SECONDS) throw new InsightError('ERR_TOKEN_LIFETIME');
  if (claims.iat !== undefined && claims.iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) throw new InsightError('ERR_TOKEN_INVALID', 'The token was issued in the future');
  if (claims.jti !== undefined && (await keys.isTokenRevoked(key.orgId, claims.jti))) throw new InsightError('ERR_TOKEN_REVOKED');
  const viewer: EmbedViewer = {
    orgId: key.orgId,
    keyId: key.id,
    story: claims.resource.story,
    params: claims.params,
    permissions: claims.permissions,
    sub: claims.sub,
    jti: claims.jti,
    exp: claims.exp,
    allowedOrigins: key.allowedOrigins,
  };
  if (verified.size >= VERIFIED_LIMIT) verified.delete(verified.keys().next().value as string);
  // Shared by later requests with the same token: frozen so no caller can alter it.
  Object.freeze(viewer.params);
  Object.freeze(viewer);
  verified.set(token, { viewer, kid: header.kid, key });
  keys.noteTokenUse({
    orgId: viewer.orgId,
    keyId: viewer.keyId,
    story: viewer.story,
    sub: viewer.sub,
    jti: viewer.jti,
    exp: viewer.exp,
    permissions: viewer.permissions,
    params: viewer.params,
    ref: viewer.jti !== undefined ? `jti:${viewer.orgId}:${viewer.jti}` : `sha256:${createHash('sha256').update(token).digest('hex')}`,
  });
  return viewer;
}
