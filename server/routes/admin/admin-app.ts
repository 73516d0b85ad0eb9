/**
 * The base of every admin route module: API key authentication, a body limit
 * and `no-store` (admin answers are per organisation and never for a shared
 * cache). Each module gets its own app with these middleware rather than one
 * `/api/*` middleware, which would also catch the embed API's tokens.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { InsightError } from '../../errors/insight-error.ts';

/** Dataset SQL may be long; nothing the admin API takes comes near this. */
const MAX_BODY_BYTES = 1024 * 1024;

export function adminApp(auth: MiddlewareHandler<AdminEnv>): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  app.use('*', auth);
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new InsightError('ERR_BODY_TOO_LARGE');
      },
    }),
  );
  app.use('*', async function noStore(c, next) {
    await next();
    c.header('cache-control', 'no-store');
  });
  return app;
}

/** The query history's name for the caller. */
export function apiKeyActor(admin: AdminEnv['Variables']['admin']) {
  return { type: 'api_key' as const, id: admin.keyId };
}

/** A route's `:id`, bounded so a megabyte of path never reaches the store. */
export function idParam(value: string | undefined): string {
  if (!value || value.length > 100) throw new InsightError('ERR_NOT_FOUND');
  return value;
}
