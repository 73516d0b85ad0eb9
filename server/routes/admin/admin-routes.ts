/**
 * The admin REST API (Authorization: Bearer <API key>), as one app to mount
 * under `/api`. Mount it before the embed API: `/api/embed/tokens` is an
 * admin route inside the embed API's prefix, and the embed API's token check
 * would otherwise refuse the API key first.
 */
import { Hono } from 'hono';
import { adminAuth, type AdminEnv } from '../../auth/admin-auth.ts';
import type { Services } from '../../services.ts';
import { cacheRoutes } from './cache-routes.ts';
import { connectionRoutes } from './connection-routes.ts';
import { datasetRoutes } from './dataset-routes.ts';
import { embedTokenRoutes } from './embed-token-routes.ts';
import { queryRoutes } from './query-routes.ts';
import { savedQueryRoutes } from './saved-query-routes.ts';

export type AdminRouteServices = Pick<Services, 'store' | 'box' | 'stories' | 'datasets' | 'connections' | 'connectionStore' | 'cache' | 'engine' | 'history' | 'savedQueries'>;

/**
 * @example
 * app.route('/api', adminRoutes(services)); // before app.route('/api/embed', ...)
 */
export function adminRoutes(services: AdminRouteServices, options: { log?: (line: Record<string, unknown>) => void } = {}): Hono<AdminEnv> {
  const auth = adminAuth({
    db: services.store.db,
    onTouchError: () => options.log?.({ level: 'warn', msg: 'could not record the last use of an API key' }),
  });
  const { cache, engine, datasets } = services;
  const connections = services.connectionStore;
  const app = new Hono<AdminEnv>();
  app.route('/connections', connectionRoutes({ auth, connections, registry: services.connections, cache }));
  app.route('/datasets', datasetRoutes({ auth, datasets, connections, cache, engine }));
  app.route('/queries', queryRoutes({ auth, engine, history: services.history }));
  app.route('/saved-queries', savedQueryRoutes({ auth, savedQueries: services.savedQueries, datasets, connections, registry: services.connections, engine }));
  app.route('/cache', cacheRoutes({ auth, cache, datasets, connections }));
  app.route('/embed/tokens', embedTokenRoutes({ auth, db: services.store.db, box: services.box, stories: services.stories }));
  return app;
}
