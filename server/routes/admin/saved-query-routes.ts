/**
 * `/api/saved-queries`: named structured queries and SQL over datasets of the
 * caller's organisation. SQL is checked by the guard when it is saved, so a
 * query that could never run is refused then; a run goes through the engine
 * with the parameters the admin gives, exactly as `/api/queries` would.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requirePermission } from '../../auth/permissions.ts';
import type { ConnectionRepository } from '../../connections/connection-repository.ts';
import type { ConnectionRegistry } from '../../connectors/connection-registry.ts';
import type { DatasetRepository } from '../../datasets/dataset-repository.ts';
import { resultBody, type QueryEngine } from '../../query/query-engine.ts';
import { checkSavedQuery } from '../../saved-queries/check-saved-query.ts';
import { runSavedQuery } from '../../saved-queries/run-saved-query.ts';
import { savedQueryDefinitionSchema, type SavedQueryRepository } from '../../saved-queries/saved-query-repository.ts';
import type { SavedQueryRow } from '../../store/store-schema.ts';
import { describeRoute } from '../../ops/openapi.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp, apiKeyActor, idParam } from './admin-app.ts';
import { queryParamsSchema } from './query-params-schema.ts';
import { VERSION_ERRORS, type Versioning } from './versioning.ts';

export interface SavedQueryRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  savedQueries: SavedQueryRepository;
  datasets: DatasetRepository;
  connections: ConnectionRepository;
  registry: ConnectionRegistry;
  engine: QueryEngine;
  versioning: Versioning;
}

const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(1000).optional(),
    search: z.string().min(1).max(200).optional(),
  })
  .strict();

const runBody = z.object({ params: queryParamsSchema }).strict();

const tags = ['saved queries'];
const notFound = ['ERR_SAVED_QUERY_NOT_FOUND'] as const;
const listSaved = defineRoute({ method: 'get', path: '/api/saved-queries', summary: 'List saved queries (search by name, cursor paging): { items, nextCursor }', tags, auth: 'admin', permission: 'datasource:read', query: listQuery });
const createSaved = defineRoute({ method: 'post', path: '/api/saved-queries', summary: 'Save a structured query or SQL over datasets (SQL is checked by the guard now)', tags, auth: 'admin', permission: 'datasource:write', body: savedQueryDefinitionSchema, status: 201, errors: ['ERR_DATASET_NOT_FOUND', 'ERR_CONNECTION_NOT_FOUND', 'ERR_SQL_PARSE', 'ERR_SQL_NOT_ALLOWED', 'ERR_CONFLICT'] });
describeRoute({ method: 'get', path: '/api/saved-queries/:id', summary: 'Read a saved query', tags, auth: 'admin', permission: 'datasource:read', errors: [...notFound], versioned: true });
const replaceSaved = defineRoute({ method: 'put', path: '/api/saved-queries/:id', summary: 'Replace a saved query (SQL is checked by the guard again)', tags, auth: 'admin', permission: 'datasource:write', body: savedQueryDefinitionSchema, errors: [...notFound, 'ERR_SQL_PARSE', 'ERR_SQL_NOT_ALLOWED', 'ERR_CONFLICT', ...VERSION_ERRORS], versioned: true });
describeRoute({ method: 'delete', path: '/api/saved-queries/:id', summary: 'Delete a saved query', tags, auth: 'admin', permission: 'datasource:write', errors: [...notFound, ...VERSION_ERRORS], versioned: true });
const runSaved = defineRoute({ method: 'post', path: '/api/saved-queries/:id/run', summary: 'Run a saved query with row policy params: { columns, rows, rowCount, truncated, fromCache, executionMs }', tags, auth: 'admin', permission: 'db:query', body: runBody, errors: [...notFound, 'ERR_POLICY_PARAM_MISSING', 'ERR_QUERY_FAILED', 'ERR_QUERY_TIMEOUT', 'ERR_DATABASE_UNAVAILABLE'] });

export function savedQueryView(row: SavedQueryRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    kind: row.kind,
    ...(row.kind === 'structured' ? { query: row.query } : { connectionId: row.connection_id, sql: row.sql }),
    cacheTtlSeconds: row.cache_ttl_seconds,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function savedQueryRoutes(deps: SavedQueryRouteDeps): Hono<AdminEnv> {
  const app = adminApp(deps.auth);
  const checkDeps = { datasets: deps.datasets, connections: deps.connections, registry: deps.registry };
  const { versioning } = deps;
  const reply = (c: Context, row: SavedQueryRow, status?: 201) => versioning.json(c, savedQueryView(row), row.version, status);

  app.get('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:read');
    const { limit, cursor, search } = listSaved.query(c);
    const page = await deps.savedQueries.list(admin.orgId, { limit, cursor, search });
    return c.json({ items: page.items.map(savedQueryView), nextCursor: page.nextCursor });
  });

  app.post('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:write');
    const body = await createSaved.body(c);
    await checkSavedQuery(checkDeps, admin.orgId, body);
    return reply(c, await deps.savedQueries.create(admin.orgId, body), 201);
  });

  app.get('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:read');
    return reply(c, await deps.savedQueries.get(admin.orgId, idParam(c.req.param('id'))));
  });

  app.put('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:write');
    const id = idParam(c.req.param('id'));
    // An unknown id (or another organisation's) answers 404 whatever the body says.
    await deps.savedQueries.get(admin.orgId, id);
    const expected = versioning.expected(c);
    const body = await replaceSaved.body(c);
    await checkSavedQuery(checkDeps, admin.orgId, body);
    return reply(c, await deps.savedQueries.update(admin.orgId, id, body, expected));
  });

  app.delete('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:write');
    await deps.savedQueries.remove(admin.orgId, idParam(c.req.param('id')), versioning.expected(c));
    return c.body(null, 204);
  });

  app.post('/:id/run', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'db:query');
    const savedQuery = await deps.savedQueries.get(admin.orgId, idParam(c.req.param('id')));
    const body = await runSaved.body(c);
    const result = await runSavedQuery(deps.engine, {
      orgId: admin.orgId,
      savedQuery,
      params: body.params,
      signal: c.req.raw.signal,
      actor: apiKeyActor(admin),
    });
    const payload = resultBody(result);
    return c.body(payload, 200, { 'content-type': 'application/json' });
  });

  return app;
}
