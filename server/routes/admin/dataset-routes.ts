/**
 * `/api/datasets`: governed datasets of the caller's organisation, and a
 * preview that runs a query through the engine with test parameters the admin
 * gives explicitly, exactly as an embed token's params would be applied.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requirePermission } from '../../auth/permissions.ts';
import type { ResultCache } from '../../cache/result-cache.ts';
import type { ConnectionRepository } from '../../connections/connection-repository.ts';
import type { Dialect } from '../../connectors/connector.ts';
import { checkDatasetDefinition } from '../../datasets/check-dataset-definition.ts';
import { datasetDefinitionSchema, type DatasetDefinition, type DatasetRepository } from '../../datasets/dataset-repository.ts';
import { InsightError } from '../../errors/insight-error.ts';
import { describeRoute } from '../../ops/openapi.ts';
import { policyParams } from '../../query/dataset-source.ts';
import { resultBody, type QueryEngine } from '../../query/query-engine.ts';
import { structuredQuerySchema } from '../../query/structured-query.ts';
import type { DatasetRow } from '../../store/store-schema.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp, apiKeyActor, idParam } from './admin-app.ts';
import { queryParamsSchema } from './query-params-schema.ts';
import { VERSION_ERRORS, type Versioning } from './versioning.ts';

export interface DatasetRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  datasets: DatasetRepository;
  connections: ConnectionRepository;
  cache: ResultCache;
  engine: QueryEngine;
  versioning: Versioning;
}

/** Rows a preview shows when its query sets no limit. */
export const PREVIEW_ROWS = 100;

/** The body of `PUT /api/datasets/:id` and `POST /api/datasets`. */
export const datasetBodySchema = datasetDefinitionSchema;

/** The body of `POST /api/datasets/:id/preview`. */
export const datasetPreviewBodySchema = z
  .object({
    params: queryParamsSchema,
    // The dataset is the one in the path; a query may leave it out.
    query: structuredQuerySchema.extend({ dataset: structuredQuerySchema.shape.dataset.optional() }).optional(),
  })
  .strict();

export function datasetView(row: DatasetRow) {
  return {
    id: row.id,
    name: row.name,
    label: row.label,
    description: row.description,
    connectionId: row.connection_id,
    table: row.source_table,
    sql: row.source_sql,
    columns: row.columns,
    rowPolicy: row.row_policy,
    /** The parameters every embed token (or preview) must carry for this dataset. */
    policyParams: policyParams(row.row_policy),
    cacheTtlSeconds: row.cache_ttl_seconds,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const tags = ['datasets'];
const SAVE_ERRORS = ['ERR_VALIDATION', 'ERR_CONNECTION_NOT_FOUND'] as const;

/**
 * Called when the routes are built, after the built-in descriptions are
 * registered, so these (with bodies, statuses and errors) are the ones served.
 */
function describeDatasetRoutes() {
  describeRoute({ method: 'get', path: '/api/datasets', summary: 'List datasets', tags, auth: 'admin', permission: 'datasource:read' });
  const createDataset = defineRoute({
    method: 'post',
    path: '/api/datasets',
    summary: 'Create a dataset; its SQL must be one SELECT and its row policy a condition over its columns',
    tags,
    auth: 'admin',
    permission: 'datasource:write',
    body: datasetBodySchema,
    status: 201,
    errors: [...SAVE_ERRORS, 'ERR_CONFLICT'],
  });
  describeRoute({ method: 'get', path: '/api/datasets/:id', summary: 'Read a dataset', tags, auth: 'admin', permission: 'datasource:read', errors: ['ERR_DATASET_NOT_FOUND'], versioned: true });
  const replaceDataset = defineRoute({
    method: 'put',
    path: '/api/datasets/:id',
    summary: 'Replace a dataset (bumps its version); checked like a new one',
    tags,
    auth: 'admin',
    permission: 'datasource:write',
    body: datasetBodySchema,
    errors: [...SAVE_ERRORS, 'ERR_DATASET_NOT_FOUND', 'ERR_CONFLICT', ...VERSION_ERRORS],
    versioned: true,
  });
  describeRoute({ method: 'delete', path: '/api/datasets/:id', summary: 'Delete a dataset', tags, auth: 'admin', permission: 'datasource:write', status: 204, errors: ['ERR_DATASET_NOT_FOUND', ...VERSION_ERRORS], versioned: true });
  const previewDataset = defineRoute({
    method: 'post',
    path: '/api/datasets/:id/preview',
    summary: 'Rows as a viewer with the given params sees them (at most 100 unless the query sets a limit)',
    tags,
    auth: 'admin',
    permission: 'db:query',
    body: datasetPreviewBodySchema,
    // ERR_SQL_*: a dataset stored before the SQL guard covered dataset SQL, which it now refuses.
    errors: ['ERR_DATASET_NOT_FOUND', 'ERR_POLICY_PARAM_MISSING', 'ERR_SQL_NOT_ALLOWED', 'ERR_SQL_TABLE_NOT_ALLOWED', 'ERR_SQL_FUNCTION_NOT_ALLOWED', 'ERR_QUERY_FAILED', 'ERR_QUERY_TIMEOUT'],
  });
  return { createDataset, replaceDataset, previewDataset };
}

const dialectOf = (type: string): Dialect => (type === 'mysql' ? 'mysql' : 'postgres');

export function datasetRoutes(deps: DatasetRouteDeps): Hono<AdminEnv> {
  const { createDataset, replaceDataset, previewDataset } = describeDatasetRoutes();
  const app = adminApp(deps.auth);
  const { versioning } = deps;
  const reply = (c: Context, row: DatasetRow, status?: 201) => versioning.json(c, datasetView(row), row.version, status);

  /** The connection must be the organisation's; the SQL and policy must make sense in its dialect. */
  const checkSaved = async (orgId: string, body: DatasetDefinition) => {
    const connection = await deps.connections.get(orgId, body.connectionId);
    checkDatasetDefinition(body, dialectOf(connection.type));
  };

  const forget = (id: string) => deps.cache.invalidateTag(`dataset:${id}`);

  app.get('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:read');
    return c.json({ items: (await deps.datasets.list(admin.orgId)).map(datasetView) });
  });

  app.post('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:write');
    const body = await createDataset.body(c);
    await checkSaved(admin.orgId, body);
    return reply(c, await deps.datasets.create(admin.orgId, body), 201);
  });

  app.get('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:read');
    return reply(c, await deps.datasets.getById(admin.orgId, idParam(c.req.param('id'))));
  });

  app.put('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:write');
    const id = idParam(c.req.param('id'));
    const expected = versioning.expected(c);
    const body = await replaceDataset.body(c);
    await checkSaved(admin.orgId, body);
    const row = await deps.datasets.update(admin.orgId, id, body, expected);
    await forget(id);
    return reply(c, row);
  });

  app.delete('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:write');
    const id = idParam(c.req.param('id'));
    await deps.datasets.remove(admin.orgId, id, versioning.expected(c));
    await forget(id);
    return c.body(null, 204);
  });

  app.post('/:id/preview', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'db:query');
    const dataset = await deps.datasets.getById(admin.orgId, idParam(c.req.param('id')));
    const body = await previewDataset.body(c);
    const query = body.query ?? { dimensions: [], measures: [], filters: [], sort: [] };
    if (query.dataset !== undefined && query.dataset !== dataset.name) {
      throw new InsightError('ERR_VALIDATION', 'The query names another dataset', { errors: [{ path: 'query.dataset', message: `must be "${dataset.name}" or left out` }] });
    }
    const result = await deps.engine.runStructured({
      orgId: admin.orgId,
      query: { ...query, dataset: dataset.name, limit: query.limit ?? PREVIEW_ROWS },
      params: body.params,
      signal: c.req.raw.signal,
      actor: apiKeyActor(admin),
    });
    const payload = resultBody(result);
    return c.body(payload, 200, { 'content-type': 'application/json' });
  });

  return app;
}
