/**
 * The OpenAPI 3.1 document of the running app. Route modules describe their
 * routes with `describeRoute`, handing over the same zod schemas that
 * validate their requests; `buildOpenApiDocument` then walks every route
 * actually mounted on the Hono app, so a route nobody described still shows
 * up, with a generic operation, and a description of a route that is not
 * mounted does not.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import type { EmbedPermission } from '@insight-engine/sdk/protocol';
import { ERROR_TABLE, type ErrorCode } from '../errors/insight-error.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type RouteAuth = 'admin' | 'embed' | 'metrics' | 'none';

export interface RouteDescription {
  method: HttpMethod;
  /** The Hono pattern as mounted: `/api/connections/:id`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  auth?: RouteAuth;
  /** The admin permission the route asks for. */
  permission?: string;
  /** The permission the embed token must grant (`permissions` claim). */
  embedPermission?: EmbedPermission;
  /** The zod schema the route validates its JSON body with. */
  body?: z.ZodType;
  /** The zod object schema the route validates its query string with. */
  query?: z.ZodType;
  /** The answer's schema (200, application/json unless responseType says otherwise). */
  response?: z.ZodType;
  /** Content types of the answer when not JSON (several when the client picks one). */
  responseType?: string | string[];
  /** The success status: 201 for a creation, 204 for an empty answer (default 200; 204 for DELETE). */
  status?: 200 | 201 | 202 | 204;
  /** Codes this route answers beyond the ones every route of its kind may (their statuses join the responses). */
  errors?: ErrorCode[];
  /**
   * The route reads or writes a versioned resource: its answer carries an
   * `ETag`, and a write takes `If-Match` (412 on a stale version; 428 for a
   * PATCH, PUT or DELETE without it when the server requires it).
   */
  versioned?: boolean;
}

export interface RouteCatalog {
  describe(route: RouteDescription): void;
  get(method: string, path: string): RouteDescription | undefined;
}

export function createRouteCatalog(): RouteCatalog {
  const routes = new Map<string, RouteDescription>();
  const keyOf = (method: string, path: string) => `${method.toLowerCase()} ${normalisePath(path)}`;
  return {
    describe(route) {
      routes.set(keyOf(route.method, route.path), route);
    },
    get: (method, path) => routes.get(keyOf(method, path)),
  };
}

/** Descriptions of the routes of this server; route modules add theirs with `describeRoute`. */
export const routeCatalog = createRouteCatalog();

/**
 * @example
 * describeRoute({ method: 'post', path: '/api/cache/invalidate', summary: 'Drop cached results', tags: ['cache'],
 *   auth: 'admin', permission: 'datasource:write', body: invalidateBody });
 */
export function describeRoute(route: RouteDescription): void {
  routeCatalog.describe(route);
}

/** `/api/connections/:id{[0-9]+}/` → `/api/connections/{id}`. */
export function normalisePath(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return trimmed.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, '{$1}');
}

const METHODS = new Set<string>(['get', 'post', 'put', 'patch', 'delete']);

/** Routes no client calls as an API: the static bundle. */
const isStatic = (path: string) => path === '/static' || path.startsWith('/static/');

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
  };
  tags: Array<{ name: string }>;
}

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Array<{ name: string; in: 'path' | 'query' | 'header'; required: boolean; schema: JsonSchema; description?: string }>;
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
  security?: Array<Record<string, string[]>>;
  'x-permission'?: string;
  'x-embed-permission'?: string;
}

/** Problem responses every operation may answer, by the kind of caller. */
const COMMON_ERRORS: Record<RouteAuth, string[]> = {
  admin: ['400', '401', '403', '404', '413', '429', '500'],
  embed: ['400', '401', '403', '404', '413', '429', '500'],
  metrics: ['401', '500'],
  none: ['500'],
};

const IF_MATCH = {
  name: 'If-Match',
  in: 'header' as const,
  required: false,
  schema: { type: 'string', examples: ['"3"', '*'] },
  description: 'The ETag of the version read: the write applies only to that version (412 ERR_VERSION_CONFLICT with `currentVersion` otherwise). Required for PATCH, PUT and DELETE when the server runs with INSIGHT_REQUIRE_IF_MATCH=1 (428 ERR_PRECONDITION_REQUIRED).',
};

const ETAG_HEADER = { description: 'The version of the resource as a strong ETag (`"3"`); send it back in If-Match', schema: { type: 'string' } };

const SUCCESS: Record<NonNullable<RouteDescription['status']>, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content' };

const SECURITY: Record<RouteAuth, Array<Record<string, string[]>> | undefined> = {
  admin: [{ adminBearer: [] }],
  embed: [{ embedToken: [] }],
  metrics: [{ metricsToken: [] }, {}],
  none: undefined,
};

function guessAuth(path: string): RouteAuth {
  if (path.startsWith('/api/embed/tokens')) return 'admin';
  if (path.startsWith('/api/embed/')) return 'embed';
  if (path.startsWith('/api/')) return 'admin';
  return 'none';
}

function guessTag(path: string): string {
  const segment = path.split('/').filter(Boolean)[path.startsWith('/api/') ? 1 : 0];
  if (path.startsWith('/api/embed/tokens')) return 'embed tokens';
  if (path.startsWith('/api/embed')) return 'embed';
  if (!path.startsWith('/api/') || !segment) return 'operations';
  return segment.replace(/-/g, ' ');
}

function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((part) => part.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ? ch.toUpperCase() : '')))
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1));
  return method + words.join('');
}

/**
 * Turns a zod schema into a JSON Schema (2020-12, as OpenAPI 3.1 uses),
 * hoisting its `$defs` (recursive parts) into `components.schemas` so the
 * references still resolve inside the document.
 */
export function toSchema(schema: z.ZodType, io: 'input' | 'output', name: string, components: Record<string, JsonSchema>): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete json['$schema'];
  const defs = json['$defs'] as Record<string, JsonSchema> | undefined;
  delete json['$defs'];
  // A schema that refers to itself says "#", which inside the document would mean the whole document.
  const selfReferring = JSON.stringify(json).includes('"$ref":"#"');
  if (!defs && !selfReferring) return json;
  const rename = (def: string) => `${name}_${def.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const target = (ref: string) => (ref === '#' ? `#/components/schemas/${name}` : ref.startsWith('#/$defs/') ? `#/components/schemas/${rename(ref.slice(8))}` : ref);
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? target(v) : rewrite(v)]));
    }
    return value;
  };
  for (const [def, body] of Object.entries(defs ?? {})) components[rename(def)] = rewrite(body) as JsonSchema;
  if (!selfReferring) return rewrite(json) as JsonSchema;
  components[name] = rewrite(json) as JsonSchema;
  return { $ref: `#/components/schemas/${name}` };
}

function queryParameters(schema: z.ZodType, name: string, components: Record<string, JsonSchema>): NonNullable<Operation['parameters']> {
  // Output types: query strings are coerced, and the coerced type (integer, enum) is what the client must send.
  const json = toSchema(schema, 'output', name, components);
  const properties = (json['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json['required'] as string[] | undefined) ?? []);
  return Object.entries(properties).map(([param, s]) => ({
    name: param,
    in: 'query' as const,
    // A defaulted parameter is in `required` of the output but optional to send.
    required: required.has(param) && !('default' in s),
    schema: s,
  }));
}

export interface BuildOptions {
  catalog?: RouteCatalog;
  title?: string;
  version?: string;
  description?: string;
}

/**
 * @example
 * const doc = buildOpenApiDocument(app); // after every app.route() and app.get()
 * app.get('/api/openapi.json', (c) => c.json(doc));
 */
export function buildOpenApiDocument(app: Pick<Hono<any, any, any>, 'routes'>, options: BuildOptions = {}): OpenApiDocument {
  const catalog = options.catalog ?? routeCatalog;
  const schemas: Record<string, JsonSchema> = {
    Problem: {
      type: 'object',
      description: 'RFC 9457 problem details; switch on `code`, never on the wording',
      required: ['type', 'title', 'status', 'code'],
      properties: {
        type: { type: 'string', format: 'uri' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        code: { type: 'string', enum: Object.keys(ERROR_TABLE) },
        requestId: { type: 'string' },
        errors: {
          type: 'array',
          description: 'ERR_VALIDATION: one entry per issue',
          items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } }, required: ['path', 'message'] },
        },
      },
      additionalProperties: true,
    },
  };
  const responses: Record<string, unknown> = {};
  const statuses = new Set(Object.values(ERROR_TABLE).map((e) => String(e.status)));
  for (const status of [...statuses].sort()) {
    const codes = Object.entries(ERROR_TABLE).filter(([, e]) => String(e.status) === status).map(([code]) => code);
    responses[`Problem${status}`] = {
      description: codes.join(', '),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }

  const paths: OpenApiDocument['paths'] = {};
  const tags = new Set<string>();
  for (const route of app.routes) {
    const method = route.method.toLowerCase();
    if (!METHODS.has(method) || isStatic(route.path)) continue;
    const path = normalisePath(route.path);
    if (paths[path]?.[method]) continue;
    const described = catalog.get(method, path);
    const auth = described?.auth ?? guessAuth(path);
    const id = operationId(method, path);
    const operation: Operation = {
      operationId: id,
      summary: described?.summary ?? `${method.toUpperCase()} ${path}`,
      tags: described?.tags ?? [guessTag(path)],
      responses: {},
    };
    if (described?.description) operation.description = described.description;
    const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1] as string, in: 'path' as const, required: true, schema: { type: 'string', maxLength: 100 } }));
    const query = described?.query ? queryParameters(described.query, `${id}Query`, schemas) : [];
    const versionedWrite = described?.versioned === true && method !== 'get';
    const ifMatch = versionedWrite ? [IF_MATCH] : [];
    if (pathParams.length + query.length + ifMatch.length > 0) operation.parameters = [...pathParams, ...query, ...ifMatch];
    if (described?.body) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: toSchema(described.body, 'input', `${id}Body`, schemas) } } };
    }
    // Every DELETE of this API answers 204 with no body.
    const status = described?.status ?? (method === 'delete' ? 204 : 200);
    if (status === 204) {
      operation.responses['204'] = { description: SUCCESS[204] };
    } else {
      const ok = described?.response ? { schema: toSchema(described.response, 'output', `${id}Response`, schemas) } : { schema: {} };
      const types = [described?.responseType ?? 'application/json'].flat();
      operation.responses[String(status)] = {
        description: SUCCESS[status],
        ...(described?.versioned ? { headers: { ETag: ETAG_HEADER } } : {}),
        content: Object.fromEntries(types.map((type) => [type, ok])),
      };
    }
    const errors = new Set(COMMON_ERRORS[auth]);
    if (path.includes('{')) errors.add('404');
    // Whatever its caller, a route that reads input can refuse it, and every /api/ route is rate limited.
    if (described?.body || described?.query) errors.add('400');
    if (described?.body) errors.add('413');
    if (path.startsWith('/api/')) errors.add('429');
    for (const code of described?.errors ?? []) errors.add(String(ERROR_TABLE[code].status));
    if (versionedWrite) errors.add(String(ERROR_TABLE.ERR_VERSION_CONFLICT.status));
    if (versionedWrite && method !== 'post') errors.add(String(ERROR_TABLE.ERR_PRECONDITION_REQUIRED.status));
    for (const status of [...errors].sort()) {
      if (responses[`Problem${status}`]) operation.responses[status] = { $ref: `#/components/responses/Problem${status}` };
    }
    const security = SECURITY[auth];
    if (security) operation.security = security;
    if (described?.permission) operation['x-permission'] = described.permission;
    if (described?.embedPermission) operation['x-embed-permission'] = described.embedPermission;
    for (const tag of operation.tags) tags.add(tag);
    (paths[path] ??= {})[method] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'InsightEngine API',
      version: options.version ?? '0.1.0',
      ...(options.description ? { description: options.description } : {}),
    },
    paths,
    components: {
      schemas,
      responses,
      securitySchemes: {
        adminBearer: { type: 'http', scheme: 'bearer', description: 'An admin API key or a user session' },
        embedToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An embed token signed with the organisation embed secret' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'INSIGHT_METRICS_TOKEN, when set' },
      },
    },
    tags: [...tags].sort().map((name) => ({ name })),
  };
}
