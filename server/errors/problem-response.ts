/**
 * Renders every error as an RFC 9457 problem document. Unknown errors become
 * ERR_INTERNAL without their message, so nothing internal (SQL, secrets,
 * stack) reaches a client.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { etagOf } from '../store/resource-version.ts';
import { InsightError, isInsightError } from './insight-error.ts';

export function toInsightError(error: unknown): InsightError {
  if (isInsightError(error)) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) return new InsightError('ERR_BODY_TOO_LARGE');
    if (error.status === 401) return new InsightError('ERR_UNAUTHENTICATED');
    if (error.status === 400) return new InsightError('ERR_VALIDATION', error.message);
  }
  return new InsightError('ERR_INTERNAL');
}

export function problemResponse(c: Context, error: InsightError): Response {
  const requestId = c.get('requestId' as never) as string | undefined;
  const body = {
    type: `https://insightengine.dev/problems/${error.code.toLowerCase().replace(/_/g, '-')}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(requestId ? { requestId } : {}),
    ...error.extensions,
  };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  // A version conflict names the current version, so the client can read it again or retry knowingly.
  const current = error.extensions?.['currentVersion'];
  if (typeof current === 'number') headers['etag'] = etagOf(current);
  return c.body(JSON.stringify(body), error.status as 400, headers);
}
