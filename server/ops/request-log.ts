/**
 * One structured line per request: time, level, requestId, method, route
 * pattern, status, durationMs and the kind of caller. Never the URL's query
 * string, a header or a body, so no token, key or filter value is logged.
 */
import type { MiddlewareHandler } from 'hono';
import type { LogSink } from './logger.ts';
import { matchedRoute } from './matched-route.ts';

export type ActorKind = 'api_key' | 'user' | 'embed' | 'anonymous';

/** Who called, as far as authentication got: admin (API key or user session), embed viewer, or nobody. */
export function actorKind(get: (name: string) => unknown): ActorKind {
  const admin = get('admin') as { actor?: { type?: unknown } } | undefined;
  if (admin) return admin.actor?.type === 'user' ? 'user' : 'api_key';
  if (get('viewer')) return 'embed';
  return 'anonymous';
}

/**
 * @example
 * app.use('*', requestLog({ log }));
 */
export function requestLog(options: { log: LogSink; now?: () => number }): MiddlewareHandler {
  const now = options.now ?? (() => performance.now());
  return async function requestLogHandler(c, next) {
    const started = now();
    try {
      await next();
    } finally {
      const status = c.res.status;
      options.log({
        level: status >= 500 ? 'error' : 'info',
        msg: 'request',
        requestId: c.get('requestId' as never) as string | undefined,
        method: c.req.method,
        route: matchedRoute(c),
        status,
        durationMs: Math.round((now() - started) * 10) / 10,
        actor: actorKind((name) => c.get(name as never)),
      });
    }
  };
}
