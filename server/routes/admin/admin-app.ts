/**
 * The base of every admin route module: authentication (API key or user
 * session), the audit trail of every change, a body limit and `no-store`
 * (admin answers are per organisation and never for a shared cache). Each
 * module gets its own app with these middleware rather than one `/api/*`
 * middleware, which would also catch the embed API's tokens.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { InsightError } from '../../errors/insight-error.ts';
import { clientInfo } from '../../identity/client-info.ts';

/** Dataset SQL may be long; nothing the admin API takes comes near this. */
const MAX_BODY_BYTES = 1024 * 1024;

export function adminApp(auth: MiddlewareHandler<AdminEnv>): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  app.use('*', auth);
  app.use('*', auditTrail());
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

/** Methods that change something; each such request leaves an audit entry, allowed or not. */
const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Answers larger than this are not read back for the audit summary (a query result, an export). */
const MAX_SUMMARISED_BYTES = 64 * 1024;

async function responseSummary(res: Response): Promise<unknown> {
  if (!res.headers.get('content-type')?.includes('json') || res.status === 204) return undefined;
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_SUMMARISED_BYTES) return { summarised: false, bytes: length };
  try {
    const text = await res.clone().text();
    return text.length > MAX_SUMMARISED_BYTES ? { summarised: false, bytes: text.length } : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Records every change (POST, PUT, PATCH, DELETE) of an authenticated caller:
 * who, the route and resource, the state before (when the route put one in
 * `auditBefore`) and after (the answer), status, address and user agent.
 * Secrets are redacted by the audit log before anything is written.
 */
function auditTrail(): MiddlewareHandler<AdminEnv> {
  return async function auditTrailHandler(c, next) {
    await next();
    const log = c.get('auditLog');
    if (!log || !CHANGES.has(c.req.method)) return;
    const admin = c.get('admin');
    const after = c.res.ok ? await responseSummary(c.res) : undefined;
    const segments = c.req.path.split('/').filter(Boolean);
    const resourceType = segments[0] === 'api' ? (segments[1] ?? null) : (segments[0] ?? null);
    const id = c.req.param('id') ?? (after && typeof after === 'object' && typeof (after as { id?: unknown }).id === 'string' ? (after as { id: string }).id : null);
    const client = clientInfo(c as unknown as Context);
    try {
      await log.record({
        orgId: admin.orgId,
        actor: admin.actor,
        action: `${c.req.method} ${c.req.routePath}`,
        resourceType,
        resourceId: id,
        status: c.res.status,
        before: c.get('auditBefore'),
        after: c.res.ok ? after : c.error instanceof InsightError ? { error: c.error.code } : { error: c.res.status },
        ip: client.ip,
        userAgent: client.userAgent,
      });
    } catch {
      // The change is done; a failed audit write must not turn it into an error for the caller.
    }
  };
}

/** Who the query history names for the caller: the user of a session, or the API key. */
export function adminActor(admin: AdminEnv['Variables']['admin']) {
  return admin.actor;
}

/** @deprecated Use adminActor: a caller is a user or an API key. */
export const apiKeyActor = adminActor;

/** Tells the audit middleware what the resource looked like before this request changed it (secrets are redacted on write). */
export function auditBefore(c: Context<AdminEnv>, value: unknown): void {
  c.set('auditBefore', value);
}

/** A route's `:id`, bounded so a megabyte of path never reaches the store. */
export function idParam(value: string | undefined): string {
  if (!value || value.length > 100) throw new InsightError('ERR_NOT_FOUND');
  return value;
}
