/**
 * `/api/ai` admin routes against a real test server and a scripted
 * OpenAI-compatible model on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlReply, startScriptedModel, type ScriptedModel } from '../ai/testing/scripted-model.ts';
import { DEMO_CONNECTION_ID } from '../demo-content/provision-demo.ts';
import { addApiKey, adminClient, TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { createMysqlOrders, type OrdersFixture } from '../testing/orders-fixture.ts';
import { serviceAvailable } from '../testing/services.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';

let server: TestServer;
let model: ScriptedModel;
let api: ReturnType<typeof adminClient>;

async function warehouse(sql: string, params: unknown[] = []) {
  const connector = await server.services.connections.get(server.services.defaultOrgId, DEMO_CONNECTION_ID);
  return connector.execute(sql, params, { timeoutMs: 10_000, maxRows: 10_000 });
}

beforeAll(async () => {
  model = await startScriptedModel();
  server = await createTestServer({ openai: { apiKey: 'test-key', baseUrl: model.url, model: 'scripted-sql', timeoutMs: 20_000 } });
  api = adminClient(server.app, TEST_ADMIN_KEY);
});

afterAll(async () => {
  await server?.close();
  await model?.close();
});

describe('POST /api/ai/generate-query', () => {
  it('returns the model SQL, checked by running it with the given params', async () => {
    model.use(() => sqlReply('select region, sum(revenue) as revenue from sales group by region order by revenue desc', 'Revenue by region.'));
    const { status, json } = await api('POST', '/api/ai/generate-query', { question: 'revenue by region', params: { tenant_id: 1 } });
    expect(status).toBe(200);
    expect(json).toEqual({
      generatedSql: 'select region, sum(revenue) as revenue from sales group by region order by revenue desc',
      // The engine's own account of the SQL that ran, not the model's sentence.
      explanation: 'Reads Sales, grouped by region, sorted by revenue (largest first).',
      confidence: 0.9,
      suggestedVisualizations: [{ chartType: 'bar', x: 'region', y: 'revenue' }, { chartType: 'donut', x: 'region', y: 'revenue', color: 'region' }],
      engine: 'llm',
    });
    const prompt = model.requests[0]?.messages[0]?.content ?? '';
    expect(prompt).toContain('CREATE TABLE sales');
    expect(prompt).not.toContain('tenant_id');
  });

  it('guards the SQL with stand-in values when no params are given, and repairs a refusal', async () => {
    model.use((_request, index) => (index === 0 ? sqlReply('select region from sales_facts') : sqlReply('select region, count(*) as lines from sales group by region')));
    const { status, json } = await api('POST', '/api/ai/generate-query', { question: 'order lines per region' });
    expect(status).toBe(200);
    expect(json.engine).toBe('llm');
    expect(json.generatedSql).toBe('select region, count(*) as lines from sales group by region');
    expect(json.confidence).toBe(0.7);
    expect(json.suggestedVisualizations).toEqual([]);
    expect(model.requests[1]?.messages.at(-1)?.content).toContain('ERR_SQL_TABLE_NOT_ALLOWED');
  });

  it('falls back to the offline engine when the model hangs', async () => {
    // A model that answers is never cut (20 s); this one never answers, so only a 300 ms time box can end it.
    await server.services.orgConfig.put(server.services.defaultOrgId, { ai: { timeoutMs: 300 } });
    model.use(() => ({ hang: true }));
    const { status, json } = await api('POST', '/api/ai/generate-query', { question: 'total revenue by category', datasets: ['sales'], params: { tenant_id: 1 } })
      .finally(() => server.services.orgConfig.put(server.services.defaultOrgId, {}));
    expect(status).toBe(200);
    expect(json.engine).toBe('offline');
    expect(json.fallbackReason).toBe('timeout');
    expect(json.generatedSql).toMatch(/^select "ds"."category" as "category", sum\("ds"."revenue"\)/);
    // The offline SQL is SQL over datasets: it runs as it is.
    const run = await api('POST', '/api/queries/execute', { connectionId: DEMO_CONNECTION_ID, sql: json.generatedSql, params: { tenant_id: 1 } });
    expect(run.status).toBe(200);
    expect(run.json.rows).toHaveLength(5);
  });

  it('answers problem+json for an unknown dataset and an invalid body', async () => {
    const unknown = await api('POST', '/api/ai/generate-query', { question: 'revenue', datasets: ['payroll'] });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('ERR_DATASET_NOT_FOUND');
    const invalid = await api('POST', '/api/ai/generate-query', { question: '' });
    expect(invalid.status).toBe(400);
    expect(invalid.contentType).toContain('application/problem+json');
    expect(invalid.json.code).toBe('ERR_VALIDATION');
  });
});

describe('POST /api/ai/verify', () => {
  it('validates SQL and estimates its rows with the planner, given params', async () => {
    const { status, json } = await api('POST', '/api/ai/verify', { sql: 'select region, sum(revenue) from sales group by region', params: { tenant_id: 3 } });
    expect(status).toBe(200);
    expect(json).toMatchObject({ isValid: true, errors: [] });
    // An EXPLAIN estimate, not a count: positive for a table with rows, whatever the statistics say exactly.
    expect(json.estimatedRows).toEqual(expect.any(Number));
    expect(json.estimatedRows).toBeGreaterThan(0);
    expect(json.warnings.join(' ')).toContain('No LIMIT');
  });

  it('reports guard refusals and execution errors with their codes', async () => {
    const cases: Array<[string, string]> = [
      ['delete from sales', 'ERR_SQL_'],
      ["select pg_read_file('/etc/passwd') from sales", 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
      ['select * from public.sales', 'ERR_SQL_'],
      ['select * from sales_facts', 'ERR_SQL_TABLE_NOT_ALLOWED'],
      ['select amount from sales', 'ERR_QUERY_FAILED'],
    ];
    for (const [sql, code] of cases) {
      const { status, json } = await api('POST', '/api/ai/verify', { sql, params: { tenant_id: 1 } });
      expect(status).toBe(200);
      expect(json.isValid, sql).toBe(false);
      expect(json.errors[0]?.code, sql).toContain(code);
    }
  });

  it('checks without running when the policy params are missing', async () => {
    const { json } = await api('POST', '/api/ai/verify', { sql: 'select * from sales limit 10' });
    expect(json.isValid).toBe(true);
    expect(json.estimatedRows).toBeNull();
    expect(json.warnings.join(' ')).toContain('tenant_id');
    expect(json.warnings.join(' ')).toContain('SELECT *');
  });
});

describe('POST /api/ai/analyze and /api/ai/recommend', () => {
  const result = {
    columns: [{ name: 'customer', type: 'string' }, { name: 'revenue', type: 'number' }],
    rows: [['Ava', 9000], ['Ben', 300], ['Chloe', 280], ['Dan', 310], ['Emma', 290], ['Felix', 305]],
  };

  it('computes insights over a result set; the model only retells them', async () => {
    model.use(() => JSON.stringify({ summary: 'Ava alone brings 85.8% of revenue.' }));
    const { status, json } = await api('POST', '/api/ai/analyze', result);
    expect(status).toBe(200);
    expect(json.summary).toBe('Ava alone brings 85.8% of revenue.');
    expect(json.narratedBy).toBe('llm');
    expect(json.insights.map((i: { title: string }) => i.title)).toEqual(expect.arrayContaining(['Ava accounts for most of the revenue', 'Ava is unusually high']));
    for (const insight of json.insights) expect(['high', 'medium', 'low']).toContain(insight.importance);
    expect(json.recommendations[0]).toMatchObject({ priority: 'high' });
  });

  it('analyses a saved query run with the given params', async () => {
    model.use(() => ({ status: 500 }));
    const saved = await server.services.savedQueries.create(server.services.defaultOrgId, {
      name: 'Monthly revenue by region',
      kind: 'sql',
      connectionId: DEMO_CONNECTION_ID,
      sql: "select cast(date_trunc('month', order_date) as date) as month, region, sum(revenue) as revenue from sales group by 1, 2 order by 1",
    });
    const { status, json } = await api('POST', '/api/ai/recommend', { savedQueryId: saved.id, params: { tenant_id: 1 } });
    expect(status).toBe(200);
    expect(json.narratedBy).toBe('statistics');
    const kinds = json.insights.map((i: { kind: string }) => i.kind);
    expect(kinds).toEqual(expect.arrayContaining(['trend', 'change']));
    expect(json.recommendations.length).toBeGreaterThan(0);
    // The latest month in the change insight is the warehouse's latest month for tenant 1.
    const last = await warehouse("select to_char(max(order_date), 'YYYY-MM') from sales_facts where tenant_id = 1");
    expect(json.insights.find((i: { kind: string }) => i.kind === 'change').detail).toContain(String(last.rows[0]?.[0]));
  });

  it('answers ERR_SAVED_QUERY_NOT_FOUND and ERR_VALIDATION', async () => {
    expect((await api('POST', '/api/ai/analyze', { savedQueryId: 'sq_nope', params: {} })).json.code).toBe('ERR_SAVED_QUERY_NOT_FOUND');
    expect((await api('POST', '/api/ai/analyze', { rows: [] })).json.code).toBe('ERR_VALIDATION');
  });
});

describe('permissions', () => {
  it('needs ai:query, ai:analyze and ai:recommend', async () => {
    const viewer = adminClient(server.app, (await addApiKey(server.services.store.db, server.services.defaultOrgId, 'viewer')).key);
    for (const [path, body] of [
      ['/api/ai/generate-query', { question: 'revenue' }],
      ['/api/ai/verify', { sql: 'select 1' }],
      ['/api/ai/analyze', { columns: [{ name: 'n' }], rows: [] }],
      ['/api/ai/recommend', { columns: [{ name: 'n' }], rows: [] }],
    ] as const) {
      const res = await viewer('POST', path, body);
      expect(res.status, path).toBe(403);
      expect(res.json.code).toBe('ERR_FORBIDDEN');
    }
    const analyst = adminClient(server.app, (await addApiKey(server.services.store.db, server.services.defaultOrgId, 'analyst')).key);
    expect((await analyst('POST', '/api/ai/analyze', { columns: [{ name: 'n', type: 'number' }], rows: [[1]] })).status).toBe(200);
    expect((await api('POST', '/api/ai/analyze', { columns: [{ name: 'n' }], rows: [] }, )).status).toBe(200);
    expect((await adminClient(server.app, undefined)('POST', '/api/ai/analyze', { columns: [{ name: 'n' }], rows: [] })).status).toBe(401);
  });
});

describe.skipIf(!(await serviceAvailable('mysql')))('on MariaDB', () => {
  let fixture: OrdersFixture;
  let connectionId: string;

  beforeAll(async () => {
    fixture = await createMysqlOrders();
    const connection = await api('POST', '/api/connections', { name: 'mariadb-orders', type: 'mysql', url: fixture.readerUrl });
    connectionId = connection.json.id;
    const dataset = await api('POST', '/api/datasets', {
      name: 'shop_orders',
      label: 'Orders',
      connectionId,
      table: fixture.table,
      rowPolicy: 'tenant_id = {{tenant_id}}',
      columns: [
        { name: 'id', type: 'number', role: 'dimension' },
        { name: 'tenant_id', type: 'number', role: 'dimension' },
        { name: 'placed_at', label: 'Placed', type: 'datetime', role: 'time' },
        { name: 'status', type: 'string', role: 'dimension' },
        { name: 'amount', label: 'Amount', type: 'number', role: 'measure' },
      ],
    });
    expect(dataset.status).toBe(201);
  });

  afterAll(async () => {
    await fixture?.drop();
  });

  it('prompts for MySQL without the tenant column, and repairs SQL that names it', async () => {
    model.use((_request, index) =>
      index === 0
        ? sqlReply('select status, sum(amount) as amount from shop_orders where tenant_id = 2 group by status')
        : sqlReply('select status, sum(amount) as amount from shop_orders group by status order by status'),
    );
    const { status, json } = await api('POST', '/api/ai/generate-query', { question: 'amount by status', datasets: ['shop_orders'], params: { tenant_id: 1 } });
    expect(status).toBe(200);
    expect(json.engine).toBe('llm');
    expect(json.generatedSql).toBe('select status, sum(amount) as amount from shop_orders group by status order by status');
    const prompt = model.requests[0]?.messages[0]?.content ?? '';
    expect(prompt).toContain('MySQL/MariaDB');
    expect(prompt).toContain('CREATE TABLE shop_orders');
    expect(prompt).toContain("'paid'");
    expect(prompt).not.toContain('tenant_id');
    expect(model.requests[1]?.messages.at(-1)?.content).toContain('ERR_SQL_NOT_ALLOWED');
    // Run as the admin would: the rows are tenant 1's only.
    const run = await api('POST', '/api/queries/execute', { connectionId, sql: json.generatedSql, params: { tenant_id: 1 } });
    const truth = await fixture.direct<{ status: string; amount: string }>(`select status, sum(amount) as amount from ${fixture.table} where tenant_id = 1 group by status order by status`);
    expect(run.json.rows.map((r: unknown[]) => r[0])).toEqual(truth.map((t) => t.status));
    run.json.rows.forEach((r: unknown[], i: number) => expect(r[1]).toBeCloseTo(Number(truth[i]?.amount), 2));
  });

  it('verifies SQL on MariaDB: estimates the rows examined with EXPLAIN, refuses SLEEP', async () => {
    const ok = await api('POST', '/api/ai/verify', { sql: 'select status, count(*) as n from shop_orders group by status', params: { tenant_id: 2 }, connectionId });
    expect(ok.json).toMatchObject({ isValid: true, errors: [] });
    expect(ok.json.estimatedRows).toBeGreaterThan(0);
    const inferred = await api('POST', '/api/ai/verify', { sql: 'select id from shop_orders', params: { tenant_id: 2 } });
    expect(inferred.json).toMatchObject({ isValid: true });
    // Rows examined, an estimate from the server's statistics: positive for a table with rows.
    expect(inferred.json.estimatedRows).toEqual(expect.any(Number));
    expect(inferred.json.estimatedRows).toBeGreaterThan(0);
    const unknown = await api('POST', '/api/ai/verify', { sql: 'select nope from shop_orders', params: { tenant_id: 2 } });
    expect(unknown.json.isValid).toBe(false);
    expect(unknown.json.errors[0].code).toBe('ERR_QUERY_FAILED');
    const sleep = await api('POST', '/api/ai/verify', { sql: 'select sleep(5) from shop_orders', params: { tenant_id: 2 } });
    expect(sleep.json.isValid).toBe(false);
    expect(sleep.json.errors[0].code).toBe('ERR_SQL_FUNCTION_NOT_ALLOWED');
  });
});
