import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, addApiKey, createOrg, TEST_ADMIN_KEY, TEST_ADMIN_KEY_ID } from '../../testing/admin-fixtures.ts';
import { createMysqlOrders, createPostgresOrders, type OrdersFixture } from '../../testing/orders-fixture.ts';
import { serviceAvailable } from '../../testing/services.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

const available = (await serviceAvailable('postgres')) && (await serviceAvailable('mysql'));

type Engine = 'postgres' | 'mysql';

/** Orders per month of one tenant, by plain SQL on the database itself. */
const MONTHLY_SQL: Record<Engine, (table: string) => string> = {
  postgres: (t) =>
    `select to_char(date_trunc('month', placed_at), 'YYYY-MM-DD') as month, count(*)::int as orders, sum(amount)::text as revenue, max(amount)::text as largest
       from ${t} where tenant_id = $1 and status <> 'refunded' group by 1 order by 1`,
  mysql: (t) =>
    `select date_format(placed_at, '%Y-%m-01') as month, count(*) as orders, sum(amount) as revenue, max(amount) as largest
       from ${t} where tenant_id = ? and status <> 'refunded' group by 1 order by 1`,
};

describe.skipIf(!available)('/api/queries and /api/cache on PostgreSQL and MariaDB', () => {
  let server: TestServer;
  let api: ReturnType<typeof adminClient>;
  const engines = {} as Record<Engine, { fixture: OrdersFixture; connectionId: string; datasetId: string; name: string }>;

  const monthly = (type: Engine, tenant: number) => ({
    query: {
      dataset: engines[type].name,
      dimensions: [{ column: 'placed_at', grain: 'month', as: 'month' }],
      measures: [{ agg: 'count', as: 'orders' }, { agg: 'sum', column: 'amount', as: 'revenue' }, { agg: 'max', column: 'amount', as: 'largest' }],
      filters: [{ column: 'status', op: 'neq', value: 'refunded' }],
      sort: [{ field: 'month', direction: 'asc' }],
    },
    params: { tenant_id: tenant },
  });

  beforeAll(async () => {
    let pg: OrdersFixture;
    let my: OrdersFixture;
    [server, pg, my] = await Promise.all([createTestServer(), createPostgresOrders(), createMysqlOrders()]);
    api = adminClient(server.app, TEST_ADMIN_KEY);
    for (const [type, fixture] of [['postgres', pg], ['mysql', my]] as const) {
      const connection = await api('POST', '/api/connections', { name: `${type}-orders`, type, url: fixture.readerUrl });
      const dataset = await api('POST', '/api/datasets', {
        name: `orders_${type}`,
        label: 'Orders',
        connectionId: connection.json.id,
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
      engines[type] = { fixture, connectionId: connection.json.id, datasetId: dataset.json.id, name: `orders_${type}` };
    }
  });

  afterAll(async () => {
    await server?.close();
    await Promise.all(Object.values(engines).map((e) => e.fixture.drop()));
  });

  describe.each(['postgres', 'mysql'] as const)('POST /api/queries/run on %s', (type) => {
    it('returns monthly measures of the tenant, exactly as direct SQL computes them', async () => {
      for (const tenant of [1, 2]) {
        const res = await api('POST', '/api/queries/run', monthly(type, tenant));
        expect(res.status).toBe(200);
        expect(res.contentType).toContain('application/json');
        expect(Object.keys(res.json).sort()).toEqual(['cacheAgeMs', 'columns', 'executionMs', 'fromCache', 'rowCount', 'rows', 'truncated']);
        expect(res.json.columns).toEqual([
          { name: 'month', type: 'date', label: 'Placed' },
          { name: 'orders', type: 'number', label: 'Count', aggregate: 'count' },
          { name: 'revenue', type: 'number', label: 'Amount', aggregate: 'sum' },
          { name: 'largest', type: 'number', label: 'Amount', aggregate: 'max' },
        ]);
        const { fixture } = engines[type];
        const direct = await fixture.direct<{ month: string; orders: number | string; revenue: string; largest: string }>(MONTHLY_SQL[type](fixture.table), [tenant]);
        expect(direct).toHaveLength(4);
        expect(res.json.rows).toEqual(direct.map((r) => [r.month, Number(r.orders), Number(r.revenue), Number(r.largest)]));
        expect(res.json.rowCount).toBe(4);
        expect(res.json.truncated).toBe(false);
      }
    });

    it('serves a repeat from the cache until the dataset or connection cache is invalidated', async () => {
      const body = monthly(type, 1);
      await api('POST', '/api/queries/run', body);
      const hit = await api('POST', '/api/queries/run', body);
      expect(hit.json.fromCache).toBe(true);

      const byDataset = await api('POST', '/api/cache/invalidate', { datasetId: engines[type].datasetId });
      expect(byDataset.status).toBe(200);
      expect(byDataset.json).toEqual({ invalidated: [`dataset:${engines[type].datasetId}`] });
      const miss = await api('POST', '/api/queries/run', body);
      expect(miss.json.fromCache).toBe(false);
      expect(miss.json.rows).toEqual(hit.json.rows);
      expect((await api('POST', '/api/queries/run', body)).json.fromCache).toBe(true);

      const byConnection = await api('POST', '/api/cache/invalidate', { connectionId: engines[type].connectionId });
      expect(byConnection.json).toEqual({ invalidated: [`connection:${engines[type].connectionId}`] });
      expect((await api('POST', '/api/queries/run', body)).json.fromCache).toBe(false);
    });
  });

  it('denies a run without the policy parameter (403) and names an unknown column (400)', async () => {
    const missing = await api('POST', '/api/queries/run', { query: { dataset: 'orders_postgres' } });
    expect(missing.status).toBe(403);
    expect(missing.json.code).toBe('ERR_POLICY_PARAM_MISSING');
    const unknown = await api('POST', '/api/queries/run', { query: { dataset: 'orders_postgres', dimensions: [{ column: 'password' }] }, params: { tenant_id: 1 } });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ code: 'ERR_COLUMN_UNKNOWN', column: 'password' });
    // Nothing about the SQL or the table leaks into the problem.
    expect(unknown.text).not.toContain(engines.postgres.fixture.table);
    expect(unknown.text).not.toMatch(/select/i);
  });

  it.each([
    ['no query', { params: {} }, 'query'],
    ['a dataset name that is not an identifier', { query: { dataset: 'orders; drop table x' } }, 'query.dataset'],
    ['a limit of zero', { query: { dataset: 'orders_postgres', limit: 0 } }, 'query.limit'],
    ['an unknown member', { query: { dataset: 'orders_postgres' }, sql: 'select 1' }, ''],
  ])('refuses a run with %s (400 ERR_VALIDATION)', async (_, body, path) => {
    const res = await api('POST', '/api/queries/run', body);
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('ERR_VALIDATION');
    expect(res.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  });

  it('refuses to invalidate nothing, or another organisation\'s dataset', async () => {
    const empty = await api('POST', '/api/cache/invalidate', {});
    expect(empty.status).toBe(400);
    expect(empty.json.code).toBe('ERR_VALIDATION');
    const other = await createOrg(server.services.store.db);
    const res = await adminClient(server.app, other.key)('POST', '/api/cache/invalidate', { datasetId: engines.postgres.datasetId });
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('ERR_DATASET_NOT_FOUND');
  });

  describe('GET /api/queries/history', () => {
    it('lists the runs of the organisation newest first, with their actor, page by page', async () => {
      await server.services.history.flush();
      const first = await api('GET', '/api/queries/history?limit=3');
      expect(first.status).toBe(200);
      expect(first.json.items).toHaveLength(3);
      expect(first.json.nextCursor).toEqual(expect.any(String));

      const all: Array<Record<string, any>> = [...first.json.items];
      let cursor: string | null = first.json.nextCursor;
      while (cursor) {
        const page = await api('GET', `/api/queries/history?limit=3&cursor=${encodeURIComponent(cursor)}`);
        all.push(...page.json.items);
        cursor = page.json.nextCursor;
      }
      const times = all.map((i) => Date.parse(i.createdAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(new Set(all.map((i) => i.id)).size).toBe(all.length);

      const monthlyRuns = all.filter((i) => i.datasetName === 'orders_mysql' && i.status === 'ok');
      // Repeat cache hits within a flush window fold into one entry that counts them.
      expect(monthlyRuns.reduce((n, i) => n + i.runs, 0)).toBeGreaterThanOrEqual(6);
      expect(monthlyRuns[0]).toMatchObject({
        actor: { type: 'api_key', id: TEST_ADMIN_KEY_ID },
        connectionId: engines.mysql.connectionId,
        rowCount: 4,
        errorCode: null,
      });
      expect(monthlyRuns.some((i) => i.fromCache)).toBe(true);
      expect(monthlyRuns.some((i) => !i.fromCache)).toBe(true);
      expect(JSON.stringify(all)).not.toMatch(/select|password/i);
    });

    it('filters by status', async () => {
      const res = await api('GET', '/api/queries/history?status=error&limit=50');
      expect(res.json.items.length).toBeGreaterThanOrEqual(2);
      expect(res.json.items.every((i: { status: string }) => i.status === 'error')).toBe(true);
      expect(res.json.items.map((i: { errorCode: string }) => i.errorCode)).toEqual(expect.arrayContaining(['ERR_POLICY_PARAM_MISSING', 'ERR_COLUMN_UNKNOWN']));
    });

    it('shows another organisation nothing, and validates its query string', async () => {
      const other = await createOrg(server.services.store.db);
      const theirs = await adminClient(server.app, other.key)('GET', '/api/queries/history');
      expect(theirs.json).toEqual({ items: [], nextCursor: null });
      for (const qs of ['limit=0', 'limit=abc', 'status=maybe', 'cursor=bogus', 'extra=1']) {
        const res = await api('GET', `/api/queries/history?${qs}`);
        expect(res.status, qs).toBe(400);
        expect(res.json.code).toBe('ERR_VALIDATION');
      }
    });

    it('lets an analyst run queries but not read the organisation history', async () => {
      const analyst = adminClient(server.app, (await addApiKey(server.services.store.db, server.services.defaultOrgId, 'analyst')).key);
      expect((await analyst('POST', '/api/queries/run', monthly('postgres', 2))).status).toBe(200);
      const res = await analyst('GET', '/api/queries/history');
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ code: 'ERR_FORBIDDEN', permission: 'db:admin' });
    });
  });

  describe.each(['postgres', 'mysql'] as const)('POST /api/queries/execute on %s', (type) => {
    const execute = (sql: string, params: Record<string, unknown> = { tenant_id: 1 }) =>
      api('POST', '/api/queries/execute', { connectionId: engines[type].connectionId, sql, params });

    it('runs SQL over the dataset confined to the given tenant, as direct SQL computes it', async () => {
      const { fixture, name } = engines[type];
      for (const tenant of [1, 2]) {
        const res = await execute(`select status, count(*) as orders from ${name} where amount > {{min_amount}} or 1 = 1 group by status order by status`, { tenant_id: tenant, min_amount: 10 });
        expect(res.status).toBe(200);
        const placeholder = type === 'postgres' ? '$1' : '?';
        const direct = await fixture.direct<{ status: string; orders: number | string }>(
          `select status, count(*) as orders from ${fixture.table} where tenant_id = ${placeholder} group by status order by status`,
          [tenant],
        );
        expect(res.json.rows).toEqual(direct.map((r) => [r.status, Number(r.orders)]));
      }
    });

    it.each([
      ['the physical table', (t: string) => `select * from ${t}`, 'ERR_SQL_TABLE_NOT_ALLOWED'],
      ['a stacked statement', () => `select 1 from orders_x; delete from orders_x`, 'ERR_SQL_NOT_ALLOWED'],
      ['a function off the allowlist', (_t: string, n: string) => `select ${type === 'postgres' ? 'pg_sleep(1)' : 'sleep(1)'} from ${n}`, 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ])('refuses %s', async (_, sql, code) => {
      const res = await execute(sql(engines[type].fixture.table, engines[type].name));
      expect(res.status).toBe(400);
      expect(res.json.code).toBe(code);
    });

    it('denies SQL without the policy parameter (fail closed)', async () => {
      const res = await execute(`select count(*) from ${engines[type].name}`, {});
      expect(res.status).toBe(403);
      expect(res.json.code).toBe('ERR_POLICY_PARAM_MISSING');
    });
  });
});

