/**
 * One error class for the whole server. Every failure a client can see carries
 * a stable `code`; the HTTP status and title come from the table below, so a
 * route never picks a status by hand and clients can switch on `code`.
 */
export const ERROR_TABLE = {
  ERR_VALIDATION: { status: 400, title: 'The request is not valid' },
  ERR_BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  ERR_UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  ERR_TOKEN_INVALID: { status: 401, title: 'The token is not valid' },
  ERR_TOKEN_EXPIRED: { status: 401, title: 'The token has expired' },
  ERR_TOKEN_LIFETIME: { status: 401, title: 'The token lives longer than allowed' },
  ERR_TOKEN_AUDIENCE: { status: 401, title: 'The token is meant for another audience' },
  ERR_TOKEN_ALGORITHM: { status: 401, title: 'The token uses an algorithm that is not allowed' },
  ERR_TOKEN_SIGNATURE: { status: 401, title: 'The token signature does not verify' },
  ERR_TOKEN_KEY_UNKNOWN: { status: 401, title: 'The token names an unknown or revoked key' },
  ERR_TOKEN_REVOKED: { status: 401, title: 'The token was revoked' },
  ERR_FORBIDDEN: { status: 403, title: 'This action is not permitted' },
  ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  ERR_STORY_NOT_FOUND: { status: 404, title: 'Story not found' },
  ERR_CARD_NOT_FOUND: { status: 404, title: 'Card not found' },
  ERR_FILTER_NOT_FOUND: { status: 404, title: 'Filter not found' },
  ERR_DATASET_NOT_FOUND: { status: 404, title: 'Dataset not found' },
  ERR_CONNECTION_NOT_FOUND: { status: 404, title: 'Connection not found' },
  ERR_SAVED_QUERY_NOT_FOUND: { status: 404, title: 'Saved query not found' },
  ERR_FILTER_UNKNOWN: { status: 400, title: 'The request names a filter the story does not have' },
  ERR_FILTER_VALUE: { status: 400, title: 'A filter value does not fit its filter' },
  ERR_COLUMN_UNKNOWN: { status: 400, title: 'The query names a column the dataset does not have' },
  ERR_QUERY_INVALID: { status: 400, title: 'The query is not valid' },
  ERR_POLICY_PARAM_MISSING: { status: 403, title: 'A row policy parameter is missing from the token' },
  ERR_SQL_PARSE: { status: 400, title: 'The SQL could not be parsed' },
  ERR_SQL_NOT_ALLOWED: { status: 400, title: 'The SQL is not allowed' },
  ERR_SQL_FUNCTION_NOT_ALLOWED: { status: 400, title: 'The SQL calls a function that is not allowed' },
  ERR_SQL_TABLE_NOT_ALLOWED: { status: 400, title: 'The SQL reads a table that is not a dataset' },
  ERR_QUERY_TIMEOUT: { status: 504, title: 'The query took longer than the statement timeout' },
  ERR_QUERY_CANCELLED: { status: 499, title: 'The query was cancelled' },
  ERR_QUERY_FAILED: { status: 422, title: 'The database could not run the query' },
  ERR_DATABASE_UNAVAILABLE: { status: 503, title: 'The database is unavailable' },
  ERR_CONNECTION_HOST_NOT_ALLOWED: { status: 403, title: 'The connection host or location is not allowed on this server' },
  ERR_CONFLICT: { status: 409, title: 'The resource already exists' },
  ERR_VERSION_CONFLICT: { status: 412, title: 'The resource changed since this version was read' },
  ERR_PRECONDITION_REQUIRED: { status: 428, title: 'This write needs an If-Match header' },
  ERR_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  ERR_LOGIN_FAILED: { status: 401, title: 'The email or password is not correct' },
  ERR_REGISTRATION_CLOSED: { status: 403, title: 'Registration is closed; ask an administrator for an invitation' },
  ERR_INVITATION_INVALID: { status: 401, title: 'The invitation is not valid or was already used' },
  ERR_REFRESH_TOKEN_REUSED: { status: 401, title: 'The refresh token was already used; the session is revoked' },
  ERR_ORIGIN_NOT_ALLOWED: { status: 403, title: 'The embed key does not allow this origin' },
  ERR_NOT_READY: { status: 503, title: 'The server is not ready for traffic' },
  ERR_INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export class InsightError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  /** Extra members of the problem document (never secrets, tokens or SQL of another tenant). */
  readonly extensions: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, detail?: string, extensions?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(detail ?? ERROR_TABLE[code].title, options);
    this.name = 'InsightError';
    this.code = code;
    this.status = ERROR_TABLE[code].status;
    this.title = ERROR_TABLE[code].title;
    this.extensions = extensions;
  }
}

export function isInsightError(value: unknown): value is InsightError {
  return value instanceof InsightError;
}
