/**
 * Which web origins may use the embed API. Each embed key lists its allowed
 * origins; a key with an empty list falls back to INSIGHT_ALLOWED_ORIGINS.
 * A CORS preflight carries no token, so it is answered for any origin some
 * active key (or the server-wide list) allows; the request itself is then
 * checked against the key that signed its token, so one organisation's
 * origins never open another's embeds.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { InsightError } from '../errors/insight-error.ts';
import type { EmbedKeyRing } from './embed-key-ring.ts';
import type { EmbedViewer } from './verify-embed-token.ts';

/** The origins a token's key allows: its own list, or the server-wide one when the key has none. */
export function originsFor(viewer: Pick<EmbedViewer, 'allowedOrigins'>, serverWide: readonly string[]): readonly string[] {
  return viewer.allowedOrigins.length > 0 ? viewer.allowedOrigins : serverWide;
}

/**
 * The `origin` option of hono's cors() for the embed API.
 *
 * @example
 * app.use('*', cors({ origin: embedCorsOrigin(keys, config.allowedOrigins), ... }));
 */
export function embedCorsOrigin(keys: EmbedKeyRing, serverWide: readonly string[]): (origin: string, c: Context) => Promise<string | null> {
  return async function embedCorsOriginCheck(origin) {
    if (serverWide.includes('*')) return '*';
    if (serverWide.includes(origin)) return origin;
    const allowed = await keys.allowedOrigins();
    return allowed.has('*') || allowed.has(origin) ? origin : null;
  };
}

/**
 * After the token check: a browser request from an origin the token's key
 * does not allow is refused (ERR_ORIGIN_NOT_ALLOWED). Requests without an
 * Origin header (server-side callers, same-origin GETs) pass.
 *
 * The CORS answer is settled here too, now that the key is known: when its
 * origins are a list, `Access-Control-Allow-Origin` echoes the request's
 * origin if listed and is absent otherwise, never the `*` that the token-less
 * CORS step may have set (cors() adds `Vary: Origin`).
 */
export function embedOriginGuard(serverWide: readonly string[]): MiddlewareHandler<{ Variables: { viewer: EmbedViewer } }> {
  return async function embedOriginGuardHandler(c, next) {
    const origin = c.req.header('origin');
    const allowed = originsFor(c.get('viewer'), serverWide);
    if (!allowed.includes('*')) {
      const listed = origin !== undefined && allowed.includes(origin);
      // The same headers object hono's cors() wrote to, so the final response (or problem) carries it.
      if (listed) c.res.headers.set('access-control-allow-origin', origin);
      else c.res.headers.delete('access-control-allow-origin');
      if (origin !== undefined && !listed) throw new InsightError('ERR_ORIGIN_NOT_ALLOWED');
    }
    await next();
  };
}
