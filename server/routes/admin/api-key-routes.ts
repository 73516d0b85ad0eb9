/**
 * `/api/api-keys`: the organisation's API keys. The key is in the answer to
 * POST and nowhere else, ever; lists show its prefix. DELETE revokes it, and
 * the next request with it is refused.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requireGrantable, requirePermission } from '../../auth/permissions.ts';
import type { Identity } from '../../identity/identity.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp, auditBefore, idParam } from './admin-app.ts';
import { describeRoute } from '../../ops/openapi.ts';

export interface ApiKeyRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  identity: Identity;
}

const createBody = z.object({ name: z.string().trim().min(1).max(200), role: z.string().min(1).max(100) }).strict();

describeRoute({ method: 'get', path: '/api/api-keys', summary: 'API keys (prefix, role, created, last use; never the key)', tags: ['api-keys'], auth: 'admin', permission: 'system:config' });
const createKey = defineRoute({ method: 'post', path: '/api/api-keys', summary: 'Create an API key; the key is in this answer only', tags: ['api-keys'], auth: 'admin', permission: 'system:config', body: createBody, status: 201 });
describeRoute({ method: 'get', path: '/api/api-keys/:id', summary: 'One API key', tags: ['api-keys'], auth: 'admin', permission: 'system:config' });
describeRoute({ method: 'delete', path: '/api/api-keys/:id', summary: 'Revoke an API key (immediate)', tags: ['api-keys'], auth: 'admin', permission: 'system:config' });

export function apiKeyRoutes(deps: ApiKeyRouteDeps): Hono<AdminEnv> {
  const { apiKeys, roles } = deps.identity;
  const app = adminApp(deps.auth);

  app.get('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'system:config');
    return c.json({ items: await apiKeys.list(admin.orgId) });
  });

  app.post('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'system:config');
    const body = await createKey.body(c);
    const role = await roles.resolve(admin.orgId, body.role);
    requireGrantable(admin, role.permissions);
    return c.json(await apiKeys.create(admin.orgId, { name: body.name, role: role.ref }), 201);
  });

  app.get('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'system:config');
    return c.json(await apiKeys.get(admin.orgId, idParam(c.req.param('id'))));
  });

  app.delete('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'system:config');
    const id = idParam(c.req.param('id'));
    const before = await apiKeys.get(admin.orgId, id);
    auditBefore(c, before);
    requireGrantable(admin, await roles.permissionsOf(admin.orgId, before.role));
    await apiKeys.revoke(admin.orgId, id);
    return c.body(null, 204);
  });

  return app;
}
