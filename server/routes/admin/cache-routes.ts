/**
 * `/api/cache`: drops cached results of a dataset or a connection, for when
 * the data changed before the TTL ran out.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requirePermission } from '../../auth/permissions.ts';
import type { ResultCache } from '../../cache/result-cache.ts';
import type { ConnectionRepository } from '../../connections/connection-repository.ts';
import type { DatasetRepository } from '../../datasets/dataset-repository.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp } from './admin-app.ts';

export interface CacheRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  cache: ResultCache;
  datasets: DatasetRepository;
  connections: ConnectionRepository;
}

const invalidateBody = z
  .object({ datasetId: z.string().min(1).max(100).optional(), connectionId: z.string().min(1).max(100).optional() })
  .strict()
  .refine((b) => b.datasetId !== undefined || b.connectionId !== undefined, { message: 'give datasetId, connectionId or both', path: ['datasetId'] });

const invalidate = defineRoute({ method: 'post', path: '/api/cache/invalidate', summary: 'Drop cached results of a dataset, a connection or both: { invalidated: [tag] }', tags: ['cache'], auth: 'admin', permission: 'datasource:write', body: invalidateBody, errors: ['ERR_DATASET_NOT_FOUND', 'ERR_CONNECTION_NOT_FOUND'] });

export function cacheRoutes(deps: CacheRouteDeps): Hono<AdminEnv> {
  const app = adminApp(deps.auth);

  app.post('/invalidate', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:write');
    const body = await invalidate.body(c);
    // Only the caller's own resources: ids are checked before any tag is touched.
    const tags: string[] = [];
    if (body.datasetId !== undefined) tags.push(`dataset:${(await deps.datasets.getById(admin.orgId, body.datasetId)).id}`);
    if (body.connectionId !== undefined) tags.push(`connection:${(await deps.connections.get(admin.orgId, body.connectionId)).id}`);
    for (const tag of tags) await deps.cache.invalidateTag(tag);
    return c.json({ invalidated: tags });
  });

  return app;
}
