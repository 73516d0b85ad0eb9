import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoryView } from '@insight-engine/sdk/protocol';
import { addApiKey, adminClient, createOrg, TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';
import type { LogLine } from './logger.ts';
import type { OpenApiDocument, Operation } from './openapi.ts';

let server: TestServer;
let api: ReturnType<typeof adminClient>;
let story: StoryView;
const lines: LogLine[] = [];

const embed = (token: string, path: string, init: RequestInit = {}) =>
  server.app.request(path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });

/** Parses Prometheus text exposition line by line; throws on any line that is not a comment, blank or a sample. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|(?:[Nn]a[Nn])|[+-]Inf)( -?[0-9]+)?$/;
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    const match = sample.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

async function scrape(): Promise<Map<string, number>> {
  const res = await server.app.request('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parsePrometheus(await res.text());
}

const value = (samples: Map<string, number>, prefix: string) => [...samples].filter(([k]) => k.startsWith(prefix)).reduce((sum, [, v]) => sum + v, 0);

beforeAll(async () => {
  server = await createTestServer();
  // The same app, with a log sink, to read the request lines.
  const { createApp } = await import('../app.ts');
  server = { ...server, app: createApp(server.services, { log: (line) => lines.push(line) }) };
  api = adminClient(server.app, TEST_ADMIN_KEY);
  const res = await embed(await server.token(), '/api/embed/story');
  expect(res.status).toBe(200);
  story = (await res.json()) as StoryView;
});

afterAll(async () => {
  await server?.close();
});

describe('GET /api/openapi.json', () => {
  let doc: OpenApiDocument;
  beforeAll(async () => {
    const res = await server.app.request('/api/openapi.json');
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDocument;
  });

  it('is a structurally valid OpenAPI 3.1 document whose errors are problem+json', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20);
    const refs = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      expect(path.startsWith('/')).toBe(true);
      for (const [method, op] of Object.entries(methods) as Array<[string, Operation]>) {
        expect(['get', 'post', 'put', 'patch', 'delete']).toContain(method);
        expect(op.operationId).toMatch(/^[A-Za-z0-9]+$/);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const param of [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])) {
          expect(op.parameters?.some((p) => p.in === 'path' && p.name === param && p.required)).toBe(true);
        }
        for (const response of Object.values(op.responses)) {
          const ref = (response as { $ref?: string }).$ref;
          if (ref) refs.add(ref);
          else expect(response).toHaveProperty('description');
        }
      }
    }
    expect(refs.size).toBeGreaterThan(0);
    for (const ref of refs) {
      const name = ref.replace('#/components/responses/', '');
      expect(doc.components.responses[name]).toMatchObject({ content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
    }
    // Every $ref anywhere in the document resolves inside it.
    const json = JSON.stringify(doc);
    for (const [, target] of json.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const found = (target as string).split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
      expect(found, target).toBeDefined();
    }
    expect(json).not.toContain('"$schema"');
  });

  it('lists every route mounted on the app', () => {
    const mounted = server.app.routes
      .filter((r) => r.method !== 'ALL' && !r.path.startsWith('/static'))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/\/+$/, '').replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, '{$1}') || '/'}`);
    expect(mounted.length).toBeGreaterThan(20);
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`)));
    expect(mounted.filter((route) => !documented.has(route))).toEqual([]);
    expect(documented.has('get /api/config')).toBe(true);
    expect(documented.has('get /metrics')).toBe(true);
  });

  it('describes request bodies with the schemas that validate them', async () => {
    const put = doc.paths['/api/config']?.['put'];
    expect(put?.['x-permission']).toBe('system:config');
    const schema = put?.requestBody?.content['application/json']?.schema as { properties: Record<string, { minimum?: number; maximum?: number }> };
    expect(schema.properties['rowCap']).toMatchObject({ minimum: 1, maximum: 1_000_000 });
    const createConnection = doc.paths['/api/connections']?.['post']?.requestBody?.content['application/json']?.schema as { properties: Record<string, unknown> };
    expect(Object.keys(createConnection.properties)).toEqual(expect.arrayContaining(['name', 'type']));
    // The documented bound is the enforced one.
    const refused = await api('PUT', '/api/config', { rowCap: 1_000_001 });
    expect(refused.status).toBe(400);
    expect(refused.json.code).toBe('ERR_VALIDATION');
    const values = doc.paths['/api/embed/filters/{filterId}/values']?.['get'];
    expect(values?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['path:filterId', 'query:search']);
    expect(values?.security).toEqual([{ embedToken: [] }]);
  });
});

describe('GET /docs', () => {
  it('is a self-contained page listing the operations by tag', async () => {
    const res = await server.app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('<h2>config</h2>');
    expect(html).toContain('/api/embed/cards/{cardId}/data');
    expect(html).toContain('system:config');
    // Nothing loaded from elsewhere.
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  });
});

describe('GET /metrics', () => {
  it('exposes Prometheus text whose counts move with requests, queries and cache use', async () => {
    const before = await scrape();
    const card = story.pages[0]?.cards.find((c) => c.type === 'chart');
    const token = await server.token({ params: { tenant_id: 3 } });
    const first = await embed(token, `/api/embed/cards/${card?.id}/data`, { method: 'POST', body: '{}' });
    expect(first.status).toBe(200);
    const second = await embed(token, `/api/embed/cards/${card?.id}/data`, { method: 'POST', body: '{}' });
    expect(((await second.json()) as { fromCache: boolean }).fromCache).toBe(true);
    const after = await scrape();

    const route = 'insight_http_request_duration_seconds_count{method="POST",route="/api/embed/cards/:cardId/data",status="200"}';
    expect((after.get(route) ?? 0) - (before.get(route) ?? 0)).toBe(2);
    // The route pattern, never the card id.
    expect([...after.keys()].some((k) => k.includes(card?.id ?? '-'))).toBe(false);
    const queries = 'insight_query_duration_seconds_count{connection_type="pglite",outcome="ok"}';
    expect((after.get(queries) ?? 0) - (before.get(queries) ?? 0)).toBe(1);
    expect(value(after, 'insight_cache_hits_total') - value(before, 'insight_cache_hits_total')).toBe(1);
    expect(value(after, 'insight_cache_misses_total') - value(before, 'insight_cache_misses_total')).toBe(1);
    expect(value(after, 'insight_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    // The embedded demo warehouse has no pool; the gauges are declared all the same (pool-metrics.test.ts reads a real pool).
    expect(await (await server.app.request('/metrics')).text()).toContain('# TYPE insight_connection_pool_connections gauge');
  });

  it('counts AI calls recorded through the module helper', async () => {
    const { recordAiCall } = await import('./metrics.ts');
    const key = 'insight_ai_calls_total{engine="offline",outcome="ok"}';
    const before = (await scrape()).get(key) ?? 0;
    recordAiCall('offline', 'ok');
    expect((await scrape()).get(key)).toBe(before + 1);
  });

  it('labels requests that matched no route as unmatched', async () => {
    expect((await server.app.request('/no/such/page/123')).status).toBe(404);
    const samples = await scrape();
    expect(samples.get('insight_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}')).toBeGreaterThanOrEqual(1);
    expect([...samples.keys()].some((k) => k.includes('/no/such'))).toBe(false);
  });
});

describe('request log', () => {
  it('writes one line per request with the route pattern and never the token', async () => {
    lines.length = 0;
    const token = await server.token({ sub: 'host-user-log' });
    const filter = story.filters.find((f) => f.name === 'region');
    const res = await embed(token, `/api/embed/filters/${filter?.id}/values?search=We`);
    expect(res.status).toBe(200);
    const line = lines.find((l) => l['msg'] === 'request');
    expect(line).toMatchObject({
      level: 'info',
      method: 'GET',
      route: '/api/embed/filters/:filterId/values',
      status: 200,
      actor: 'embed',
      requestId: res.headers.get('x-request-id'),
      durationMs: expect.any(Number),
    });
    expect(JSON.stringify(lines)).not.toContain(token);
    expect(JSON.stringify(lines)).not.toContain('search=We');

    lines.length = 0;
    await api('GET', '/api/config');
    expect(lines.find((l) => l['msg'] === 'request')).toMatchObject({ route: '/api/config', actor: 'api_key', status: 200 });
    expect(JSON.stringify(lines)).not.toContain(TEST_ADMIN_KEY);
  });
});

describe('/api/config', () => {
  it('answers the defaults, never an AI key, and applies a row cap to that organisation only', async () => {
    const initial = await api('GET', '/api/config');
    expect(initial.status).toBe(200);
    expect(initial.json.settings).toMatchObject({ rowCap: 10_000, statementTimeoutMs: 30_000, cacheTtlSeconds: 300, ai: { enabled: true, apiKeyConfigured: false } });
    expect(initial.text).not.toMatch(/apiKey"\s*:\s*"/);

    const query = { dataset: 'sales', dimensions: [{ column: 'order_id' }], measures: [], filters: [], sort: [{ field: 'order_id', direction: 'asc' }], limit: 50 };
    const put = await api('PUT', '/api/config', { rowCap: 7, ai: { enabled: false, model: 'gpt-4.1-mini' } });
    expect(put.status).toBe(200);
    expect(put.json.settings).toMatchObject({ rowCap: 7, ai: { enabled: false, model: 'gpt-4.1-mini' } });
    expect(put.json.overrides).toEqual({ rowCap: 7, ai: { enabled: false, model: 'gpt-4.1-mini' } });
    const capped = await api('POST', '/api/queries/run', { query, params: { tenant_id: 1 } });
    expect(capped.status).toBe(200);
    expect(capped.json).toMatchObject({ rowCount: 7, truncated: true });

    // Another organisation keeps the server defaults.
    const other = await createOrg(server.services.store.db, 'configother');
    const theirs = await adminClient(server.app, other.key)('GET', '/api/config');
    expect(theirs.json.settings.rowCap).toBe(10_000);

    // Members left out return to the defaults.
    const reset = await api('PUT', '/api/config', {});
    expect(reset.json.settings.rowCap).toBe(10_000);
    const full = await api('POST', '/api/queries/run', { query, params: { tenant_id: 1 } });
    expect(full.json).toMatchObject({ rowCount: 50, truncated: false });
  });

  it('leaves an audit entry with the overrides before and after', async () => {
    expect((await api('PUT', '/api/config', { cacheTtlSeconds: 60 })).status).toBe(200);
    expect((await api('PUT', '/api/config', { cacheTtlSeconds: 120 })).status).toBe(200);
    const audit = await api('GET', `/api/audit?action=${encodeURIComponent('PUT /api/config')}`);
    expect(audit.status).toBe(200);
    const entry = (audit.json.items as Array<Record<string, any>>).find((e) => e['action'] === 'PUT /api/config');
    expect(entry?.['before']).toEqual({ cacheTtlSeconds: 60 });
    expect(entry?.['after']).toMatchObject({ overrides: { cacheTtlSeconds: 120 } });
    await api('PUT', '/api/config', {});
  });

  it('refuses values out of bounds, unknown members, and roles without system:config', async () => {
    for (const body of [{ statementTimeoutMs: 10 }, { cacheTtlSeconds: -1 }, { ai: { timeoutMs: 999_999 } }, { ai: { apiKey: 'sk-123' } }, { rowCap: 'many' }]) {
      const res = await api('PUT', '/api/config', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.code).toBe('ERR_VALIDATION');
    }
    const { key } = await addApiKey(server.services.store.db, server.services.defaultOrgId, 'developer');
    const developer = adminClient(server.app, key);
    expect((await developer('GET', '/api/config')).json.code).toBe('ERR_FORBIDDEN');
    expect((await developer('PUT', '/api/config', { rowCap: 5 })).status).toBe(403);
  });
});

describe('body limits', () => {
  it('refuses an oversized embed body with ERR_BODY_TOO_LARGE', async () => {
    const card = story.pages[0]?.cards[0];
    const body = JSON.stringify({ filters: { region: 'x'.repeat(100 * 1024) } });
    const res = await embed(await server.token(), `/api/embed/cards/${card?.id}/data`, { method: 'POST', body });
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe('ERR_BODY_TOO_LARGE');
  });

  it('refuses a declared Content-Length over the limit before reading the body, and passes one within it', async () => {
    const card = story.pages[0]?.cards[0];
    const token = await server.token();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ filters: {} });
    const declaredHuge = await server.app.request(`/api/embed/cards/${card?.id}/data`, { method: 'POST', body, headers: { ...headers, 'content-length': String(10 * 1024 * 1024) } });
    expect(declaredHuge.status).toBe(413);
    expect((await declaredHuge.json()).code).toBe('ERR_BODY_TOO_LARGE');
    const declaredRight = await server.app.request(`/api/embed/cards/${card?.id}/data`, { method: 'POST', body, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } });
    expect(declaredRight.status).toBe(200);
  });
});

describe('GET /readyz', () => {
  it('is ready while the store answers, and 503 problem+json while draining', async () => {
    const ok = await server.app.request('/readyz');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ready', checks: { store: 'ok' } });
  });
});
