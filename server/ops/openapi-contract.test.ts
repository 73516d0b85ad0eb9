/**
 * The API document cannot drift from the routes: every mounted route is in
 * it with a declaration of its own, each body and query schema in it is the
 * one the route's declaration validates with, and the running app agrees with
 * the document on real requests: what the document accepts is never refused
 * as ERR_VALIDATION, and what it refuses is always a 400 ERR_VALIDATION
 * problem whose `errors[]` are exactly the declared schema's issues.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { adminClient, TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';
import { normalisePath, routeCatalog, toSchema, type OpenApiDocument, type Operation } from './openapi.ts';

type JsonSchema = Record<string, unknown>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** The schema with every `$ref` into the document replaced by its target (bodies here are not recursive). */
function inline(schema: unknown, doc: OpenApiDocument, depth = 0): unknown {
  if (depth > 20) throw new Error('recursive schema');
  if (Array.isArray(schema)) return schema.map((s) => inline(s, doc, depth));
  if (!schema || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: string }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    const target = ref.slice(2).split('/').reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], doc);
    return inline(target, doc, depth + 1);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inline(v, doc, depth)]));
}

/** A string the pattern, format and length of the schema allow. */
function sampleString(s: JsonSchema): string {
  const min = (s['minLength'] as number | undefined) ?? 1;
  const byFormat: Record<string, string> = { email: 'someone@example.com', uri: 'https://example.com', url: 'https://example.com', 'date-time': '2024-01-02T03:04:05Z', date: '2024-01-02', uuid: '00000000-0000-4000-8000-000000000000' };
  const format = s['format'] as string | undefined;
  if (format && byFormat[format]) return byFormat[format] as string;
  const candidates = ['a'.repeat(Math.max(min, 1)), 'a1', 'sample', 'a_b', `a${'b'.repeat(Math.max(min - 1, 0))}`];
  const pattern = s['pattern'] as string | undefined;
  const found = pattern ? candidates.find((c) => new RegExp(pattern).test(c) && c.length >= min) : candidates[0];
  if (found === undefined) throw new Error(`no sample for pattern ${pattern}`);
  return found;
}

/** The smallest value the (inlined) JSON Schema accepts: required members only, the first of any choice. */
function sample(s: JsonSchema): unknown {
  if ('const' in s) return s['const'];
  if (Array.isArray(s['enum'])) return s['enum'][0];
  for (const choice of ['anyOf', 'oneOf'] as const) if (Array.isArray(s[choice])) return sample((s[choice] as JsonSchema[]).find((o) => o['type'] !== 'null') as JsonSchema);
  if ('default' in s) return s['default'];
  const type = Array.isArray(s['type']) ? (s['type'] as string[]).find((t) => t !== 'null') : (s['type'] as string | undefined);
  switch (type) {
    case 'object': {
      const properties = (s['properties'] ?? {}) as Record<string, JsonSchema>;
      const required = (s['required'] ?? []) as string[];
      return Object.fromEntries(required.map((name) => [name, sample(properties[name] ?? {})]));
    }
    case 'array':
      return Array.from({ length: (s['minItems'] as number | undefined) ?? 0 }, () => sample((s['items'] ?? {}) as JsonSchema));
    case 'string':
      return sampleString(s);
    case 'integer':
    case 'number': {
      const min = (s['minimum'] as number | undefined) ?? ((s['exclusiveMinimum'] as number | undefined) ?? 0) + 1;
      return Math.min(Math.max(min, 1), (s['maximum'] as number | undefined) ?? Infinity);
    }
    case 'boolean':
      return true;
    default:
      return 'x';
  }
}

/** A value of another JSON type than the schema's. */
function wrongTyped(s: JsonSchema): unknown {
  const types = [s, ...((s['anyOf'] ?? s['oneOf'] ?? []) as JsonSchema[])].flatMap((o) => [o['type'] ?? []].flat() as string[]);
  if (types.length === 0 && !Array.isArray(s['enum']) && !('const' in s)) return undefined; // any value goes
  return types.includes('string') ? 12345 : 'not-this-type';
}

const problemOf = async (res: Response) => ({ status: res.status, type: res.headers.get('content-type'), body: (await res.json().catch(() => ({}))) as { code?: string; errors?: Array<{ path: string; message: string }> } });

/** How jsonBody reports issues. */
const issuesOf = (error: z.ZodError) => error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));

interface Ids {
  [name: string]: string;
}

describe('the API document and the routes it describes', () => {
  let server: TestServer;
  let doc: OpenApiDocument;
  let embedToken: string;
  const ids: Ids = {};
  const api = () => adminClient(server.app, TEST_ADMIN_KEY);

  beforeAll(async () => {
    server = await createTestServer();
    doc = (await (await server.app.request('/api/openapi.json')).json()) as OpenApiDocument;
    embedToken = await server.token({ permissions: ['view', 'drill', 'ask', 'export'] });
    const admin = api();
    const first = async (path: string) => ((await admin('GET', path)).json.items as Array<{ id: string }>)[0]?.id as string;
    ids['connection'] = await first('/api/connections');
    ids['embedKey'] = await first('/api/embed-keys');
    ids['apiKey'] = await first('/api/api-keys');
    const stories = (await admin('GET', '/api/stories')).json.items as Array<{ id: string; slug: string }>;
    ids['story'] = stories.find((s) => s.slug === 'retail-overview')?.id as string;
    const story = (await admin('GET', `/api/stories/${ids['story']}`)).json as { pages: Array<{ id: string; cards: Array<{ id: string }> }>; filters: Array<{ id: string }> };
    ids['page'] = story.pages[0]?.id as string;
    ids['pages'] = story.pages.map((p) => p.id).join(',');
    ids['cards'] = (story.pages[0]?.cards ?? []).map((c) => c.id).join(',');
    ids['card'] = story.pages[0]?.cards[0]?.id as string;
    ids['filter'] = story.filters[0]?.id as string;
    const created = async (path: string, body: unknown) => {
      const res = await admin('POST', path, body);
      expect(res.status, path).toBe(201);
      return (res.json as { id: string }).id;
    };
    ids['savedQuery'] = await created('/api/saved-queries', { name: 'contract', kind: 'sql', connectionId: ids['connection'], sql: 'SELECT 1 AS n' });
    ids['dataset'] = await created('/api/datasets', { name: 'contract_rows', label: 'Contract rows', connectionId: ids['connection'], sql: 'SELECT 1 AS a', columns: [{ name: 'a', type: 'number', role: 'measure' }] });
    ids['collection'] = await created('/api/collections', { name: 'Contract' });
    ids['role'] = await created('/api/roles', { name: 'contract role', permissions: ['datasource:read'] });
    ids['user'] = await created('/api/users', { email: 'contract@example.com', name: 'Contract', role: 'viewer', password: 'a long enough password 1' });
    const embedStory = (await (await server.app.request('/api/embed/story', { headers: { authorization: `Bearer ${embedToken}` } })).json()) as { pages: Array<{ cards: Array<{ id: string; type: string }> }>; filters: Array<{ id: string }> };
    ids['embedCard'] = embedStory.pages.flatMap((p) => p.cards).find((c) => c.type !== 'text')?.id as string;
    ids['embedFilter'] = embedStory.filters[0]?.id as string;
    for (const [name, value] of Object.entries(ids)) expect(value, name).toBeTruthy();
    // Starting the server alone takes over a minute when both cores are busy.
  }, 300_000);
  afterAll(() => server?.close());

  /** A URL of the path whose parameters name real resources, so a route gets as far as reading its input. */
  function urlOf(path: string): string {
    const params: Array<[RegExp, string]> = [
      [/^\/api\/embed\/cards\/\{cardId\}/, ids['embedCard'] as string],
      [/^\/api\/embed\/filters\/\{filterId\}/, ids['embedFilter'] as string],
    ];
    for (const [pattern, id] of params) if (pattern.test(path)) return path.replace(/\{[^}]+\}/, id);
    const byPrefix: Record<string, string> = {
      connections: 'connection',
      datasets: 'dataset',
      'saved-queries': 'savedQuery',
      stories: 'story',
      collections: 'collection',
      users: 'user',
      roles: 'role',
      'embed-keys': 'embedKey',
      'api-keys': 'apiKey',
    };
    const resource = path.split('/')[2] ?? '';
    return path
      .replace(/\{id\}/, ids[byPrefix[resource] ?? ''] ?? 'retail-overview')
      .replace('{pageId}', ids['page'] as string)
      .replace('{cardId}', ids['card'] as string)
      .replace('{filterId}', ids['filter'] as string)
      .replace('{userId}', ids['user'] as string);
  }

  /**
   * Bodies for the routes whose smallest sample breaks a rule the document
   * cannot state: one member out of two (a host or a url, a table or a sql),
   * or a name that must exist (a role, the pages of the story).
   */
  async function example(key: string): Promise<unknown> {
    const story = async () => (await api()('GET', `/api/stories/${ids['story']}`)).json as { pages: Array<{ id: string; cards: Array<{ id: string }> }> };
    const dataset = { name: 'contract_rows', label: 'Contract rows', connectionId: ids['connection'], sql: 'SELECT 1 AS a', columns: [{ name: 'a', type: 'number', role: 'measure' }] };
    switch (key) {
      case 'post /api/connections':
        return { name: 'contract-pg', type: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test' };
      case 'patch /api/connections/{id}':
        return { name: 'demo warehouse' };
      case 'post /api/datasets':
        return { ...dataset, name: 'contract_new' };
      case 'put /api/datasets/{id}':
        return dataset;
      case 'post /api/cache/invalidate':
        return { datasetId: ids['dataset'] };
      case 'post /api/stories/{id}/pages/reorder':
        return { order: (await story()).pages.map((p) => p.id) };
      case 'post /api/stories/{id}/pages/{pageId}/cards/reorder':
        return { order: ((await story()).pages.find((p) => p.id === ids['page'])?.cards ?? []).map((c) => c.id) };
      case 'post /api/stories/{id}/pages/{pageId}/cards':
        return { type: 'text', title: 'Note', options: { markdown: 'A note' } };
      case 'post /api/users':
        return { email: 'added@example.com', name: 'Added', role: 'viewer', password: 'a long enough password 2' };
      case 'post /api/users/invitations':
        return { email: 'invited@example.com', name: 'Invited', role: 'viewer' };
      case 'patch /api/users/{id}':
        return { name: 'Renamed' };
      default:
        return undefined;
    }
  }

  /** Routes that answer before they read the body, with the code they answer on the test server. */
  const ANSWERS_FIRST: Record<string, string> = {
    // Registration is off unless INSIGHT_ALLOW_REGISTRATION is set; registration.test.ts covers its body.
    'post /api/auth/register': 'ERR_REGISTRATION_CLOSED',
  };

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ key: `${method} ${path}`, method, path, op: op as Operation })));

  it('lists every route the app serves, each with a declaration of its own', () => {
    const missing: string[] = [];
    for (const route of server.app.routes) {
      const method = route.method.toLowerCase();
      if (!METHODS.includes(method) || route.path.startsWith('/static')) continue;
      const path = normalisePath(route.path);
      if (!doc.paths[path]?.[method] || !routeCatalog.get(method, path)) missing.push(`${method} ${path}`);
    }
    expect(server.app.routes.length).toBeGreaterThan(90);
    expect(missing).toEqual([]);
  });

  it('documents each body and query string with the very schema the route declares', () => {
    let bodies = 0;
    for (const { key, method, path, op } of operations()) {
      const declared = routeCatalog.get(method, path);
      const documented = op.requestBody?.content['application/json']?.schema;
      expect(documented === undefined, key).toBe(declared?.body === undefined);
      if (declared?.body) {
        bodies += 1;
        expect(inline(documented, doc), key).toEqual(inline(toSchema(declared.body, 'input', 'x', {}), doc));
      }
      const query = (op.parameters ?? []).filter((p) => p.in === 'query');
      if (!declared?.query) {
        expect(query, key).toEqual([]);
        continue;
      }
      const expected = toSchema(declared.query, 'output', 'x', {}) as { properties: Record<string, JsonSchema> };
      expect(Object.fromEntries(query.map((p) => [p.name, p.schema])), key).toEqual(expected.properties);
    }
    expect(bodies).toBeGreaterThan(40);
  });

  it('never refuses as ERR_VALIDATION a body the document accepts, and refuses with the declared schema what it does not', async () => {
    const disagreements: string[] = [];
    const bodyOps = operations().filter(({ op }) => op.requestBody);
    for (const { key, method, path, op } of bodyOps) {
      const declared = routeCatalog.get(method, path)?.body as z.ZodType;
      const schema = inline(op.requestBody?.content['application/json']?.schema, doc) as JsonSchema;
      const documented = z.fromJSONSchema(schema as never);
      const accepted = (await example(key)) ?? sample(schema);
      const candidates: unknown[] = [[], 42, 'text'];
      if (accepted && typeof accepted === 'object' && !Array.isArray(accepted)) {
        candidates.push({ ...accepted, unexpectedMember: 1 });
        const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
        for (const name of Object.keys(properties)) {
          const wrong = wrongTyped(properties[name] as JsonSchema);
          if (wrong !== undefined) candidates.push({ ...accepted, [name]: wrong });
        }
      }
      const bearer = path.startsWith('/api/embed/') && path !== '/api/embed/tokens' ? embedToken : TEST_ADMIN_KEY;
      const send = (body: unknown) =>
        server.app.request(urlOf(path), { method: method.toUpperCase(), headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(documented.safeParse(accepted).success, `${key} accepts its example`).toBe(true);
      // Refusals first: they change nothing. The one accepted body goes last.
      for (const body of [...candidates.filter((b) => !documented.safeParse(b).success), accepted]) {
        const docAccepts = body === accepted;
        const { status, type, body: problem } = await problemOf(await send(body));
        if (ANSWERS_FIRST[key] !== undefined && problem.code === ANSWERS_FIRST[key]) continue;
        const refusedAsInvalid = status === 400 && problem.code === 'ERR_VALIDATION';
        const shown = JSON.stringify(body).slice(0, 120);
        if (docAccepts && (refusedAsInvalid || status >= 500)) disagreements.push(`${key}: document accepts ${shown}, route answers ${status} ${problem.code} ${JSON.stringify(problem.errors ?? [])}`);
        if (!docAccepts) {
          const parsed = declared.safeParse(body);
          if (!refusedAsInvalid || type !== 'application/problem+json') disagreements.push(`${key}: document refuses ${shown}, route answers ${status} ${problem.code}`);
          else if (parsed.success) disagreements.push(`${key}: document refuses ${shown}, the declared schema accepts it`);
          else if (JSON.stringify(problem.errors) !== JSON.stringify(issuesOf(parsed.error))) disagreements.push(`${key}: ${shown} refused with other issues than the declared schema's`);
        }
      }
    }
    expect(bodyOps.length).toBeGreaterThan(40);
    expect(disagreements).toEqual([]);
  }, 300_000);

  it('refuses a query value of the wrong type or outside the documented enum with a problem, and reads the defaults', async () => {
    const disagreements: string[] = [];
    const queryOps = operations().filter(({ op }) => (op.parameters ?? []).some((p) => p.in === 'query'));
    for (const { key, path, op } of queryOps) {
      const bearer = path.startsWith('/api/embed/') ? embedToken : TEST_ADMIN_KEY;
      const get = async (query: string) => problemOf(await server.app.request(`${urlOf(path)}${query}`, { headers: { authorization: `Bearer ${bearer}` } }));
      const plain = await get('');
      if (plain.status === 400 || plain.status >= 500) disagreements.push(`${key}: no query string answers ${plain.status} ${plain.body.code}`);
      for (const param of (op.parameters ?? []).filter((p) => p.in === 'query')) {
        const s = param.schema;
        const bad = Array.isArray(s['enum']) ? 'not-a-listed-value' : s['type'] === 'integer' ? 'abc' : typeof s['maxLength'] === 'number' ? 'a'.repeat((s['maxLength'] as number) + 1) : undefined;
        if (bad === undefined) continue;
        const res = await get(`?${param.name}=${encodeURIComponent(bad)}`);
        if (res.status !== 400 || res.body.code !== 'ERR_VALIDATION' || res.type !== 'application/problem+json') disagreements.push(`${key}: ?${param.name}=${bad.slice(0, 20)} answers ${res.status} ${res.body.code}`);
      }
    }
    expect(queryOps.length).toBeGreaterThanOrEqual(9);
    expect(disagreements).toEqual([]);
  }, 120_000);
});
