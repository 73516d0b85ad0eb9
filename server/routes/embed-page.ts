/**
 * The iframe embed page, `GET /embed/story/{id}#token=…`: a minimal HTML page
 * that loads the embed script and the iframe bootstrap from /static/ (no
 * inline script, so its strict Content-Security-Policy holds). The token
 * stays in the fragment, which browsers never send to a server.
 *
 * Who may frame it: `frame-ancestors` lists the allowed origins of the story's
 * organisation's active embed keys, else the server's configured origins,
 * else only this origin.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import { InsightError } from '../errors/insight-error.ts';
import { describeRoute } from '../ops/openapi.ts';
import type { StoreSchema } from '../store/store-schema.ts';

export interface EmbedPageDeps {
  db: Kysely<StoreSchema>;
  /** The server's configured origins (INSIGHT_ALLOWED_ORIGINS), used when the organisation's keys list none. */
  allowedOrigins: string[];
}

describeRoute({
  method: 'get',
  path: '/embed/story/:id',
  summary: 'The iframe page of a story (id or slug); the embed token goes in the fragment, `#token=…`, never to the server',
  tags: ['embed'],
  auth: 'none',
  responseType: 'text/html',
  errors: ['ERR_STORY_NOT_FOUND'],
});

/** Path prefix of the iframe pages, exempt from the global `X-Frame-Options`. */
export const EMBED_PAGE_PREFIX = '/embed/story/';

// A scheme, host (optionally `*.` for subdomains) and port: nothing that could end or add a CSP directive.
const ORIGIN = /^https?:\/\/(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/i;

/** One CSP source for an allowed origin, or undefined when it is not a plain origin. */
export function toFrameSource(origin: string): string | undefined {
  const value = origin.trim().replace(/\/+$/, '');
  if (value === '*') return '*';
  return ORIGIN.test(value) ? value.toLowerCase() : undefined;
}

/** The `frame-ancestors` sources: deduplicated plain origins, `'self'` when none is left. */
export function frameAncestorsDirective(origins: string[]): string {
  const sources = [...new Set(origins.map(toFrameSource).filter((s): s is string => s !== undefined))];
  if (sources.includes('*')) return 'frame-ancestors *';
  return `frame-ancestors ${sources.length > 0 ? sources.join(' ') : "'self'"}`;
}

/**
 * Origins allowed to frame a story: the union over the organisation's active
 * embed keys. A slug that several organisations use resolves to the origins
 * all of them allow (never one organisation's origins for another's story).
 * `undefined` when no story has this id or slug.
 */
export async function storyFrameOrigins(db: Kysely<StoreSchema>, idOrSlug: string, fallback: string[]): Promise<string[] | undefined> {
  const stories = await db
    .selectFrom('stories')
    .select('org_id')
    .where((eb) => eb.or([eb('id', '=', idOrSlug), eb('slug', '=', idOrSlug)]))
    .execute();
  const orgIds = [...new Set(stories.map((s) => s.org_id))];
  if (orgIds.length === 0) return undefined;
  const keys = await db.selectFrom('embed_keys').select(['org_id', 'allowed_origins']).where('org_id', 'in', orgIds).where('revoked_at', 'is', null).execute();
  const perOrg = orgIds.map((org) => {
    const origins = keys.filter((k) => k.org_id === org).flatMap((k) => (Array.isArray(k.allowed_origins) ? k.allowed_origins : []));
    return origins.length > 0 ? origins : fallback;
  });
  const [first = [], ...rest] = perOrg;
  return first.filter((origin) => rest.every((list) => list.includes(origin) || list.includes('*')));
}

/** Content-Security-Policy of the iframe page: no inline script and no eval (charts run Vega's expression interpreter). */
export function embedPagePolicy(frameOrigins: string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    frameAncestorsDirective(frameOrigins),
  ].join('; ');
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function pageHtml(story: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeHtml(story)}</title>
    <script type="module" src="/static/insight-embed.js"></script>
    <script type="module" src="/static/insight-iframe.js"></script>
  </head>
  <body></body>
</html>
`;
}

/**
 * Runs before the global secure headers: the iframe page must be framable by
 * the origins its own `frame-ancestors` names, so the global
 * `X-Frame-Options` (which would forbid it) is taken off this route only.
 */
export function allowFraming(): MiddlewareHandler {
  return async function allowFramingHandler(c, next) {
    await next();
    if (c.req.path.startsWith(EMBED_PAGE_PREFIX) && c.res.headers.get('content-security-policy')?.includes('frame-ancestors')) {
      c.res.headers.delete('x-frame-options');
    }
  };
}

export function embedPageRoutes(deps: EmbedPageDeps): Hono {
  const app = new Hono();
  app.get('/story/:id', async (c) => {
    const id = c.req.param('id');
    if (id.length > 200) throw new InsightError('ERR_STORY_NOT_FOUND');
    const origins = await storyFrameOrigins(deps.db, id, deps.allowedOrigins);
    if (!origins) throw new InsightError('ERR_STORY_NOT_FOUND');
    c.header('content-security-policy', embedPagePolicy(origins));
    c.header('cache-control', 'no-cache');
    return c.html(pageHtml(id));
  });
  return app;
}
