/**
 * Session access tokens for the admin API: short-lived HS256 JWTs signed
 * with the server's session key, which is separate from every embed secret
 * and has its own audience, so neither kind of token passes for the other.
 */
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { InsightError } from '../errors/insight-error.ts';

export const SESSION_AUDIENCE = 'insight-admin';
export const SESSION_TOKEN_TTL_SECONDS = 15 * 60;

export interface SessionClaims {
  /** The user's id. */
  userId: string;
  orgId: string;
  /** The session (refresh token family) the token was issued from. */
  sessionId: string;
  exp: number;
}

export interface SessionKey {
  sign(claims: Omit<SessionClaims, 'exp'>, now?: number): Promise<{ token: string; exp: number }>;
  verify(token: string, now?: number): Promise<SessionClaims>;
}

/** Whether a bearer credential is shaped like a JWT rather than an API key. */
export function looksLikeJwt(credential: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(credential);
}

/**
 * @example
 * const key = await createSessionKey(config.sessionSecret);
 * const { token } = await key.sign({ userId, orgId, sessionId });
 */
export async function createSessionKey(secret: string, options: { ttlSeconds?: number } = {}): Promise<SessionKey> {
  if (secret.length < 32) throw new Error('the session secret must be at least 32 characters');
  const ttl = options.ttlSeconds ?? SESSION_TOKEN_TTL_SECONDS;
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  return {
    async sign(claims, now = Date.now()) {
      const iat = Math.floor(now / 1000);
      const exp = iat + ttl;
      const token = await new SignJWT({ org: claims.orgId, sid: claims.sessionId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(claims.userId)
        .setAudience(SESSION_AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key);
      return { token, exp };
    },
    async verify(token, now = Date.now()) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience: SESSION_AUDIENCE, requiredClaims: ['exp', 'sub'], currentDate: new Date(now), clockTolerance: 5 }));
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw new InsightError('ERR_TOKEN_EXPIRED', 'The session has expired; refresh it');
        throw new InsightError('ERR_UNAUTHENTICATED', 'The session token is not valid');
      }
      const { sub, org, sid, exp } = payload;
      if (typeof sub !== 'string' || typeof org !== 'string' || typeof sid !== 'string' || typeof exp !== 'number') {
        throw new InsightError('ERR_UNAUTHENTICATED', 'The session token is not valid');
      }
      return { userId: sub, orgId: org, sessionId: sid, exp };
    },
  };
}
