/**
 * User sessions: a login opens a session (a family of refresh tokens) and
 * hands out a short-lived access JWT plus an opaque refresh token, stored
 * only as its sha256. Each refresh exchanges the token for a new one; showing
 * an exchanged token again means it leaked, so the whole family is revoked.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { InsightError } from '../errors/insight-error.ts';
import type { StoreSchema } from '../store/store-schema.ts';
import type { AuditLog } from './audit-log.ts';
import type { SessionKey } from './session-token.ts';

export const SESSION_LIFETIME_MS = 30 * 24 * 60 * 60_000;

export interface ClientInfo {
  ip: string;
  userAgent: string | null;
}

export interface SessionTokens {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds the access token lives. */
  expiresIn: number;
  /** Access token expiry, seconds since the epoch. */
  expiresAt: number;
  refreshToken: string;
  /** Refresh token (and session) expiry, ISO 8601. */
  refreshExpiresAt: string;
}

export interface SessionService {
  open(user: { id: string; orgId: string }, client: ClientInfo): Promise<SessionTokens & { sessionId: string }>;
  /** Exchanges a refresh token; ERR_REFRESH_TOKEN_REUSED (and the family revoked) when it was exchanged before. */
  refresh(refreshToken: string, client: ClientInfo): Promise<SessionTokens & { sessionId: string; userId: string; orgId: string }>;
  revoke(sessionId: string, reason: string): Promise<void>;
  revokeAllOf(userId: string, reason: string): Promise<void>;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function createSessionService(db: Kysely<StoreSchema>, key: SessionKey, audit: AuditLog, options: { now?: () => number } = {}): SessionService {
  const now = options.now ?? Date.now;

  async function issue(session: { id: string; userId: string; orgId: string; expiresAt: Date }): Promise<SessionTokens> {
    const refreshToken = `rt_${randomBytes(32).toString('base64url')}`;
    await db.insertInto('refresh_tokens').values({ token_hash: hashToken(refreshToken), session_id: session.id, expires_at: session.expiresAt, used_at: null }).execute();
    const { token, exp } = await key.sign({ userId: session.userId, orgId: session.orgId, sessionId: session.id }, now());
    return {
      accessToken: token,
      tokenType: 'Bearer',
      expiresIn: exp - Math.floor(now() / 1000),
      expiresAt: exp,
      refreshToken,
      refreshExpiresAt: session.expiresAt.toISOString(),
    };
  }

  async function revoke(sessionId: string, reason: string): Promise<void> {
    await db.updateTable('sessions').set({ revoked_at: new Date(now()), revoked_reason: reason }).where('id', '=', sessionId).where('revoked_at', 'is', null).execute();
  }

  const invalid = () => new InsightError('ERR_UNAUTHENTICATED', 'The refresh token is not valid');

  return {
    async open(user, client) {
      const id = `ses_${randomUUID().replace(/-/g, '')}`;
      const expiresAt = new Date(now() + SESSION_LIFETIME_MS);
      await db
        .insertInto('sessions')
        .values({ id, org_id: user.orgId, user_id: user.id, ip: client.ip, user_agent: client.userAgent?.slice(0, 500) ?? null, expires_at: expiresAt, revoked_at: null, revoked_reason: null })
        .execute();
      return { ...(await issue({ id, userId: user.id, orgId: user.orgId, expiresAt })), sessionId: id };
    },

    async refresh(refreshToken, client) {
      if (refreshToken.length > 200) throw invalid();
      const tokenHash = hashToken(refreshToken);
      const row = await db
        .selectFrom('refresh_tokens as rt')
        .innerJoin('sessions as s', 's.id', 'rt.session_id')
        .select(['rt.used_at', 'rt.expires_at', 's.id as session_id', 's.user_id', 's.org_id', 's.revoked_at', 's.expires_at as session_expires_at'])
        .where('rt.token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!row) throw invalid();
      const reused = async () => {
        await revoke(row.session_id, 'refresh token reused');
        await audit.record({
          orgId: row.org_id,
          actor: { type: 'user', id: row.user_id },
          action: 'auth.refresh_token_reused',
          resourceType: 'sessions',
          resourceId: row.session_id,
          status: 401,
          ip: client.ip,
          userAgent: client.userAgent,
        });
        return new InsightError('ERR_REFRESH_TOKEN_REUSED');
      };
      if (row.used_at) throw await reused();
      if (row.revoked_at || row.expires_at.getTime() <= now() || row.session_expires_at.getTime() <= now()) throw invalid();
      // Only one of two concurrent exchanges of the same token wins; the other is a reuse.
      const claimed = await db
        .updateTable('refresh_tokens')
        .set({ used_at: new Date(now()) })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) throw await reused();
      const tokens = await issue({ id: row.session_id, userId: row.user_id, orgId: row.org_id, expiresAt: row.session_expires_at });
      return { ...tokens, sessionId: row.session_id, userId: row.user_id, orgId: row.org_id };
    },

    revoke,

    async revokeAllOf(userId, reason) {
      await db.updateTable('sessions').set({ revoked_at: new Date(now()), revoked_reason: reason }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    },
  };
}
