/**
 * The HTTP application: route modules mounted on one Hono app, one error
 * handler rendering problem+json, request ids, and the embed script served
 * like a CDN would serve it.
 */
import { existsSync } from 'node:fs';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { compressResponses } from './compression/compress-responses.ts';
import { staticAssets } from './compression/static-assets.ts';
import { InsightError } from './errors/insight-error.ts';
import { problemResponse, toInsightError } from './errors/problem-response.ts';
import { adminRoutes } from './routes/admin/admin-routes.ts';
import { embedRoutes } from './routes/embed-routes.ts';
import { opsRoutes, readyzHandler, useOps } from './ops/ops-routes.ts';
import { allowFraming, embedPageRoutes } from './routes/embed-page.ts';
import type { Services } from './services.ts';

export interface AppOptions {
  /** Folder with the built embed bundle (`npm run build`), served under /static/. */
  staticDir?: string;
  log?: (line: Record<string, unknown>) => void;
}

export function createApp(services: Services, options: AppOptions = {}): Hono {
  const app = new Hono();
  app.use('*', requestId());
  // Before the secure headers, so it can take their X-Frame-Options off the iframe page only.
  app.use('/embed/story/*', allowFraming());
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'cross-origin', crossOriginOpenerPolicy: false }));
  // Metrics, request log, body limits and rate limits: before any route.
  useOps(app, services, { log: options.log });
  // JSON and HTML answers over 1 KB in brotli or gzip (after the metrics, so their timings include it).
  app.use('*', compressResponses({ threshold: 1024 }));

  app.onError((error, c) => {
    const insight = toInsightError(error);
    if (insight.code === 'ERR_INTERNAL') {
      options.log?.({ level: 'error', msg: 'unhandled error', requestId: c.get('requestId'), path: c.req.path, error: String(error) });
    } else if (insight.code === 'ERR_DATABASE_UNAVAILABLE') {
      // The caller only learns 'could not connect'; why (errno, SQLSTATE) is for the operator.
      const reason = (insight.cause as { reason?: unknown } | undefined)?.reason;
      options.log?.({ level: 'warn', msg: 'database unreachable', requestId: c.get('requestId'), path: c.req.path, reason: reason === undefined ? null : String(reason) });
    }
    return problemResponse(c, insight);
  });
  app.notFound((c) => problemResponse(c, new InsightError('ERR_NOT_FOUND')));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', readyzHandler(services));
  // /metrics, /api/openapi.json (every route mounted on this app) and /docs.
  app.route('/', opsRoutes(services, () => app));

  // First: it holds /api/embed/tokens, which the embed API's token check would otherwise claim.
  app.route('/api', adminRoutes(services, options.log ? { log: options.log } : {}));
  app.route('/embed', embedPageRoutes({ db: services.store.db, allowedOrigins: services.config.allowedOrigins }));
  app.route('/api/embed', embedRoutes({ keys: services.keys, stories: services.stories, engine: services.engine, allowedOrigins: services.config.allowedOrigins, ask: services.ask }));

  const staticDir = options.staticDir;
  if (staticDir && existsSync(staticDir)) {
    // Precompressed codings by Accept-Encoding; hashed chunks immutable, entry files revalidated by ETag.
    app.use('/static/*', staticAssets({ root: staticDir, prefix: '/static' }));
  }
  return app;
}
