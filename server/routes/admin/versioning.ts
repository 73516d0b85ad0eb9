/**
 * ETag and If-Match for the admin API's versioned resources, in one place so
 * every route reads and answers them alike. A resource's ETag is its version
 * as a strong tag (`"3"`). A write that sends `If-Match` is applied only to
 * that version (412 ERR_VERSION_CONFLICT otherwise, checked by the store in
 * the same UPDATE that bumps the version); `If-Match: *` accepts any version.
 * With `requireIfMatch` (INSIGHT_REQUIRE_IF_MATCH=1) a PATCH, PUT or DELETE
 * without the header is refused with 428 ERR_PRECONDITION_REQUIRED.
 */
import type { Context } from 'hono';
import { InsightError, type ErrorCode } from '../../errors/insight-error.ts';
import { etagOf, NO_VERSION, type ExpectedVersion } from '../../store/resource-version.ts';

export interface Versioning {
  /** The version the request's If-Match names; undefined without one (or with `*`). Call after the permission check. */
  expected(c: Context): ExpectedVersion;
  /** Answers `body` as JSON with the ETag of `version`. */
  json<T extends object>(c: Context, body: T, version: number, status?: 200 | 201): Response;
  /** Sets the ETag of `version` on the answer being built. */
  tag(c: Context, version: number): void;
}

/** Codes a write on a versioned resource may answer. */
export const VERSION_ERRORS: ErrorCode[] = ['ERR_VERSION_CONFLICT', 'ERR_PRECONDITION_REQUIRED'];

const STRONG_TAG = /^"([1-9][0-9]{0,9})"$/;
const NEEDS_PRECONDITION = new Set(['PATCH', 'PUT', 'DELETE']);

/** The version a single If-Match value names; a weak or foreign tag names none of ours and never matches. */
function parseIfMatch(header: string): ExpectedVersion {
  const value = header.trim();
  if (value === '*') return undefined;
  if (value.includes(',')) throw new InsightError('ERR_VALIDATION', 'If-Match must name one ETag', { errors: [{ path: 'If-Match', message: 'give one ETag, as read from the resource' }] });
  const match = STRONG_TAG.exec(value);
  return match ? Number(match[1]) : NO_VERSION;
}

/**
 * @example
 * const versioning = createVersioning({ requireIfMatch: config.requireIfMatch });
 * app.patch('/:id', async (c) => {
 *   requirePermission(c.get('admin'), 'role:write');
 *   const role = await roles.update(orgId, id, body, versioning.expected(c));
 *   return versioning.json(c, role, role.version);
 * });
 */
export function createVersioning(options: { requireIfMatch?: boolean } = {}): Versioning {
  const tag = (c: Context, version: number) => c.header('etag', etagOf(version));
  return {
    expected(c) {
      const header = c.req.header('if-match');
      if (header === undefined || header.trim() === '') {
        if (options.requireIfMatch && NEEDS_PRECONDITION.has(c.req.method)) {
          throw new InsightError('ERR_PRECONDITION_REQUIRED', 'Send If-Match with the ETag of the version you read (or * to overwrite any)');
        }
        return undefined;
      }
      return parseIfMatch(header);
    },
    json(c, body, version, status = 200) {
      tag(c, version);
      return c.json(body, status);
    },
    tag,
  };
}
