import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildOpenApiDocument, createRouteCatalog, normalisePath } from './openapi.ts';

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
