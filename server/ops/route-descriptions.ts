/**
 * Descriptions of the operations routes mounted by `createApp` and
 * `opsRoutes`. Every route module calls `describeRoute` next to its routes,
 * with the schemas it validates with; a module's own description wins, these
 * only fill in routes nobody else described.
 */
import { describeRoute, routeCatalog, type RouteDescription } from './openapi.ts';

export const BUILT_IN_ROUTES: RouteDescription[] = [
  { method: 'get', path: '/healthz', summary: 'The process is up: { status: "ok" }', tags: ['operations'], auth: 'none' },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (Bearer INSIGHT_METRICS_TOKEN when set)', tags: ['operations'], auth: 'metrics', responseType: 'text/plain; version=0.0.4' },
  { method: 'get', path: '/api/openapi.json', summary: 'This document', tags: ['operations'], auth: 'none' },
  { method: 'get', path: '/docs', summary: 'The API reference as an HTML page', tags: ['operations'], auth: 'none', responseType: 'text/html' },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Ready for traffic: the platform store (and Redis, when configured) answer and the server is not draining',
    tags: ['operations'],
    auth: 'none',
    errors: ['ERR_NOT_READY'],
  },
];

/**
 * Adds the built-in descriptions to the route catalog, each only where no
 * route module described that route (a module's import runs before this).
 */
export function describeBuiltInRoutes(): void {
  for (const route of BUILT_IN_ROUTES) {
    if (!routeCatalog.get(route.method, route.path)) describeRoute(route);
  }
}
