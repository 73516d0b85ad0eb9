/**
 * Descriptions of the routes that existed before the route modules could
 * describe themselves, with the validating schemas those modules export.
 * Where a module keeps its body schema private, the operation carries its
 * summary and permission but no body schema until the module exports it (or
 * calls `describeRoute` itself).
 */
import { createConnectionSchema, updateConnectionSchema } from '../connections/connection-repository.ts';
import { datasetDefinitionSchema } from '../datasets/dataset-repository.ts';
import { structuredQuerySchema } from '../query/structured-query.ts';
import { queryParamsSchema } from '../routes/admin/query-params-schema.ts';
import { savedQueryDefinitionSchema } from '../saved-queries/saved-query-repository.ts';
import { z } from 'zod';
import { describeRoute, type RouteDescription } from './openapi.ts';

const admin = (route: Omit<RouteDescription, 'auth'>): RouteDescription => ({ ...route, auth: 'admin' });
const embed = (route: Omit<RouteDescription, 'auth'>): RouteDescription => ({ ...route, auth: 'embed' });

export const BUILT_IN_ROUTES: RouteDescription[] = [
  { method: 'get', path: '/healthz', summary: 'The process is up', tags: ['operations'], auth: 'none' },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (Bearer INSIGHT_METRICS_TOKEN when set)', tags: ['operations'], auth: 'metrics', responseType: 'text/plain; version=0.0.4' },
  { method: 'get', path: '/api/openapi.json', summary: 'This document', tags: ['operations'], auth: 'none' },
  { method: 'get', path: '/docs', summary: 'The API reference as an HTML page', tags: ['operations'], auth: 'none', responseType: 'text/html' },
  { method: 'get', path: '/readyz', summary: 'Ready for traffic: the platform store (and Redis, when configured) answer and the server is not draining', tags: ['operations'], auth: 'none' },

  admin({ method: 'get', path: '/api/connections', summary: 'List connections (no credentials)', tags: ['connections'], permission: 'datasource:read' }),
  admin({ method: 'post', path: '/api/connections', summary: 'Create a connection', tags: ['connections'], permission: 'db:connect', body: createConnectionSchema }),
  admin({ method: 'get', path: '/api/connections/:id', summary: 'Read a connection (no credentials)', tags: ['connections'], permission: 'datasource:read' }),
  admin({ method: 'patch', path: '/api/connections/:id', summary: 'Update a connection', tags: ['connections'], permission: 'db:connect', body: updateConnectionSchema }),
  admin({ method: 'delete', path: '/api/connections/:id', summary: 'Delete a connection', tags: ['connections'], permission: 'db:connect' }),
  admin({ method: 'post', path: '/api/connections/:id/test', summary: 'Round trip to the database: { ok, latencyMs }', tags: ['connections'], permission: 'db:connect' }),
  admin({
    method: 'get',
    path: '/api/connections/:id/schema',
    summary: 'Tables, columns and keys of the connection',
    tags: ['connections'],
    permission: 'datasource:read',
    query: z.object({ refresh: z.enum(['0', '1', 'true', 'false']).optional() }),
  }),

  admin({ method: 'get', path: '/api/datasets', summary: 'List datasets', tags: ['datasets'], permission: 'datasource:read' }),
  admin({ method: 'post', path: '/api/datasets', summary: 'Create a dataset', tags: ['datasets'], permission: 'datasource:write', body: datasetDefinitionSchema }),
  admin({ method: 'get', path: '/api/datasets/:id', summary: 'Read a dataset', tags: ['datasets'], permission: 'datasource:read' }),
  admin({ method: 'put', path: '/api/datasets/:id', summary: 'Replace a dataset', tags: ['datasets'], permission: 'datasource:write', body: datasetDefinitionSchema }),
  admin({ method: 'delete', path: '/api/datasets/:id', summary: 'Delete a dataset', tags: ['datasets'], permission: 'datasource:write' }),
  admin({ method: 'post', path: '/api/datasets/:id/preview', summary: 'Rows as a viewer with the given params sees them', tags: ['datasets'], permission: 'db:query' }),

  admin({
    method: 'post',
    path: '/api/queries/run',
    summary: 'Run a structured query with explicit row policy params',
    tags: ['queries'],
    permission: 'db:query',
    body: z.object({ query: structuredQuerySchema, params: queryParamsSchema }).strict(),
  }),
  admin({ method: 'post', path: '/api/queries/execute', summary: 'Run SQL over datasets through the SQL guard', tags: ['queries'], permission: 'db:query' }),
  admin({ method: 'get', path: '/api/queries/history', summary: 'Who ran what, how long, how many rows (cursor paging)', tags: ['queries'], permission: 'db:admin' }),

  admin({ method: 'get', path: '/api/saved-queries', summary: 'List saved queries', tags: ['saved queries'], permission: 'datasource:read' }),
  admin({ method: 'post', path: '/api/saved-queries', summary: 'Save a structured or SQL query', tags: ['saved queries'], permission: 'datasource:write', body: savedQueryDefinitionSchema }),
  admin({ method: 'get', path: '/api/saved-queries/:id', summary: 'Read a saved query', tags: ['saved queries'], permission: 'datasource:read' }),
  admin({ method: 'put', path: '/api/saved-queries/:id', summary: 'Replace a saved query', tags: ['saved queries'], permission: 'datasource:write', body: savedQueryDefinitionSchema }),
  admin({ method: 'delete', path: '/api/saved-queries/:id', summary: 'Delete a saved query', tags: ['saved queries'], permission: 'datasource:write' }),
  admin({ method: 'post', path: '/api/saved-queries/:id/run', summary: 'Run a saved query with params', tags: ['saved queries'], permission: 'db:query', body: z.object({ params: queryParamsSchema }).strict() }),

  admin({ method: 'post', path: '/api/cache/invalidate', summary: 'Drop cached results of a dataset or a connection', tags: ['cache'], permission: 'datasource:write' }),
  admin({ method: 'post', path: '/api/embed/tokens', summary: 'Mint an embed token with the organisation embed key', tags: ['embed tokens'], permission: 'embed:mint' }),

  embed({ method: 'get', path: '/api/embed/story', summary: "The token's story: pages, cards, filters", tags: ['embed'] }),
  embed({ method: 'post', path: '/api/embed/cards/:cardId/data', summary: "A card's rows for the viewer, with filter values", tags: ['embed'] }),
  embed({
    method: 'get',
    path: '/api/embed/filters/:filterId/values',
    summary: 'Values of a filter column visible to the token',
    tags: ['embed'],
    query: z.object({ search: z.string().max(200).optional() }),
  }),
];

let registered = false;

/** Adds the built-in descriptions to the route catalog (once). */
export function describeBuiltInRoutes(): void {
  if (registered) return;
  registered = true;
  for (const route of BUILT_IN_ROUTES) describeRoute(route);
}
