import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PERMISSIONS } from '../auth/permissions.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';
import { buildOpenApiDocument, createRouteCatalog, normalisePath, type OpenApiDocument, type Operation } from './openapi.ts';

describe('normalisePath', () => {
  it('turns Hono patterns into OpenAPI paths', () => {
    expect(normalisePath('/api/connections/:id')).toBe('/api/connections/{id}');
    expect(normalisePath('/api/items/:id{[0-9]+}/parts/:part?')).toBe('/api/items/{id}/parts/{part}');
    expect(normalisePath('/api/things/')).toBe('/api/things');
    expect(normalisePath('/')).toBe('/');
  });
});

describe('buildOpenApiDocument', () => {
  it('documents mounted routes only, described or generic, with resolvable recursive schemas', () => {
    interface Node {
      name: string;
      children: Node[];
    }
    const node: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string(), children: z.array(node) }));
    const catalog = createRouteCatalog();
    catalog.describe({ method: 'post', path: '/api/trees', summary: 'Plant a tree', tags: ['trees'], auth: 'admin', permission: 'story:create', body: z.object({ root: node }) });
    catalog.describe({ method: 'put', path: '/api/trees', summary: 'Replace the tree', tags: ['trees'], body: node });
    catalog.describe({ method: 'get', path: '/api/not-mounted', summary: 'Gone', tags: ['gone'] });
    const app = new Hono();
    const sub = new Hono();
    sub.post('/', (c) => c.json({}));
    sub.put('/', (c) => c.json({}));
    sub.get('/:treeId/leaves', (c) => c.json({}));
    app.route('/api/trees', sub);
    app.use('*', async (_c, next) => next());

    const doc = buildOpenApiDocument(app, { catalog });
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/trees', '/api/trees/{treeId}/leaves']);
    const plant = doc.paths['/api/trees']?.['post'];
    expect(plant).toMatchObject({ summary: 'Plant a tree', tags: ['trees'], 'x-permission': 'story:create', security: [{ adminBearer: [] }] });
    // A schema whose root is recursive becomes a component of its own.
    expect(doc.paths['/api/trees']?.['put']?.requestBody?.content['application/json']?.schema).toEqual({ $ref: '#/components/schemas/putApiTreesBody' });
    const generic = doc.paths['/api/trees/{treeId}/leaves']?.['get'];
    expect(generic).toMatchObject({ summary: 'GET /api/trees/{treeId}/leaves', tags: ['trees'], parameters: [{ name: 'treeId', in: 'path', required: true }] });
    expect(generic?.responses['404']).toEqual({ $ref: '#/components/responses/Problem404' });
    const json = JSON.stringify(doc);
    expect(json).not.toContain('#/$defs/');
    expect(Object.keys(doc.components.schemas).some((name) => name.startsWith('postApiTreesBody_'))).toBe(true);
    for (const [, target] of json.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const found = (target as string).split('/').reduce<unknown>((n, key) => (n as Record<string, unknown> | undefined)?.[key], doc);
      expect(found, target).toBeDefined();
    }
  });
});

describe('operation details', () => {
  it('carries success statuses, route error codes, token permissions and answers in several types', () => {
    const catalog = createRouteCatalog();
    catalog.describe({ method: 'post', path: '/api/widgets', summary: 'Make a widget', tags: ['widgets'], auth: 'admin', permission: 'story:create', body: z.object({ name: z.string() }), status: 201, errors: ['ERR_CONFLICT', 'ERR_DATABASE_UNAVAILABLE'] });
    catalog.describe({ method: 'delete', path: '/api/widgets/:id', summary: 'Scrap a widget', tags: ['widgets'], auth: 'admin', permission: 'story:delete' });
    catalog.describe({ method: 'get', path: '/api/embed/widgets/:id/file', summary: 'A widget as a file', tags: ['embed'], auth: 'embed', embedPermission: 'export', responseType: ['text/csv', 'application/pdf'] });
    catalog.describe({ method: 'post', path: '/api/sign-in', summary: 'Sign in', tags: ['auth'], auth: 'none', body: z.object({ email: z.string() }) });
    const app = new Hono();
    app.post('/api/widgets', (c) => c.json({}, 201));
    app.delete('/api/widgets/:id', (c) => c.body(null, 204));
    app.get('/api/embed/widgets/:id/file', (c) => c.text(''));
    app.post('/api/sign-in', (c) => c.json({}));

    const doc = buildOpenApiDocument(app, { catalog });
    const make = doc.paths['/api/widgets']?.['post'];
    expect(Object.keys(make?.responses ?? {})).toEqual(expect.arrayContaining(['201', '409', '503']));
    expect(make?.responses['200']).toBeUndefined();
    expect(doc.paths['/api/widgets/{id}']?.['delete']?.responses['204']).toEqual({ description: 'No content' });
    const file = doc.paths['/api/embed/widgets/{id}/file']?.['get'];
    expect(file).toMatchObject({ 'x-embed-permission': 'export', security: [{ embedToken: [] }] });
    expect(Object.keys((file?.responses['200'] as { content: object }).content)).toEqual(['text/csv', 'application/pdf']);
    const signIn = doc.paths['/api/sign-in']?.['post'];
    expect(signIn?.security).toBeUndefined();
    // No bearer, but its body can still be refused, too large, or rate limited.
    expect(Object.keys(signIn?.responses ?? {}).sort()).toEqual(['200', '400', '413', '429', '500']);
  });
});

/** The bootstrap admin key of the test server (role owner: every permission). */
const ADMIN_KEY = 'ik_test_admin_key_0123456789';

/** Routes a caller reaches without a bearer. */
const PUBLIC_ROUTES = [
  'get /healthz',
  'get /readyz',
  'get /api/openapi.json',
  'get /docs',
  'get /embed/story/{id}',
  'post /api/auth/register',
  'post /api/auth/accept-invitation',
  'post /api/auth/login',
  'post /api/auth/refresh',
];

/** Admin routes any authenticated caller may use, whatever their role. */
const ANY_ADMIN_CALLER = ['post /api/auth/logout', 'get /api/auth/me'];

/** Every route that reads a JSON body. */
const JSON_BODY_ROUTES = [
  'post /api/connections',
  'patch /api/connections/{id}',
  'post /api/datasets',
  'put /api/datasets/{id}',
  'post /api/datasets/{id}/preview',
  'post /api/queries/run',
  'post /api/queries/execute',
  'post /api/saved-queries',
  'put /api/saved-queries/{id}',
  'post /api/saved-queries/{id}/run',
  'post /api/cache/invalidate',
  'put /api/config',
  'post /api/stories',
  'post /api/stories/import',
  'patch /api/stories/{id}',
  'post /api/stories/{id}/duplicate',
  'post /api/stories/{id}/pages',
  'post /api/stories/{id}/pages/reorder',
  'patch /api/stories/{id}/pages/{pageId}',
  'post /api/stories/{id}/pages/{pageId}/cards',
  'post /api/stories/{id}/pages/{pageId}/cards/reorder',
  'patch /api/stories/{id}/cards/{cardId}',
  'post /api/stories/{id}/filters',
  'patch /api/stories/{id}/filters/{filterId}',
  'post /api/stories/{id}/shares',
  'post /api/collections',
  'patch /api/collections/{id}',
  'post /api/ai/generate-query',
  'post /api/ai/verify',
  'post /api/ai/analyze',
  'post /api/ai/recommend',
  'post /api/embed/tokens',
  'post /api/auth/register',
  'post /api/auth/accept-invitation',
  'post /api/auth/login',
  'post /api/auth/refresh',
  'post /api/users',
  'post /api/users/invitations',
  'patch /api/users/{id}',
  'post /api/roles',
  'patch /api/roles/{id}',
  'post /api/api-keys',
  'post /api/embed-keys',
  'post /api/embed-keys/revoked-tokens',
  'patch /api/embed-keys/{id}',
  'post /api/embed/cards/{cardId}/data',
  'post /api/embed/ask',
];

/** Routes that take a query string, with the parameters they read. */
const QUERY_ROUTES: Record<string, string[]> = {
  'get /api/connections/{id}/schema': ['refresh'],
  'get /api/queries/history': ['limit', 'cursor', 'status'],
  'get /api/saved-queries': ['limit', 'cursor', 'search'],
  'get /api/audit': ['cursor'],
  'get /api/embed/cards/{cardId}/export': ['format', 'filters'],
  'get /api/embed/filters/{filterId}/values': ['search'],
  'get /api/stories/{id}/export': ['version'],
};

const isEmbedRoute = (path: string) => path.startsWith('/api/embed/') && !path.startsWith('/api/embed/tokens');

function operations(doc: OpenApiDocument): Array<{ key: string; method: string; path: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ key: `${method} ${path}`, method, path, op })));
}

/** A concrete URL for an OpenAPI path: every path parameter names something that does not exist. */
const urlOf = (path: string) => path.replace(/\{[^}]+\}/g, 'missing-id');

describe('the document of the running app', () => {
  let server: TestServer;
  let doc: OpenApiDocument;
  beforeAll(async () => {
    server = await createTestServer();
    const res = await server.app.request('/api/openapi.json');
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDocument;
  }, 60_000);
  afterAll(() => server?.close());

  it('describes every route: a summary of its own, tags, its auth scheme and its permission', () => {
    const all = operations(doc);
    expect(all.length).toBeGreaterThan(90);
    const generic = all.filter(({ method, path, op }) => !op.summary || op.summary === `${method.toUpperCase()} ${path}`).map((o) => o.key);
    expect(generic).toEqual([]);
    for (const { key, path, op } of all) {
      expect(op.tags.length, key).toBeGreaterThan(0);
      if (path === '/metrics') continue;
      if (PUBLIC_ROUTES.includes(key)) {
        expect(op.security, key).toBeUndefined();
      } else if (isEmbedRoute(path)) {
        expect(op.security, key).toEqual([{ embedToken: [] }]);
        expect(op['x-embed-permission'], key).toMatch(/^(view|drill|ask|export)$/);
      } else {
        expect(op.security, key).toEqual([{ adminBearer: [] }]);
        if (!ANY_ADMIN_CALLER.includes(key)) expect(op['x-permission'], key).toMatch(/^[a-z]+:[a-z]+$/);
      }
    }
  });

  it('gives every route a success answer and problem+json answers for its failures', () => {
    for (const { key, path, op } of operations(doc)) {
      expect(Object.keys(op.responses).filter((status) => status.startsWith('2')), key).toHaveLength(1);
      const problems = Object.entries(op.responses).filter(([, r]) => (r as { $ref?: string }).$ref?.startsWith('#/components/responses/Problem'));
      const statuses = problems.map(([status]) => status);
      expect(statuses, key).toContain('500');
      if (path.startsWith('/api/')) expect(statuses, key).toContain('429');
      if (op.security && path !== '/metrics') expect(statuses, key).toEqual(expect.arrayContaining(['401', '403']));
      if (op.requestBody) expect(statuses, key).toEqual(expect.arrayContaining(['400', '413']));
    }
    // Codes a route names beyond the common ones, e.g. the database being down.
    expect(Object.keys(doc.paths['/api/connections/{id}/test']?.['post']?.responses ?? {})).toContain('503');
    expect(doc.paths['/api/connections']?.['post']?.responses['201']).toBeDefined();
    expect(doc.paths['/api/connections/{id}']?.['delete']?.responses).toHaveProperty('204');
  });

  it('documents the JSON body of every route that reads one, from the schema that validates it', () => {
    const missing = JSON_BODY_ROUTES.filter((key) => {
      const [method, path] = key.split(' ') as [string, string];
      const schema = doc.paths[path]?.[method]?.requestBody?.content['application/json']?.schema;
      return !schema || Object.keys(schema).length === 0;
    });
    expect(missing).toEqual([]);
    for (const [, target] of JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const found = (target as string).split('/').reduce<unknown>((n, key) => (n as Record<string, unknown> | undefined)?.[key], doc);
      expect(found, target).toBeDefined();
    }
    const queryBody = doc.paths['/api/queries/execute']?.['post']?.requestBody?.content['application/json']?.schema;
    expect(queryBody).toMatchObject({ type: 'object', required: ['connectionId', 'sql'], additionalProperties: false });
    const mint = doc.paths['/api/embed/tokens']?.['post']?.requestBody?.content['application/json']?.schema as { properties: Record<string, unknown> };
    expect(Object.keys(mint.properties).sort()).toEqual(['expiresIn', 'params', 'permissions', 'story', 'sub']);
    for (const [key, names] of Object.entries(QUERY_ROUTES)) {
      const [method, path] = key.split(' ') as [string, string];
      const query = (doc.paths[path]?.[method]?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      expect(query, key).toEqual(expect.arrayContaining(names));
    }
  });

  it('lists every route that validates a JSON body among the documented ones', async () => {
    // A JSON array is never a valid body here: a route that parses its body answers ERR_VALIDATION with per-field errors.
    const embedToken = await server.token({ permissions: ['view', 'drill', 'ask', 'export'] });
    const readers: string[] = [];
    for (const { key, method, path } of operations(doc)) {
      if (!['post', 'put', 'patch'].includes(method)) continue;
      const bearer = isEmbedRoute(path) ? embedToken : ADMIN_KEY;
      const res = await server.app.request(urlOf(path), { method: method.toUpperCase(), headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: '[]' });
      if (res.status !== 400) continue;
      const problem = (await res.json()) as { code: string; errors?: unknown[] };
      if (problem.code === 'ERR_VALIDATION' && (problem.errors?.length ?? 0) > 0) readers.push(key);
    }
    expect(readers.length).toBeGreaterThan(20);
    expect(readers.filter((key) => !JSON_BODY_ROUTES.includes(key))).toEqual([]);
  });

  it('names the auth scheme each route really asks for', async () => {
    for (const { key, method, path, op } of operations(doc)) {
      if (path === '/metrics') continue;
      const res = await server.app.request(urlOf(path), { method: method.toUpperCase(), headers: { 'content-type': 'application/json' }, body: method === 'get' || method === 'delete' ? null : '{}' });
      if (op.security) {
        expect(res.status, key).toBe(401);
        expect(((await res.json()) as { code: string }).code, key).toBe('ERR_UNAUTHENTICATED');
      } else {
        expect(res.status, key).not.toBe(401);
      }
    }
  });

  it('names the permission each admin route really asks for', async () => {
    const admin = async (method: string, path: string, body: unknown) => {
      const res = await server.app.request(path, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, path).toBe(201);
      return (await res.json()) as Record<string, unknown>;
    };
    const declared = operations(doc).filter(({ op }) => op['x-permission'] !== undefined);
    const keyWithout = new Map<string, string>();
    for (const permission of new Set(declared.map(({ op }) => op['x-permission'] as string))) {
      // A caller holding every permission but this one.
      const role = await admin('POST', '/api/roles', { name: `all but ${permission.replace(':', ' ')}`, permissions: PERMISSIONS.filter((p) => p !== permission) });
      const key = await admin('POST', '/api/api-keys', { name: `without ${permission}`, role: role['id'] });
      keyWithout.set(permission, key['key'] as string);
    }
    const notRefused: string[] = [];
    for (const { key, method, path, op } of declared) {
      // An empty object: some routes look at the body's shape before they pick the permission it needs.
      const res = await server.app.request(urlOf(path), {
        method: method.toUpperCase(),
        headers: { authorization: `Bearer ${keyWithout.get(op['x-permission'] as string)}`, 'content-type': 'application/json' },
        body: method === 'get' || method === 'delete' ? null : '{}',
      });
      const code = res.status === 403 ? ((await res.json()) as { code: string }).code : String(res.status);
      if (code !== 'ERR_FORBIDDEN') notRefused.push(`${key} (${code})`);
    }
    expect(declared.length).toBeGreaterThan(80);
    expect(notRefused).toEqual([]);
  });

  it('names the token permission each embed route really asks for', async () => {
    const all = ['view', 'drill', 'ask', 'export'] as const;
    const declared = operations(doc).filter(({ op }) => op['x-embed-permission'] !== undefined);
    const notRefused: string[] = [];
    for (const { key, method, path, op } of declared) {
      const token = await server.token({ permissions: all.filter((p) => p !== op['x-embed-permission']) });
      const res = await server.app.request(urlOf(path), { method: method.toUpperCase(), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: method === 'get' ? null : '{}' });
      const code = res.status === 403 ? ((await res.json()) as { code: string }).code : String(res.status);
      if (code !== 'ERR_FORBIDDEN') notRefused.push(`${key} (${code})`);
    }
    expect(declared.length).toBeGreaterThanOrEqual(6);
    expect(notRefused).toEqual([]);
  });

  it('renders each request body on /docs as a table of fields', async () => {
    const res = await server.app.request('/docs');
    const html = await res.text();
    const mint = html.slice(html.indexOf('id="postApiEmbedTokens"'));
    const article = mint.slice(0, mint.indexOf('</article>'));
    expect(article).toContain('aria-label="Request body fields"');
    expect(article).toMatch(/<code>story<\/code><\/td><td>string, 1–200 chars<\/td><td>required/);
    expect(article).toMatch(/<code>permissions<\/code><\/td><td>array of \(&#34;view&#34; \| &#34;drill&#34;/);
    expect(article).toContain('permission <code>embed:mint</code>');
    const card = html.slice(html.indexOf('id="postApiEmbedCardsCardIdData"'));
    expect(card.slice(0, card.indexOf('</article>'))).toContain('token permission <code>view</code>');
  });
});
