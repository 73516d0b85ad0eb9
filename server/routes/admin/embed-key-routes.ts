/**
 * `/api/embed-keys`: the organisation's embed signing keys (`kid` = id). The
 * secret is in the answer to POST only. Revoking a key, or one token by its
 * `jti`, takes effect on this instance at once and on others within the key
 * ring's cache lifetime (30 s).
 */
import type { Hono, MiddlewareHandler } from 'hono';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requirePermission } from '../../auth/permissions.ts';
import { createEmbedKeySchema, revokeTokenSchema, updateEmbedKeySchema } from '../../identity/embed-key-repository.ts';
import type { Identity } from '../../identity/identity.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp, auditBefore, idParam } from './admin-app.ts';
import { describeRoute } from '../../ops/openapi.ts';
import { VERSION_ERRORS, type Versioning } from './versioning.ts';

describeRoute({ method: 'get', path: '/api/embed-keys', summary: 'Embed signing keys (kid = id; never the secret)', tags: ['embed-keys'], auth: 'admin', permission: 'system:config' });
const createEmbedKey = defineRoute({ method: 'post', path: '/api/embed-keys', summary: 'Create an embed key; the secret is in this answer only', tags: ['embed-keys'], auth: 'admin', permission: 'system:config', body: createEmbedKeySchema, status: 201 });
const revokeToken = defineRoute({ method: 'post', path: '/api/embed-keys/revoked-tokens', summary: 'Revoke one embed token by its jti until its exp', tags: ['embed-keys'], auth: 'admin', permission: 'system:config', body: revokeTokenSchema, status: 201 });
describeRoute({ method: 'get', path: '/api/embed-keys/:id', summary: 'One embed key', tags: ['embed-keys'], auth: 'admin', permission: 'system:config', versioned: true });
const updateEmbedKey = defineRoute({ method: 'patch', path: '/api/embed-keys/:id', summary: 'Change name, allowed origins or maximum token lifetime', tags: ['embed-keys'], auth: 'admin', permission: 'system:config', body: updateEmbedKeySchema, errors: VERSION_ERRORS, versioned: true });
describeRoute({ method: 'delete', path: '/api/embed-keys/:id', summary: 'Revoke an embed key (its tokens stop verifying)', tags: ['embed-keys'], auth: 'admin', permission: 'system:config', errors: VERSION_ERRORS, versioned: true });

export interface EmbedKeyRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  identity: Identity;
  versioning: Versioning;
}

export function embedKeyRoutes(deps: EmbedKeyRouteDeps): Hono<AdminEnv> {
  const { embedKeys } = deps.identity;
  const app = adminApp(deps.auth);
  const { versioning } = deps;

  app.get('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'system:config');
    return c.json({ items: await embedKeys.list(admin.orgId) });
  });

  app.post('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'system:config');
    const body = await createEmbedKey.body(c);
    const key = await embedKeys.create(admin.orgId, body);
    return versioning.json(c, key, key.version, 201);
  });

  // Before '/:id' routes: a token id, not a key.
  app.post('/revoked-tokens', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'system:config');
    const body = await revokeToken.body(c);
    await embedKeys.revokeToken(admin.orgId, body);
    return c.json({ jti: body.jti, exp: body.exp }, 201);
  });

  app.get('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'system:config');
    const key = await embedKeys.get(admin.orgId, idParam(c.req.param('id')));
    return versioning.json(c, key, key.version);
  });

  app.patch('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'system:config');
    const id = idParam(c.req.param('id'));
    const expected = versioning.expected(c);
    const body = await updateEmbedKey.body(c);
    auditBefore(c, await embedKeys.get(admin.orgId, id));
    const key = await embedKeys.update(admin.orgId, id, body, expected);
    return versioning.json(c, key, key.version);
  });

  app.delete('/:id', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'system:config');
    const id = idParam(c.req.param('id'));
    auditBefore(c, await embedKeys.get(admin.orgId, id));
    await embedKeys.revoke(admin.orgId, id, versioning.expected(c));
    return c.body(null, 204);
  });

  return app;
}
