/**
 * `/api/queries`: structured queries and SQL over datasets run by the admin
 * with explicit row policy parameters, and the organisation's query history.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requirePermission } from '../../auth/permissions.ts';
import type { QueryHistory } from '../../history/query-history.ts';
import { resultBody, type QueryEngine } from '../../query/query-engine.ts';
import { structuredQuerySchema } from '../../query/structured-query.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp, apiKeyActor } from './admin-app.ts';
import { queryParamsSchema } from './query-params-schema.ts';

export interface QueryRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  engine: QueryEngine;
  history: QueryHistory;
}

const runBody = z.object({ query: structuredQuerySchema, params: queryParamsSchema }).strict();

const executeBody = z
  .object({
    connectionId: z.string().min(1).max(100),
    sql: z.string().min(1).max(100_000),
    params: queryParamsSchema,
  })
  .strict();

const historyQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(500).optional(),
    status: z.enum(['ok', 'error']).optional(),
  })
  .strict();

const tags = ['queries'];
const runQuery = defineRoute({ method: 'post', path: '/api/queries/run', summary: 'Run a structured query with explicit row policy params: { columns, rows, rowCount, truncated, fromCache, executionMs }', tags, auth: 'admin', permission: 'db:query', body: runBody, errors: ['ERR_DATASET_NOT_FOUND', 'ERR_COLUMN_UNKNOWN', 'ERR_POLICY_PARAM_MISSING', 'ERR_QUERY_FAILED', 'ERR_QUERY_TIMEOUT', 'ERR_DATABASE_UNAVAILABLE'] });
const executeSql = defineRoute({ method: 'post', path: '/api/queries/execute', summary: 'Run SQL over datasets through the SQL guard, confined to their row policies with the given params', tags, auth: 'admin', permission: 'db:query', body: executeBody, errors: ['ERR_CONNECTION_NOT_FOUND', 'ERR_SQL_PARSE', 'ERR_SQL_NOT_ALLOWED', 'ERR_SQL_TABLE_NOT_ALLOWED', 'ERR_SQL_FUNCTION_NOT_ALLOWED', 'ERR_POLICY_PARAM_MISSING', 'ERR_QUERY_FAILED', 'ERR_QUERY_TIMEOUT', 'ERR_DATABASE_UNAVAILABLE'] });
const listHistory = defineRoute({ method: 'get', path: '/api/queries/history', summary: 'Who ran what, how long, how many rows, newest first (cursor paging): { items, nextCursor }', tags, auth: 'admin', permission: 'db:admin', query: historyQuery });

export function queryRoutes(deps: QueryRouteDeps): Hono<AdminEnv> {
  const app = adminApp(deps.auth);

  app.post('/run', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'db:query');
    const body = await runQuery.body(c);
    const result = await deps.engine.runStructured({
      orgId: admin.orgId,
      query: body.query,
      params: body.params,
      signal: c.req.raw.signal,
      actor: apiKeyActor(admin),
    });
    const payload = resultBody(result);
    return c.body(payload, 200, { 'content-type': 'application/json' });
  });

  // SQL over datasets: the guard confines it to the datasets' row policies with the given params.
  app.post('/execute', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'db:query');
    const body = await executeSql.body(c);
    const result = await deps.engine.runSql({
      orgId: admin.orgId,
      connectionId: body.connectionId,
      sql: body.sql,
      params: body.params,
      signal: c.req.raw.signal,
      actor: apiKeyActor(admin),
    });
    const payload = resultBody(result);
    return c.body(payload, 200, { 'content-type': 'application/json' });
  });

  app.get('/history', async (c) => {
    const admin = c.get('admin');
    // Every actor's queries of the organisation: an administrative view.
    requirePermission(admin, 'db:admin');
    const { limit, cursor, status } = listHistory.query(c);
    return c.json(await deps.history.list(admin.orgId, { limit, cursor, status }));
  });

  return app;
}
