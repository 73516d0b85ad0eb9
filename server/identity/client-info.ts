/**
 * Who is calling, for the audit log and the login lockout: the socket's
 * address (never a forwarded header, which a client could set to dodge a
 * lockout) and the user agent.
 */
import type { Context } from 'hono';
import type { ClientInfo } from './session-service.ts';

export function clientInfo(c: Context): ClientInfo {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const ip = env?.incoming?.socket?.remoteAddress ?? 'unknown';
  return { ip, userAgent: c.req.header('user-agent')?.slice(0, 500) ?? null };
}
