/**
 * The embed ask routes without a model: the offline engine answers, with the
 * token's permission, validation and hidden columns enforced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AskResponse, AskSuggestionsResponse } from '@insight-engine/sdk/protocol';
import { DEMO_CONNECTION_ID, SALES_DATASET } from '../demo-content/provision-demo.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';

let server: TestServer;
let askToken: string;

async function request(path: string, token: string, body?: unknown) {
  const headers = new Headers({ authorization: `Bearer ${token}` });
  if (body !== undefined) headers.set('content-type', 'application/json');
  const res = await server.app.request(path, { method: body === undefined ? 'GET' : 'POST', headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json: JSON.parse(text) as any };
}

async function warehouse(sql: string, params: unknown[] = []) {
  const connector = await server.services.connections.get(server.services.defaultOrgId, DEMO_CONNECTION_ID);
  return connector.execute(sql, params, { timeoutMs: 10_000, maxRows: 10_000 });
}

beforeAll(async () => {
  server = await createTestServer();
  // The tenant column is declared on the dataset too, as vendors often do: it must stay hidden all the same.
  await server.services.datasets.upsert(server.services.defaultOrgId, {
    ...SALES_DATASET,
    connectionId: DEMO_CONNECTION_ID,
    columns: [...SALES_DATASET.columns, { name: 'tenant_id', label: 'Shop', type: 'number', role: 'dimension', synonyms: ['tenant', 'shop', 'account'] }],
  });
  askToken = await server.token({ permissions: ['view', 'ask'], params: { tenant_id: 2 } });
});

afterAll(async () => {
  await server?.close();
});

describe('permission ask', () => {
  it('refuses a token without ask on both routes, before reading the body', async () => {
    const viewOnly = await server.token({ permissions: ['view', 'drill'] });
    for (const res of [await request('/api/embed/ask', viewOnly, { question: 'revenue by region' }), await request('/api/embed/ask', viewOnly, '{nope'), await request('/api/embed/ask/suggestions', viewOnly)]) {
      expect(res.status).toBe(403);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.json.code).toBe('ERR_FORBIDDEN');
    }
  });

  it('refuses a request without a token', async () => {
    const res = await server.app.request('/api/embed/ask', { method: 'POST', body: '{"question":"revenue"}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(401);
    expect((await res.json()).code).toBe('ERR_UNAUTHENTICATED');
  });
});

describe('POST /api/embed/ask validation', () => {
  const cases: Array<[string, unknown]> = [
    ['an empty question', { question: '   ' }],
    ['no question', {}],
    ['a question of more than 500 characters', { question: 'revenue '.repeat(80) }],
    ['an unknown member', { question: 'revenue', sql: 'select 1' }],
    ['a dataset that is not an identifier', { question: 'revenue', dataset: 'sales; drop' }],
    ['a body that is not JSON', '{"question": '],
  ];
  for (const [what, body] of cases) {
    it(`answers ERR_VALIDATION as problem+json for ${what}`, async () => {
      const res = await request('/api/embed/ask', askToken, body);
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.json.code).toBe('ERR_VALIDATION');
    });
  }

  it('answers ERR_DATASET_NOT_FOUND for a dataset outside the story', async () => {
    const res = await request('/api/embed/ask', askToken, { question: 'revenue', dataset: 'payroll' });
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('ERR_DATASET_NOT_FOUND');
  });
});

describe('offline answers', () => {
  it('answers with the viewer rows and SQL over the dataset name', async () => {
    const res = await request('/api/embed/ask', askToken, { question: 'revenue by region' });
    expect(res.status).toBe(200);
    expect(res.contentType).toContain('application/json');
    const answer = res.json as AskResponse;
    expect(answer.status).toBe('answered');
    expect(answer.engine).toBe('offline');
    expect(answer.fallbackReason).toBeUndefined();
    expect(answer.understood.map((c) => c.kind)).toEqual(expect.arrayContaining(['measure', 'dimension']));
    expect(answer.sql).toMatch(/from "sales"/);
    expect(answer.sql).not.toMatch(/sales_facts|tenant/);
    const truth = await warehouse('select region, sum(revenue) from sales_facts where tenant_id = 2 group by region');
    const byRegion = new Map(truth.rows.map((r) => [r[0], r[1] as number]));
    expect(answer.rows).toHaveLength(byRegion.size);
    for (const [region, revenue] of answer.rows) expect(revenue).toBeCloseTo(byRegion.get(region) as number, 2);
    expect(answer.rowCount).toBe(byRegion.size);
  });

  it('cannot be asked about the hidden tenant column', async () => {
    const res = await request('/api/embed/ask', askToken, { question: 'revenue by tenant' });
    expect(res.status).toBe(200);
    const answer = res.json as AskResponse;
    expect(answer.columns.map((c) => c.name)).not.toContain('tenant_id');
    expect(res.text).not.toContain('tenant_id');
    if (answer.status === 'answered') {
      const total = await warehouse('select sum(revenue) from sales_facts where tenant_id = 2');
      expect(answer.rows).toHaveLength(1);
      expect(answer.rows[0]?.at(-1)).toBeCloseTo(total.rows[0]?.[0] as number, 2);
    }
  });

  it('recognises only the viewer own category values', async () => {
    // "Tents" is a category of tenant 1: for a tenant 2 viewer it is an unknown word, never a filter.
    const res = await request('/api/embed/ask', askToken, { question: 'revenue for Tents' });
    const answer = res.json as AskResponse;
    expect(JSON.stringify(answer.understood)).not.toContain('Tents');
    const own = await request('/api/embed/ask', askToken, { question: 'revenue for Fiction' });
    expect((own.json as AskResponse).status).toBe('answered');
    expect(JSON.stringify((own.json as AskResponse).understood)).toContain('Fiction');
  });
});

describe('GET /api/embed/ask/suggestions', () => {
  it('suggests questions from the story datasets without any hidden column', async () => {
    const res = await request('/api/embed/ask/suggestions', askToken);
    expect(res.status).toBe(200);
    const body = res.json as AskSuggestionsResponse;
    expect(body.suggestions.length).toBeGreaterThan(0);
    for (const suggestion of body.suggestions) expect(suggestion).not.toMatch(/tenant|shop|account/i);
    expect(res.text).not.toMatch(/tenant_id/);
  });
});

describe('GET /api/openapi.json', () => {
  it('describes the ask routes and the AI admin routes', async () => {
    const doc = (await (await server.app.request('/api/openapi.json')).json()) as { paths: Record<string, Record<string, { summary?: string; requestBody?: unknown }>> };
    expect(doc.paths['/api/embed/ask']?.['post']?.requestBody).toBeDefined();
    expect(doc.paths['/api/embed/ask/suggestions']?.['get']?.summary).toContain('Example questions');
    for (const path of ['/api/ai/generate-query', '/api/ai/verify', '/api/ai/analyze', '/api/ai/recommend']) expect(doc.paths[path]?.['post']?.requestBody, path).toBeDefined();
  });
});
