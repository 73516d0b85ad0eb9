/**
 * `/api/roles`: the built-in roles (read-only) and the organisation's custom
 * roles, each a name and a list of permission strings. A custom role grants
 * at most what its author holds.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requireGrantable, requirePermission } from '../../auth/permissions.ts';
import type { Identity } from '../../identity/identity.ts';
import { createRoleSchema, updateRoleSchema } from '../../identity/role-repository.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp, auditBefore, idParam } from './admin-app.ts';
import { describeRoute } from '../../ops/openapi.ts';
import { VERSION_ERRORS, type Versioning } from './versioning.ts';

describeRoute({ method: 'get', path: '/api/roles', summary: 'Built-in and custom roles', tags: ['roles'], auth: 'admin', permission: 'role:read' });
const createRole = defineRoute({ method: 'post', path: '/api/roles', summary: 'Create a custom role from permission strings', tags: ['roles'], auth: 'admin', permission: 'role:write', body: createRoleSchema, status: 201 });
describeRoute({ method: 'get', path: '/api/roles/:id', summary: 'One role (built-in name or custom id)', tags: ['roles'], auth: 'admin', permission: 'role:read', versioned: true });
const updateRole = defineRoute({ method: 'patch', path: '/api/roles/:id', summary: 'Change a custom role (built-ins are read-only)', tags: ['roles'], auth: 'admin', permission: 'role:write', body: updateRoleSchema, errors: VERSION_ERRORS, versioned: true });
describeRoute({ method: 'delete', path: '/api/roles/:id', summary: 'Delete a custom role nobody holds', tags: ['roles'], auth: 'admin', permission: 'role:delete', errors: VERSION_ERRORS, versioned: true });

export interface RoleRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  identity: Identity;
  versioning: Versioning;
}

export function roleRoutes(deps: RoleRouteDeps): Hono<AdminEnv> {
  const { roles } = deps.identity;
  const app = adminApp(deps.auth);
  const { versioning } = deps;

  app.get('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'role:read');
    return c.json({ items: await roles.list(admin.orgId) });
  });

  app.post('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'role:write');
    const body = await createRole.body(c);
    requireGrantable(admin, body.permissions);
    const role = await roles.create(admin.orgId, body);
    return versioning.json(c, role, role.version, 201);
  });

  app.get('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'role:read');
    const role = await roles.get(admin.orgId, idParam(c.req.param('id')));
    return versioning.json(c, role, role.version);
  });

  app.patch('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'role:write');
    const id = idParam(c.req.param('id'));
    const expected = versioning.expected(c);
    const body = await updateRole.body(c);
    const before = await roles.get(admin.orgId, id);
    auditBefore(c, before);
    // Both the old and the new rights: nobody edits a role above their own, or lifts one past it.
    requireGrantable(admin, before.permissions);
    if (body.permissions) requireGrantable(admin, body.permissions);
    const role = await roles.update(admin.orgId, id, body, expected);
    return versioning.json(c, role, role.version);
  });

  app.delete('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'role:delete');
    const id = idParam(c.req.param('id'));
    const before = await roles.get(admin.orgId, id);
    auditBefore(c, before);
    requireGrantable(admin, before.permissions);
    await roles.remove(admin.orgId, id, versioning.expected(c));
    return c.body(null, 204);
  });

  return app;
}
