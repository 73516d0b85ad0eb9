/**
 * `/api/connections`: customer databases of the caller's organisation.
 * Credentials go in and never come out; deleting or changing a connection
 * closes its pool and forgets its cached results.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requirePermission } from '../../auth/permissions.ts';
import type { ResultCache } from '../../cache/result-cache.ts';
import { createConnectionSchema, updateConnectionSchema, type ConnectionRepository } from '../../connections/connection-repository.ts';
import type { ConnectionRegistry } from '../../connectors/connection-registry.ts';
import { couldNotConnect, type Connector } from '../../connectors/connector.ts';
import { isInsightError, type InsightError } from '../../errors/insight-error.ts';
import { describeRoute } from '../../ops/openapi.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp, idParam } from './admin-app.ts';
import { VERSION_ERRORS, type Versioning } from './versioning.ts';

export interface ConnectionRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  connections: ConnectionRepository;
  registry: ConnectionRegistry;
  cache: ResultCache;
  versioning: Versioning;
}

const schemaQuery = z.object({ refresh: z.enum(['0', '1', 'true', 'false']).optional() }).strict();

const tags = ['connections'];
describeRoute({ method: 'get', path: '/api/connections', summary: 'List connections (no credentials)', tags, auth: 'admin', permission: 'datasource:read' });
const createConnection = defineRoute({ method: 'post', path: '/api/connections', summary: 'Create a connection; credentials are encrypted and never returned', tags, auth: 'admin', permission: 'db:connect', body: createConnectionSchema, status: 201, errors: ['ERR_CONFLICT', 'ERR_CONNECTION_HOST_NOT_ALLOWED'] });
describeRoute({ method: 'get', path: '/api/connections/:id', summary: 'Read a connection (no credentials)', tags, auth: 'admin', permission: 'datasource:read', errors: ['ERR_CONNECTION_NOT_FOUND'], versioned: true });
const updateConnection = defineRoute({ method: 'patch', path: '/api/connections/:id', summary: 'Update a connection (reopens its pool, drops its cached results)', tags, auth: 'admin', permission: 'db:connect', body: updateConnectionSchema, errors: ['ERR_CONNECTION_NOT_FOUND', 'ERR_CONNECTION_HOST_NOT_ALLOWED', ...VERSION_ERRORS], versioned: true });
describeRoute({ method: 'delete', path: '/api/connections/:id', summary: 'Delete a connection (closes its pool, drops its cached results)', tags, auth: 'admin', permission: 'db:connect', errors: ['ERR_CONNECTION_NOT_FOUND', ...VERSION_ERRORS], versioned: true });
describeRoute({ method: 'post', path: '/api/connections/:id/test', summary: 'Round trip to the database: { ok, latencyMs }', tags, auth: 'admin', permission: 'db:connect', errors: ['ERR_CONNECTION_NOT_FOUND', 'ERR_CONNECTION_HOST_NOT_ALLOWED', 'ERR_DATABASE_UNAVAILABLE'] });
const readSchema = defineRoute({ method: 'get', path: '/api/connections/:id/schema', summary: 'Tables, columns and keys of the connection (stored; `refresh=1` reads the database again)', tags, auth: 'admin', permission: 'datasource:read', query: schemaQuery, errors: ['ERR_CONNECTION_NOT_FOUND', 'ERR_CONNECTION_HOST_NOT_ALLOWED', 'ERR_DATABASE_UNAVAILABLE'] });

const PASSED_THROUGH = new Set(['ERR_DATABASE_UNAVAILABLE', 'ERR_CONNECTION_NOT_FOUND', 'ERR_CONNECTION_HOST_NOT_ALLOWED']);

/** Whatever stops us from reaching the database reads as one answer, without the driver's words (see couldNotConnect). */
function unavailable(error: unknown): InsightError {
  if (isInsightError(error) && PASSED_THROUGH.has(error.code)) return error;
  return couldNotConnect(isInsightError(error) ? error.code : 'test');
}

export function connectionRoutes(deps: ConnectionRouteDeps): Hono<AdminEnv> {
  const app = adminApp(deps.auth);
  const { versioning } = deps;

  /** The live connector, after checking that the connection is the caller's (the registry is keyed by id alone). */
  async function connectorOf(orgId: string, id: string): Promise<Connector> {
    await deps.connections.get(orgId, id);
    return deps.registry.get(orgId, id);
  }

  /** After a change the pool must reopen with the new settings and old results must not be served. */
  async function forget(id: string): Promise<void> {
    await deps.registry.release(id);
    await deps.cache.invalidateTag(`connection:${id}`);
  }

  app.get('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:read');
    return c.json({ items: await deps.connections.list(admin.orgId) });
  });

  app.post('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'db:connect');
    const body = await createConnection.body(c);
    const view = await deps.connections.create(admin.orgId, body);
    return versioning.json(c, view, view.version, 201);
  });

  app.get('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:read');
    const view = await deps.connections.get(admin.orgId, idParam(c.req.param('id')));
    return versioning.json(c, view, view.version);
  });

  app.patch('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'db:connect');
    const id = idParam(c.req.param('id'));
    const expected = versioning.expected(c);
    const body = await updateConnection.body(c);
    const view = await deps.connections.update(admin.orgId, id, body, expected);
    await forget(id);
    return versioning.json(c, view, view.version);
  });

  app.delete('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'db:connect');
    const id = idParam(c.req.param('id'));
    await deps.connections.remove(admin.orgId, id, versioning.expected(c));
    await forget(id);
    return c.body(null, 204);
  });

  app.post('/:id/test', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'db:connect');
    const id = idParam(c.req.param('id'));
    const started = performance.now();
    try {
      const connector = await connectorOf(admin.orgId, id);
      await connector.test();
    } catch (error) {
      throw unavailable(error);
    }
    return c.json({ ok: true, latencyMs: Math.round(performance.now() - started) });
  });

  app.get('/:id/schema', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:read');
    const id = idParam(c.req.param('id'));
    const { refresh } = readSchema.query(c);
    if (refresh !== '1' && refresh !== 'true') {
      const stored = await deps.connections.readSchema(admin.orgId, id);
      if (stored) return c.json({ ...stored, fromCache: true });
    }
    const connector = await connectorOf(admin.orgId, id);
    const schema = await connector.introspect();
    return c.json({ ...(await deps.connections.writeSchema(admin.orgId, id, schema)), fromCache: false });
  });

  return app;
}
