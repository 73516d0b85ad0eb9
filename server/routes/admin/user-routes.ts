/**
 * `/api/users`: the users of the caller's organisation. Nobody hands out a
 * role granting more than they hold, nor changes a user who holds more than
 * they do, and an organisation always keeps an owner. Changing a password or
 * a role ends the user's sessions.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requireGrantable, requirePermission } from '../../auth/permissions.ts';
import { InsightError } from '../../errors/insight-error.ts';
import type { Identity } from '../../identity/identity.ts';
import { emailSchema, passwordSchema, userNameSchema, type UserView } from '../../identity/user-repository.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp, auditBefore, idParam } from './admin-app.ts';
import { describeRoute } from '../../ops/openapi.ts';

export interface UserRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  identity: Identity;
}

const roleRef = z.string().min(1).max(100);
const createBody = z.object({ email: emailSchema, name: userNameSchema, role: roleRef, password: passwordSchema }).strict();
const inviteBody = z.object({ email: emailSchema, name: userNameSchema, role: roleRef }).strict();
const updateBody = z
  .object({ name: userNameSchema.optional(), role: roleRef.optional(), password: passwordSchema.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');

describeRoute({ method: 'get', path: '/api/users', summary: 'Users of the organisation', tags: ['users'], auth: 'admin', permission: 'user:read' });
const createUser = defineRoute({ method: 'post', path: '/api/users', summary: 'Add a user with a role', tags: ['users'], auth: 'admin', permission: 'user:write', body: createBody, status: 201 });
const inviteUser = defineRoute({ method: 'post', path: '/api/users/invitations', summary: 'Invite a user with a role: the user without a password, and a one-time `invitationToken` for POST /api/auth/accept-invitation', tags: ['users'], auth: 'admin', permission: 'user:write', body: inviteBody, status: 201, errors: ['ERR_CONFLICT'] });
describeRoute({ method: 'get', path: '/api/users/:id', summary: 'One user', tags: ['users'], auth: 'admin', permission: 'user:read' });
const updateUser = defineRoute({ method: 'patch', path: '/api/users/:id', summary: 'Change name, role or password (ends the user sessions)', tags: ['users'], auth: 'admin', permission: 'user:write', body: updateBody });
describeRoute({ method: 'delete', path: '/api/users/:id', summary: 'Delete a user and end their sessions', tags: ['users'], auth: 'admin', permission: 'user:delete' });

export function userRoutes(deps: UserRouteDeps): Hono<AdminEnv> {
  const { users, roles, sessions, invitations } = deps.identity;
  const app = adminApp(deps.auth);

  /** The caller may only act on users whose rights they hold themselves. */
  async function reachable(admin: AdminEnv['Variables']['admin'], user: UserView): Promise<void> {
    requireGrantable(admin, await roles.permissionsOf(admin.orgId, user.role));
  }

  async function keepAnOwner(orgId: string, user: UserView): Promise<void> {
    if (user.role === 'owner' && (await users.countWithRole(orgId, 'owner')) <= 1) {
      throw new InsightError('ERR_CONFLICT', 'The organisation would be left without an owner');
    }
  }

  app.get('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'user:read');
    return c.json({ items: await users.list(admin.orgId) });
  });

  /** Adds the user of the body, in a role the caller may grant (with a password, or invited without one). */
  async function addUser(c: Context<AdminEnv>, route: typeof createUser | typeof inviteUser): Promise<UserView> {
    const admin = c.get('admin');
    requirePermission(admin, 'user:write');
    const body = await route.body(c);
    const role = await roles.resolve(admin.orgId, body.role);
    requireGrantable(admin, role.permissions);
    return users.create(admin.orgId, { ...body, role: role.ref });
  }

  app.post('/', async (c) => c.json(await addUser(c, createUser), 201));

  app.post('/invitations', async (c) => {
    const user = await addUser(c, inviteUser);
    const { token, expiresAt } = invitations.issue({ userId: user.id, orgId: c.get('admin').orgId });
    // The token is shown once, here; the audit trail redacts it.
    return c.json({ ...user, invitationToken: token, invitationExpiresAt: expiresAt }, 201);
  });

  app.get('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'user:read');
    return c.json(await users.get(admin.orgId, idParam(c.req.param('id'))));
  });

  app.patch('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'user:write');
    const id = idParam(c.req.param('id'));
    const body = await updateUser.body(c);
    const user = await users.get(admin.orgId, id);
    auditBefore(c, user);
    await reachable(admin, user);
    let roleRefValue: string | undefined;
    if (body.role !== undefined) {
      const role = await roles.resolve(admin.orgId, body.role);
      requireGrantable(admin, role.permissions);
      if (role.ref !== 'owner') await keepAnOwner(admin.orgId, user);
      roleRefValue = role.ref;
    }
    const updated = await users.update(admin.orgId, id, { name: body.name, role: roleRefValue, password: body.password });
    if (body.password !== undefined || (roleRefValue !== undefined && roleRefValue !== user.role)) {
      await sessions.revokeAllOf(id, body.password !== undefined ? 'password changed' : 'role changed');
    }
    return c.json(updated);
  });

  app.delete('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'user:delete');
    const id = idParam(c.req.param('id'));
    const user = await users.get(admin.orgId, id);
    auditBefore(c, user);
    await reachable(admin, user);
    await keepAnOwner(admin.orgId, user);
    // Sessions go with the user (foreign key cascade), so their tokens stop working at once.
    await users.remove(admin.orgId, id);
    return c.body(null, 204);
  });

  return app;
}
