/**
 * The admin REST API (Authorization: Bearer <API key or session JWT>), as one app to mount
 * under `/api`. Mount it before the embed API: `/api/embed/tokens` is an
 * admin route inside the embed API's prefix, and the embed API's token check
 * would otherwise refuse the API key first.
 */
import { Hono } from 'hono';
import { adminAuth, type AdminEnv } from '../../auth/admin-auth.ts';
import type { Services } from '../../services.ts';
import { cacheRoutes } from './cache-routes.ts';
import { configRoutes } from './config-routes.ts';
import { connectionRoutes } from './connection-routes.ts';
import { datasetRoutes } from './dataset-routes.ts';
import { embedTokenRoutes } from './embed-token-routes.ts';
import { queryRoutes } from './query-routes.ts';
import { savedQueryRoutes } from './saved-query-routes.ts';
import { apiKeyRoutes } from './api-key-routes.ts';
import { auditRoutes } from './audit-routes.ts';
import { authRoutes } from './auth-routes.ts';
import { embedKeyRoutes } from './embed-key-routes.ts';
import { roleRoutes } from './role-routes.ts';
import { userRoutes } from './user-routes.ts';
import { aiRoutes } from '../ai-routes.ts';
import { storyRoutes } from './story-routes.ts';
import { collectionRoutes } from './collection-routes.ts';
import { createVersioning } from './versioning.ts';

export type AdminRouteServices = Pick<Services, 'identity' | 'audit' | 'store' | 'box' | 'stories' | 'datasets' | 'connections' | 'connectionStore' | 'cache' | 'engine' | 'history' | 'savedQueries' | 'orgConfig' | 'ask' | 'llm' | 'config'>;

/**
 * @example
 * app.route('/api', adminRoutes(services)); // before app.route('/api/embed', ...)
 */
export function adminRoutes(services: AdminRouteServices, options: { log?: (line: Record<string, unknown>) => void } = {}): Hono<AdminEnv> {
  const auth = adminAuth({
    db: services.store.db,
    sessionKey: services.identity.sessionKey,
    audit: services.audit,
    onTouchError: () => options.log?.({ level: 'warn', msg: 'could not record the last use of an API key' }),
  });
  const { cache, engine, datasets } = services;
  const connections = services.connectionStore;
  const versioning = createVersioning({ requireIfMatch: services.config.requireIfMatch });
  const app = new Hono<AdminEnv>();
  app.route('/connections', connectionRoutes({ auth, connections, registry: services.connections, cache, versioning }));
  app.route('/datasets', datasetRoutes({ auth, datasets, connections, cache, engine, versioning }));
  app.route('/queries', queryRoutes({ auth, engine, history: services.history }));
  app.route('/saved-queries', savedQueryRoutes({ auth, savedQueries: services.savedQueries, datasets, connections, registry: services.connections, engine, versioning }));
  app.route('/cache', cacheRoutes({ auth, cache, datasets, connections }));
  app.route('/config', configRoutes({ auth, orgConfig: services.orgConfig, cache, connections }));
  app.route('/stories', storyRoutes({ auth, db: services.store.db, stories: services.stories, versioning }));
  app.route('/collections', collectionRoutes({ auth, db: services.store.db, versioning }));
  app.route('/ai', aiRoutes({ auth, ask: services.ask, llm: services.llm, aiSettings: async (orgId) => (await services.orgConfig.get(orgId)).ai, engine, savedQueries: services.savedQueries, verify: { datasets, connections: services.connections, engine, rowCap: () => services.config.rowCap } }));
  app.route('/embed/tokens', embedTokenRoutes({ auth, db: services.store.db, box: services.box, stories: services.stories }));
  const { identity } = services;
  app.route('/auth', authRoutes({ auth, identity, db: services.store.db, allowRegistration: services.config.allowRegistration }));
  app.route('/users', userRoutes({ auth, identity }));
  app.route('/roles', roleRoutes({ auth, identity, versioning }));
  app.route('/api-keys', apiKeyRoutes({ auth, identity }));
  app.route('/embed-keys', embedKeyRoutes({ auth, identity, versioning }));
  app.route('/audit', auditRoutes({ auth, audit: services.audit }));
  return app;
}
