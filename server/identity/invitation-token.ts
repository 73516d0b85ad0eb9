/**
 * One-time invitations: an admin invites someone by email and role, the
 * server answers a token, and whoever holds it sets the user's password once
 * (`POST /api/auth/accept-invitation`). The token is signed, not stored: it
 * names the invited user, and it only works while that user has no password
 * yet, so accepting it (or an admin setting a password, or deleting the user)
 * uses it up.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface InvitationRef {
  userId: string;
  orgId: string;
}

export interface InvitationTokens {
  issue(ref: InvitationRef, now?: Date): { token: string; expiresAt: string };
  /** The invited user, or undefined for a token that is forged, malformed or expired. */
  verify(token: string, now?: Date): InvitationRef | undefined;
}

/** A week: long enough for a mail to be read, short enough not to linger. */
export const INVITATION_TTL_SECONDS = 7 * 86_400;
const PREFIX = 'inv_';

/**
 * @example
 * const invitations = createInvitationTokens(config.sessionSecret);
 * const { token } = invitations.issue({ userId: 'u_1', orgId: 'org_1' });
 * invitations.verify(token); // { userId: 'u_1', orgId: 'org_1' }
 */
export function createInvitationTokens(secret: string, ttlSeconds = INVITATION_TTL_SECONDS): InvitationTokens {
  // Its own key, derived from the session secret: an invitation can never pass as a session token or the reverse.
  const key = createHmac('sha256', secret).update('insight-invitation-v1').digest();
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

  return {
    issue(ref, now = new Date()) {
      const exp = Math.floor(now.getTime() / 1000) + ttlSeconds;
      const payload = Buffer.from(JSON.stringify({ u: ref.userId, o: ref.orgId, exp })).toString('base64url');
      return { token: `${PREFIX}${payload}.${sign(payload)}`, expiresAt: new Date(exp * 1000).toISOString() };
    },
    verify(token, now = new Date()) {
      if (!token.startsWith(PREFIX)) return undefined;
      const [payload, signature, extra] = token.slice(PREFIX.length).split('.');
      if (!payload || !signature || extra !== undefined) return undefined;
      const expected = Buffer.from(sign(payload));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
      try {
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u?: unknown; o?: unknown; exp?: unknown };
        if (typeof claims.u !== 'string' || typeof claims.o !== 'string' || typeof claims.exp !== 'number') return undefined;
        if (claims.exp * 1000 <= now.getTime()) return undefined;
        return { userId: claims.u, orgId: claims.o };
      } catch {
        return undefined;
      }
    },
  };
}
