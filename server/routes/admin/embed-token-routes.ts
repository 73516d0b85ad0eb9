/**
 * `POST /api/embed/tokens`: mints an embed token server-side for host
 * backends that would rather not hold the embed secret. Signed with the
 * organisation's primary embed key (its oldest active one) and naming it in
 * `kid`; the lifetime never exceeds what that key allows.
 */
import { decodeJwt } from 'jose';
import type { Hono, MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { MAX_TOKEN_LIFETIME_SECONDS } from '@insight-engine/sdk/protocol';
import { signEmbedToken } from '@insight-engine/sdk/node';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requirePermission } from '../../auth/permissions.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';
import { InsightError } from '../../errors/insight-error.ts';
import type { StoreSchema } from '../../store/store-schema.ts';
import type { StoryRepository } from '../../stories/story-repository.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp } from './admin-app.ts';
import { queryParamsSchema } from './query-params-schema.ts';

export interface EmbedTokenRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  db: Kysely<StoreSchema>;
  box: SecretBox;
  stories: StoryRepository;
}

/** The SDK's default lifetime. */
const DEFAULT_EXPIRES_IN = 600;

const mintBody = z
  .object({
    story: z.string().min(1).max(200),
    params: queryParamsSchema,
    permissions: z.array(z.enum(['view', 'drill', 'ask', 'export'])).min(1).max(4).optional(),
    expiresIn: z.number().int().min(1).max(MAX_TOKEN_LIFETIME_SECONDS).optional(),
    sub: z.string().min(1).max(200).optional(),
  })
  .strict();

const mintToken = defineRoute({ method: 'post', path: '/api/embed/tokens', summary: "Mint an embed token with the organisation's primary embed key: { token, expiresAt, kid }", tags: ['embed tokens'], auth: 'admin', permission: 'embed:mint', body: mintBody, errors: ['ERR_STORY_NOT_FOUND', 'ERR_CONFLICT'] });

export function embedTokenRoutes(deps: EmbedTokenRouteDeps): Hono<AdminEnv> {
  const app = adminApp(deps.auth);

  app.post('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'embed:mint');
    const body = await mintToken.body(c);
    // A token for a story that does not exist would only fail later, in the viewer's browser.
    await deps.stories.load(admin.orgId, body.story);
    const key = await deps.db
      .selectFrom('embed_keys')
      .select(['id', 'secret_sealed', 'max_ttl_seconds'])
      .where('org_id', '=', admin.orgId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (!key) throw new InsightError('ERR_CONFLICT', 'The organisation has no active embed key');
    const expiresIn = Math.max(1, Math.min(body.expiresIn ?? DEFAULT_EXPIRES_IN, key.max_ttl_seconds, MAX_TOKEN_LIFETIME_SECONDS));
    const token = await signEmbedToken({
      secret: deps.box.open(key.secret_sealed),
      kid: key.id,
      story: body.story,
      params: body.params,
      ...(body.permissions ? { permissions: body.permissions } : {}),
      expiresIn,
      ...(body.sub ? { sub: body.sub } : {}),
    });
    const { exp } = decodeJwt(token);
    // expiresAt in seconds since the epoch, like the story view's.
    return c.json({ token, expiresAt: exp, kid: key.id });
  });

  return app;
}
