/**
 * `/api/auth`: sign-up (when the operator allows it), accepting an invitation, login, refresh, logout and "who am I" for users of
 * the admin API. A login answers a short-lived access token (a JWT for
 * `Authorization: Bearer`) and an opaque refresh token; each refresh rotates
 * the refresh token, and a reused one revokes the whole session.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { InsightError } from '../../errors/insight-error.ts';
import { problemResponse } from '../../errors/problem-response.ts';
import { clientInfo } from '../../identity/client-info.ts';
import type { Identity } from '../../identity/identity.ts';
import { spendPasswordCheck, verifyPassword } from '../../identity/password-hash.ts';
import { emailSchema, passwordSchema, userNameSchema, type UserView } from '../../identity/user-repository.ts';
import type { StoreSchema } from '../../store/store-schema.ts';
import { defineRoute } from '../define-route.ts';
import { describeRoute } from '../../ops/openapi.ts';

export interface AuthRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  identity: Identity;
  db: Kysely<StoreSchema>;
  /** Self-registration of new organisations (INSIGHT_ALLOW_REGISTRATION); closed unless an operator opens it. */
  allowRegistration: boolean;
}

const registerBody = z
  .object({
    organisation: z.string().trim().min(1).max(200),
    name: userNameSchema,
    email: emailSchema,
    password: passwordSchema,
  })
  .strict();
// The login schema accepts any password length up to the bound: a policy change must not lock out old passwords.
const loginBody = z.object({ email: emailSchema, password: z.string().min(1).max(200) }).strict();
const acceptBody = z.object({ token: z.string().min(1).max(1000), password: passwordSchema }).strict();
const refreshBody = z.object({ refreshToken: z.string().min(1).max(200) }).strict();

const register = defineRoute({ method: 'post', path: '/api/auth/register', summary: 'Create an organisation and its owner; answers session tokens (only when INSIGHT_ALLOW_REGISTRATION is on)', tags: ['auth'], auth: 'none', body: registerBody, status: 201, errors: ['ERR_CONFLICT', 'ERR_REGISTRATION_CLOSED'] });
const acceptInvitation = defineRoute({ method: 'post', path: '/api/auth/accept-invitation', summary: 'Set the password of an invited user with their one-time token; answers session tokens', tags: ['auth'], auth: 'none', body: acceptBody, errors: ['ERR_INVITATION_INVALID'] });
const login = defineRoute({ method: 'post', path: '/api/auth/login', summary: 'Log in: { accessToken, refreshToken, user }; 429 ERR_RATE_LIMITED with Retry-After after 5 failures', tags: ['auth'], auth: 'none', body: loginBody, errors: ['ERR_LOGIN_FAILED', 'ERR_RATE_LIMITED'] });
const refresh = defineRoute({ method: 'post', path: '/api/auth/refresh', summary: 'Exchange a refresh token for new tokens (rotation; a reused token revokes the session)', tags: ['auth'], auth: 'none', body: refreshBody, errors: ['ERR_UNAUTHENTICATED', 'ERR_REFRESH_TOKEN_REUSED'] });
describeRoute({ method: 'post', path: '/api/auth/logout', summary: 'End the current session', tags: ['auth'], auth: 'admin', status: 204 });
describeRoute({ method: 'get', path: '/api/auth/me', summary: 'The caller: user or API key, organisation, role and permissions', tags: ['auth'], auth: 'admin' });

function slugOf(name: string): string {
  const base = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `${base || 'org'}-${randomUUID().slice(0, 8)}`;
}

/** 429 with Retry-After: the lock says when to come back. */
function locked(c: Context, seconds: number): Response {
  c.header('retry-after', String(seconds));
  return problemResponse(c, new InsightError('ERR_RATE_LIMITED', 'Too many failed logins; try again later', { retryAfterSeconds: seconds }));
}

export function authRoutes(deps: AuthRouteDeps): Hono<AdminEnv> {
  const { identity } = deps;
  const app = new Hono<AdminEnv>();
  app.use('*', bodyLimit({ maxSize: 16 * 1024, onError: () => { throw new InsightError('ERR_BODY_TOO_LARGE'); } }));
  app.use('*', async function noStore(c, next) {
    await next();
    c.header('cache-control', 'no-store');
  });

  const signedIn = async (user: UserView & { orgId: string }, tokens: object) => ({
    ...tokens,
    user: { ...user, orgId: user.orgId, permissions: [...(await identity.roles.permissionsOf(user.orgId, user.role))] },
  });

  app.post('/register', async (c) => {
    // Checked before the body is read: a closed server says nothing about which emails exist.
    if (!deps.allowRegistration) throw new InsightError('ERR_REGISTRATION_CLOSED');
    const body = await register.body(c);
    if (await identity.users.findForLogin(body.email)) throw new InsightError('ERR_CONFLICT', 'A user with this email already exists');
    const orgId = `org_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    await deps.db.insertInto('organisations').values({ id: orgId, name: body.organisation, slug: slugOf(body.organisation) }).execute();
    let user: UserView;
    try {
      // The first user of an organisation owns it; later users are added by its admins (POST /api/users).
      user = await identity.users.create(orgId, { email: body.email, name: body.name, role: 'owner', password: body.password });
    } catch (error) {
      await deps.db.deleteFrom('organisations').where('id', '=', orgId).execute();
      throw error;
    }
    const client = clientInfo(c);
    const tokens = await identity.sessions.open({ id: user.id, orgId }, client);
    await identity.audit.record({ orgId, actor: { type: 'user', id: user.id }, action: 'auth.register', resourceType: 'users', resourceId: user.id, status: 201, after: user, ...client });
    return c.json(await signedIn({ ...user, orgId }, tokens), 201);
  });

  app.post('/accept-invitation', async (c) => {
    const body = await acceptInvitation.body(c);
    const ref = identity.invitations.verify(body.token);
    // Forged, expired, used, or the user was deleted: one answer for all.
    const user = ref && (await identity.users.setFirstPassword(ref.orgId, ref.userId, body.password));
    if (!ref || !user) throw new InsightError('ERR_INVITATION_INVALID');
    const client = clientInfo(c);
    const tokens = await identity.sessions.open({ id: user.id, orgId: ref.orgId }, client);
    await identity.audit.record({ orgId: ref.orgId, actor: { type: 'user', id: user.id }, action: 'auth.accept_invitation', resourceType: 'users', resourceId: user.id, status: 200, ...client });
    return c.json(await signedIn({ ...user, orgId: ref.orgId }, tokens));
  });

  app.post('/login', async (c) => {
    const body = await login.body(c);
    const client = clientInfo(c);
    const wait = await identity.throttle.lockedFor(body.email, client.ip);
    if (wait > 0) return locked(c, wait);
    const user = await identity.users.findForLogin(body.email);
    let ok = false;
    if (user?.passwordHash) ok = await verifyPassword(body.password, user.passwordHash);
    else await spendPasswordCheck(body.password);
    if (!user || !ok) {
      const lock = await identity.throttle.fail(body.email, client.ip);
      if (user) await identity.audit.record({ orgId: user.orgId, actor: { type: 'user', id: user.id }, action: 'auth.login_failed', resourceType: 'users', resourceId: user.id, status: lock > 0 ? 429 : 401, ...client });
      if (lock > 0) return locked(c, lock);
      throw new InsightError('ERR_LOGIN_FAILED');
    }
    await identity.throttle.succeed(body.email, client.ip);
    const tokens = await identity.sessions.open({ id: user.id, orgId: user.orgId }, client);
    await identity.audit.record({ orgId: user.orgId, actor: { type: 'user', id: user.id }, action: 'auth.login', resourceType: 'sessions', resourceId: tokens.sessionId, status: 200, ...client });
    const { passwordHash: _hash, ...view } = user;
    return c.json(await signedIn(view, tokens));
  });

  app.post('/refresh', async (c) => {
    const body = await refresh.body(c);
    const tokens = await identity.sessions.refresh(body.refreshToken, clientInfo(c));
    const user = await identity.users.get(tokens.orgId, tokens.userId);
    const { userId: _u, orgId, ...rest } = tokens;
    return c.json(await signedIn({ ...user, orgId }, rest));
  });

  app.post('/logout', deps.auth, async (c) => {
    const admin = c.get('admin');
    if (!admin.sessionId) throw new InsightError('ERR_VALIDATION', 'An API key has no session; revoke it through /api/api-keys');
    await identity.sessions.revoke(admin.sessionId, 'logout');
    await identity.audit.record({ orgId: admin.orgId, actor: admin.actor, action: 'auth.logout', resourceType: 'sessions', resourceId: admin.sessionId, status: 204, ...clientInfo(c) });
    return c.body(null, 204);
  });

  app.get('/me', deps.auth, async (c) => {
    const admin = c.get('admin');
    const base = { orgId: admin.orgId, role: admin.role, permissions: [...admin.permissions], actor: admin.actor };
    if (admin.actor.type === 'user') return c.json({ ...base, user: await identity.users.get(admin.orgId, admin.actor.id) });
    return c.json({ ...base, apiKey: await identity.apiKeys.get(admin.orgId, admin.actor.id) });
  });

  return app;
}
