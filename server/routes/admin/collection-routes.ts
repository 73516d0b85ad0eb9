/**
 * `/api/collections`: nested folders for the organisation's stories. A
 * collection that still holds collections or stories is not deleted
 * (409 ERR_CONFLICT with how many of each it holds).
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requirePermission } from '../../auth/permissions.ts';
import { describeRoute } from '../../ops/openapi.ts';
import type { CollectionRow, StoreSchema } from '../../store/store-schema.ts';
import { createCollectionRepository } from '../../stories/collection-repository.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp, idParam } from './admin-app.ts';
import { VERSION_ERRORS, type Versioning } from './versioning.ts';

export interface CollectionRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  db: Kysely<StoreSchema>;
  versioning: Versioning;
}

const id = z.string().min(1).max(100);
const name = z.string().trim().min(1).max(200);
const newCollection = z.object({ name, description: z.string().max(5000).optional(), parentId: id.nullable().optional() }).strict();
const collectionPatch = z.object({ name: name.optional(), description: z.string().max(5000).nullable().optional(), parentId: id.nullable().optional() }).strict();
/** `parent=root` lists the top level; without it, every collection of the organisation. */
const listQuery = z.object({ parent: id.optional() }).strict();

const listCollections = defineRoute({ method: 'get', path: '/api/collections', summary: 'Collections by name (`parent=root` or a collection id for one level)', tags: ['collections'], auth: 'admin', permission: 'datasource:read', query: listQuery });
const createCollection = defineRoute({ method: 'post', path: '/api/collections', summary: 'Create a collection, optionally inside another', tags: ['collections'], auth: 'admin', permission: 'story:edit', status: 201, body: newCollection });
describeRoute({ method: 'get', path: '/api/collections/:id', summary: 'A collection with its child collections and how many stories it holds', tags: ['collections'], auth: 'admin', permission: 'datasource:read', versioned: true });
const updateCollection = defineRoute({ method: 'patch', path: '/api/collections/:id', summary: 'Rename, describe or move a collection (no cycles)', tags: ['collections'], auth: 'admin', permission: 'story:edit', body: collectionPatch, errors: VERSION_ERRORS, versioned: true });
describeRoute({ method: 'delete', path: '/api/collections/:id', summary: 'Delete an empty collection (409 ERR_CONFLICT while it holds collections or stories)', tags: ['collections'], auth: 'admin', permission: 'story:delete', errors: VERSION_ERRORS, versioned: true });

export function collectionView(row: CollectionRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    parentId: row.parent_id,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function collectionRoutes(deps: CollectionRouteDeps): Hono<AdminEnv> {
  const app = adminApp(deps.auth);
  const collections = createCollectionRepository(deps.db);
  const { versioning } = deps;
  const reply = (c: Context, row: CollectionRow, status?: 201) => versioning.json(c, collectionView(row), row.version, status);

  app.get('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:read');
    const { parent } = listCollections.query(c);
    const rows = await collections.list(admin.orgId, parent === undefined ? {} : { parentId: parent === 'root' ? null : parent });
    return c.json({ items: rows.map(collectionView) });
  });

  app.post('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'story:edit');
    const body = await createCollection.body(c);
    return reply(c, await collections.create(admin.orgId, body), 201);
  });

  app.get('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'datasource:read');
    const id = idParam(c.req.param('id'));
    const row = await collections.get(admin.orgId, id);
    const [children, contents] = await Promise.all([collections.list(admin.orgId, { parentId: id }), collections.contents(admin.orgId, id)]);
    return versioning.json(c, { ...collectionView(row), collections: children.map(collectionView), storyCount: contents.stories }, row.version);
  });

  app.patch('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'story:edit');
    const id = idParam(c.req.param('id'));
    await collections.get(admin.orgId, id);
    const body = await updateCollection.body(c);
    return reply(c, await collections.update(admin.orgId, id, body, versioning.expected(c)));
  });

  app.delete('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'story:delete');
    await collections.remove(admin.orgId, idParam(c.req.param('id')), versioning.expected(c));
    return c.body(null, 204);
  });

  return app;
}
