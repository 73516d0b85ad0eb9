/**
 * `GET /api/audit`: the organisation's audit log, newest first, filtered by
 * actor, action, resource and time, with cursor paging.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requirePermission } from '../../auth/permissions.ts';
import type { AuditLog } from '../../identity/audit-log.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp } from './admin-app.ts';

export interface AuditRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  audit: AuditLog;
}

const auditQuery = z
  .object({
    actor: z.string().min(1).max(200).optional(),
    actorType: z.enum(['user', 'api_key', 'embed']).optional(),
    action: z.string().min(1).max(300).optional(),
    resource: z.string().min(1).max(200).optional(),
    from: z.iso.datetime({ offset: true }).transform((v) => new Date(v)).optional(),
    to: z.iso.datetime({ offset: true }).transform((v) => new Date(v)).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(500).optional(),
  })
  .strict();

const listAudit = defineRoute({ method: 'get', path: '/api/audit', summary: 'Audit log, newest first: filters actor, actorType, action (prefix with *), resource, from, to; cursor paging', tags: ['audit'], auth: 'admin', permission: 'system:config', query: auditQuery });

export function auditRoutes(deps: AuditRouteDeps): Hono<AdminEnv> {
  const app = adminApp(deps.auth);

  app.get('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'system:config');
    return c.json(await deps.audit.list(admin.orgId, listAudit.query(c)));
  });

  return app;
}
