/**
 * `/api/config`: the organisation's settings (cache lifetime, row cap,
 * statement timeout, AI). Mounted through adminApp like every admin module,
 * so the request is authenticated, size-bounded and audited.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requirePermission } from '../../auth/permissions.ts';
import type { ResultCache } from '../../cache/result-cache.ts';
import { orgConfigSchema, type OrgConfigRepository } from '../../config-store/org-config.ts';
import type { ConnectionRepository } from '../../connections/connection-repository.ts';
import { describeRoute } from '../../ops/openapi.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp } from './admin-app.ts';

export interface ConfigRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  orgConfig: OrgConfigRepository;
  cache: ResultCache;
  connections: Pick<ConnectionRepository, 'list'>;
}

describeRoute({
  method: 'get',
  path: '/api/config',
  summary: "The organisation's settings: what applies, what it overrides, and the server defaults",
  tags: ['config'],
  auth: 'admin',
  permission: 'system:config',
});
const putConfig = defineRoute({
  method: 'put',
  path: '/api/config',
  summary: "Replace the organisation's overrides (a member left out returns to the server default)",
  tags: ['config'],
  auth: 'admin',
  permission: 'system:config',
  body: orgConfigSchema,
});

export function configRoutes(deps: ConfigRouteDeps): Hono<AdminEnv> {
  const app = adminApp(deps.auth);

  app.get('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'system:config');
    return c.json(await deps.orgConfig.view(admin.orgId));
  });

  app.put('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'system:config');
    const body = await putConfig.body(c);
    const previous = await deps.orgConfig.view(admin.orgId);
    c.set('auditBefore', previous.overrides);
    const before = previous.settings;
    const view = await deps.orgConfig.put(admin.orgId, body);
    // Cached results were cut by the old row cap (the cache key is the SQL, not the envelope): drop them.
    if (view.settings.rowCap !== before.rowCap || view.settings.statementTimeoutMs !== before.statementTimeoutMs) {
      for (const connection of await deps.connections.list(admin.orgId)) await deps.cache.invalidateTag(`connection:${connection.id}`);
    }
    return c.json(view);
  });

  return app;
}
