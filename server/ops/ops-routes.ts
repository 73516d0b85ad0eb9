/**
 * Operations on the app: the middleware every request passes (metrics,
 * request log, body limits, rate limits) and the routes `/readyz`,
 * `/metrics`, `/api/openapi.json` and `/docs`.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { Hono, type Handler, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { InsightError } from '../errors/insight-error.ts';
import { problemResponse } from '../errors/problem-response.ts';
import type { Services } from '../services.ts';
import { renderDocsPage } from './docs-page.ts';
import { checkReadiness } from './lifecycle.ts';
import type { LogSink } from './logger.ts';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi.ts';
import { rateLimit } from './rate-limit.ts';
import type { EmbedKeyRing } from '../tokens/embed-key-ring.ts';
import { verifyEmbedToken } from '../tokens/verify-embed-token.ts';
import { requestLog } from './request-log.ts';
import { describeBuiltInRoutes } from './route-descriptions.ts';

/** Card data and filter values carry a few filters; nothing an embed sends comes near this. */
export const EMBED_MAX_BODY_BYTES = 64 * 1024;
/** Every other route; the admin API sets its own (1 MiB) as well. */
export const MAX_BODY_BYTES = 1024 * 1024;

type OpsServices = Pick<Services, 'ops' | 'config' | 'store'> & Partial<Pick<Services, 'keys'>>;

const tooLarge = () => {
  throw new InsightError('ERR_BODY_TOO_LARGE');
};

/**
 * A body limit that first reads what the request line and headers already tell.
 * Hono's `bodyLimit` reads `c.req.raw.body`, which makes the Node adapter build
 * a full web Request (body stream, abort signal) for every request, a GET
 * included; a request without a body, or with a Content-Length, needs none of
 * that. A chunked body is still counted as it streams.
 */
function limitBody(maxSize: number): MiddlewareHandler {
  const streamed = bodyLimit({ maxSize, onError: tooLarge });
  return (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) return Number.parseInt(length, 10) > maxSize ? tooLarge() : next();
    return streamed(c, next);
  };
}

/**
 * Mount right after the request id, before any route.
 *
 * @example
 * useOps(app, services, { log });
 */
export function useOps(app: Hono<any>, services: OpsServices, options: { log?: LogSink | undefined } = {}): void {
  const { metrics, limiter } = services.ops;
  app.use('*', metrics.httpMiddleware());
  if (options.log) app.use('*', requestLog({ log: options.log }));
  const embedLimit = limitBody(EMBED_MAX_BODY_BYTES);
  const otherLimit = limitBody(MAX_BODY_BYTES);
  // One limit per request: the embed API's, or the general one (each wraps the body once).
  app.use('*', (c, next) => (c.req.path.startsWith('/api/embed/') ? embedLimit(c, next) : otherLimit(c, next)));
  app.use(
    '/api/*',
    rateLimit({
      limiter,
      limits: { admin: services.config.rateLimit.admin, embed: services.config.rateLimit.embed },
      allowedOrigins: services.config.allowedOrigins,
      onLimited: (scope) => metrics.recordRateLimited(scope),
      ...(services.keys ? { verifyEmbed: verifiedViewer(services.keys) } : {}),
    }),
  );
}

/** The key id and `sub` of a verified embed token, or undefined when it does not verify. */
function verifiedViewer(keys: EmbedKeyRing) {
  return (token: string) => verifyEmbedToken(token, keys).then(
    (viewer) => ({ keyId: viewer.keyId, sub: viewer.sub }),
    () => undefined,
  );
}

/** `/readyz`: 200 when the store (and Redis, when configured) answer and the server is not draining; 503 problem+json otherwise. */
export function readyzHandler(services: OpsServices): Handler {
  return async function readyz(c) {
    const { ready, checks } = await checkReadiness({ lifecycle: services.ops.lifecycle, db: services.store.db, redis: services.ops.redis });
    c.header('cache-control', 'no-store');
    if (ready) return c.json({ status: 'ready', checks });
    return problemResponse(c, new InsightError('ERR_NOT_READY', services.ops.lifecycle.draining ? 'The server is shutting down' : 'A dependency does not answer', { checks }));
  };
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * `/metrics`, `/api/openapi.json` and `/docs`. `app` is the whole app: the
 * document lists every route mounted on it, read at the first request, when
 * mounting is over.
 *
 * @example
 * app.route('/', opsRoutes(services, () => app));
 */
export function opsRoutes(services: OpsServices, whole: () => Pick<Hono<any, any, any>, 'routes'>): Hono {
  describeBuiltInRoutes();
  const routes = new Hono();
  const token = services.config.metricsToken;
  let document: OpenApiDocument | undefined;
  let page: string | undefined;
  const openapi = () => (document ??= buildOpenApiDocument(whole(), {
    description: 'Embeddable analytics: admin API (API key or user session) and embed API (embed token). Errors are application/problem+json with a stable code.',
  }));

  routes.get('/metrics', async (c) => {
    if (token) {
      const sent = c.req.header('authorization')?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
      // Compared as digests: equal length, constant time, whatever was sent.
      if (!sent || !timingSafeEqual(digest(sent), digest(token))) throw new InsightError('ERR_UNAUTHENTICATED', 'Send the metrics token as "Authorization: Bearer <token>"');
    }
    const { body, contentType } = await services.ops.metrics.render();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });

  routes.get('/api/openapi.json', (c) => {
    c.header('access-control-allow-origin', '*');
    return c.json(openapi());
  });

  routes.get('/docs', (c) => c.html((page ??= renderDocsPage(openapi()))));

  return routes;
}
