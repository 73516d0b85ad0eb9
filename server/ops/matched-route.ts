/**
 * The route pattern a request matched (`/api/embed/cards/:cardId/data`), for
 * logs and metric labels: never the raw URL, whose ids would make every
 * request its own time series and could carry a token in the path.
 */
import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';

/** What requests that matched no handler are labelled. */
export const UNMATCHED_ROUTE = 'unmatched';

export function matchedRoute(c: Context): string {
  // Handlers come after the middleware that wrapped them; the last non-middleware match answered.
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route && route.method !== 'ALL') return route.path;
  }
  return UNMATCHED_ROUTE;
}
