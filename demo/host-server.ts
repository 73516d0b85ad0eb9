/**
 * The demo host app: stands in for a vendor's own web app. It serves its
 * pages and mints one embed token per tenant with the SDK's node entry, the
 * way a real host backend would after checking its own user's session.
 */
import { readFile } from 'node:fs/promises';
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { signEmbedToken } from '../sdk/node.ts';

export const DEMO_TENANTS = [
  { id: 1, name: 'Northwind Outfitters' },
  { id: 2, name: 'Bluebird Books' },
  { id: 3, name: 'Cobalt Kitchen' },
];

export interface DemoHostOptions {
  /** Where the InsightEngine server is reachable from the browser. */
  insightUrl: string;
  embedSecret: string;
  /** Token lifetime in seconds (short, to show refresh). */
  tokenLifetime?: number;
}

const page = (name: string) => new URL(`./public/${name}`, import.meta.url);

/** The host's pages (path → file) and the files they load. */
export const DEMO_PAGES = {
  '/': 'index.html',
  '/sdk': 'sdk.html',
  '/iframe': 'iframe.html',
  '/filters': 'filters.html',
} as const;
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript',
  'host.js': 'text/javascript',
  'sdk-page.js': 'text/javascript',
  'iframe-page.js': 'text/javascript',
  'filters-page.js': 'text/javascript',
  'host.css': 'text/css',
};

export function createDemoHost(options: DemoHostOptions): Hono {
  const app = new Hono();
  // As any host would: its pages, scripts and styles in gzip (Hono's middleware; Vary included).
  app.use('*', compress({ encoding: 'gzip' }));

  app.get('/api/tenants', (c) => c.json(DEMO_TENANTS));

  // In a real host this handler would read the signed-in user and their tenant from the session.
  app.get('/api/token', async (c) => {
    const tenant = DEMO_TENANTS.find((t) => String(t.id) === c.req.query('tenant'));
    if (!tenant) return c.json({ error: 'unknown tenant' }, 400);
    const token = await signEmbedToken({
      secret: options.embedSecret,
      story: c.req.query('story') ?? 'retail-overview',
      params: { tenant_id: tenant.id },
      sub: `demo-user-of-tenant-${tenant.id}`,
      // The demo's viewers may drill, ask questions and download card data.
      permissions: ['view', 'drill', 'ask', 'export'],
      expiresIn: options.tokenLifetime ?? 600,
    });
    return c.json({ token });
  });

  for (const [path, file] of Object.entries(DEMO_PAGES)) {
    app.get(path, async (c) => {
      // Every page shares the host's header: title, tenant switcher, dark-mode toggle, page links.
      const [html, header] = await Promise.all([readFile(page(file), 'utf8'), readFile(page('host-header.html'), 'utf8')]);
      return c.html(html.replace('%HOST_HEADER%', header.trim()).replaceAll('%INSIGHT_URL%', options.insightUrl));
    });
  }
  app.get('/:asset', async (c) => {
    const asset = c.req.param('asset');
    const type = ASSETS[asset];
    if (!type) return c.notFound();
    const body = (await readFile(page(asset), 'utf8')).replaceAll('%INSIGHT_URL%', options.insightUrl);
    return c.body(body, 200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-cache' });
  });
  return app;
}
