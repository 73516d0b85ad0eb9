import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONNECTION_ID } from '../../demo-content/provision-demo.ts';
import { adminClient, addApiKey, createOrg, TEST_ADMIN_KEY, TEST_ADMIN_KEY_ID, type AdminResponse } from '../../testing/admin-fixtures.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

let server: TestServer;
let api: ReturnType<typeof adminClient>;

/** The truth, straight from the demo warehouse with plain SQL, bypassing the engine, the guard and the policy. */
async function warehouse(sql: string, params: unknown[] = []) {
  const connector = await server.services.connections.get(server.services.defaultOrgId, DEMO_CONNECTION_ID);
  return (await connector.execute(sql, params, { timeoutMs: 10_000, maxRows: 10_000 })).rows;
}

const REVENUE_BY_REGION = {
  kind: 'structured',
  query: {
    dataset: 'sales',
    dimensions: [{ column: 'region' }],
    measures: [{ agg: 'sum', column: 'revenue', as: 'revenue' }, { agg: 'count', as: 'lines' }],
    sort: [{ field: 'region', direction: 'asc' }],
  },
} as const;

const TENTS_SQL = 'select region, sum(revenue) as revenue from sales where category = {{category}} group by region order by region';

const structured = (name: string, extra: Record<string, unknown> = {}) => ({ name, ...REVENUE_BY_REGION, ...extra });
const sqlQuery = (name: string, sql: string, extra: Record<string, unknown> = {}) => ({ name, kind: 'sql', connectionId: DEMO_CONNECTION_ID, sql, ...extra });

beforeAll(async () => {
  server = await createTestServer();
  api = adminClient(server.app, TEST_ADMIN_KEY);
});

afterAll(async () => {
  await server?.close();
});

describe('/api/saved-queries CRUD', () => {
  it('creates, reads, lists, replaces and deletes a saved query', async () => {
    const created = await api('POST', '/api/saved-queries', structured('Revenue by region', { description: 'Per region', cacheTtlSeconds: 60 }));
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: expect.stringMatching(/^sq_/),
      name: 'Revenue by region',
      description: 'Per region',
      kind: 'structured',
      // Stored as zod gave it back: defaults filled in.
      query: { ...REVENUE_BY_REGION.query, filters: [] },
      cacheTtlSeconds: 60,
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const { id } = created.json;

    const one = await api('GET', `/api/saved-queries/${id}`);
    expect(one.status).toBe(200);
    expect(one.json).toEqual(created.json);
    expect(one.contentType).toContain('application/json');

    const list = await api('GET', '/api/saved-queries');
    expect(list.status).toBe(200);
    expect(list.json.items).toContainEqual(created.json);

    // PUT replaces the whole definition, the kind included.
    const replaced = await api('PUT', `/api/saved-queries/${id}`, sqlQuery('Tents by region', TENTS_SQL));
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ id, name: 'Tents by region', description: null, kind: 'sql', connectionId: DEMO_CONNECTION_ID, sql: TENTS_SQL, cacheTtlSeconds: null, version: 2, createdAt: created.json.createdAt });
    expect(replaced.json).not.toHaveProperty('query');
    expect(Date.parse(replaced.json.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.json.updatedAt));
    expect((await api('GET', `/api/saved-queries/${id}`)).json).toEqual(replaced.json);

    const removed = await api('DELETE', `/api/saved-queries/${id}`);
    expect(removed.status).toBe(204);
    for (const [method, path] of [['GET', `/api/saved-queries/${id}`], ['DELETE', `/api/saved-queries/${id}`], ['POST', `/api/saved-queries/${id}/run`]] as const) {
      const gone = await api(method, path);
      expect(gone.status, `${method} ${path}`).toBe(404);
      expect(gone.json.code).toBe('ERR_SAVED_QUERY_NOT_FOUND');
    }
    const missing = await api('PUT', `/api/saved-queries/${id}`, structured('Again'));
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('ERR_SAVED_QUERY_NOT_FOUND');
  });

  it('refuses a second saved query of the same name (409), on create and on rename', async () => {
    const first = await api('POST', '/api/saved-queries', structured('Duplicate me'));
    expect(first.status).toBe(201);
    const again = await api('POST', '/api/saved-queries', sqlQuery('Duplicate me', 'select count(*) as n from sales'));
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'ERR_CONFLICT', name: 'Duplicate me' });

    const other = await api('POST', '/api/saved-queries', structured('Not a duplicate'));
    const renamed = await api('PUT', `/api/saved-queries/${other.json.id}`, structured('Duplicate me'));
    expect(renamed.status).toBe(409);
    expect(renamed.json.code).toBe('ERR_CONFLICT');
    // Saving under its own name is no conflict.
    expect((await api('PUT', `/api/saved-queries/${other.json.id}`, structured('Not a duplicate', { description: 'kept' }))).status).toBe(200);
  });

  it.each([
    ['no name', { ...REVENUE_BY_REGION }, 'name'],
    ['a blank name', structured('   '), 'name'],
    ['an unknown kind', { name: 'x', kind: 'python', code: 'print(1)' }, 'kind'],
    ['a dataset name that is not an identifier', structured('x', { query: { dataset: 'sales; drop table x' } }), 'query.dataset'],
    ['an unknown aggregate', structured('x', { query: { dataset: 'sales', measures: [{ agg: 'median', column: 'revenue' }] } }), 'query.measures.0.agg'],
    ['SQL without a connection', { name: 'x', kind: 'sql', sql: 'select 1 from sales' }, 'connectionId'],
    ['SQL members on a structured query', structured('x', { sql: 'select 1' }), ''],
    ['a negative cache TTL', structured('x', { cacheTtlSeconds: -1 }), 'cacheTtlSeconds'],
  ])('refuses %s (400 ERR_VALIDATION)', async (_, body, path) => {
    const res = await api('POST', '/api/saved-queries', body);
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('ERR_VALIDATION');
    expect(res.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  });

  it('refuses a structured query over an unknown dataset or column, and SQL on an unknown connection', async () => {
    const noDataset = await api('POST', '/api/saved-queries', structured('x', { query: { dataset: 'nope' } }));
    expect(noDataset.status).toBe(404);
    expect(noDataset.json.code).toBe('ERR_DATASET_NOT_FOUND');
    const noColumn = await api('POST', '/api/saved-queries', structured('x', { query: { dataset: 'sales', dimensions: [{ column: 'tenant_id' }] } }));
    expect(noColumn.status).toBe(400);
    expect(noColumn.json).toMatchObject({ code: 'ERR_COLUMN_UNKNOWN', column: 'tenant_id' });
    const noConnection = await api('POST', '/api/saved-queries', { ...sqlQuery('x', 'select 1 from sales'), connectionId: 'conn_nope' });
    expect(noConnection.status).toBe(404);
    expect(noConnection.json.code).toBe('ERR_CONNECTION_NOT_FOUND');
    expect((await api('GET', '/api/saved-queries?search=x')).json.items.filter((i: { name: string }) => i.name === 'x')).toEqual([]);
  });

  it.each([
    ['a table that is not a dataset', 'select * from sales_facts', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['a join to a table that is not a dataset', 'select s.region from sales s join tenants t on t.id = 1', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['a function off the allowlist', 'select pg_sleep(1) from sales', 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['a stacked statement', 'select 1 from sales; delete from sales', 'ERR_SQL_NOT_ALLOWED'],
    ['a write', 'delete from sales', 'ERR_SQL_NOT_ALLOWED'],
    ['text that does not parse', 'select from where', 'ERR_SQL_PARSE'],
    ['a column the dataset does not declare', 'select tenant_id, count(*) as n from sales group by tenant_id', 'ERR_SQL_NOT_ALLOWED'],
  ])('refuses to save SQL with %s, without running it', async (_, sql, code) => {
    const name = `refused ${code} ${sql.length}`;
    const res = await api('POST', '/api/saved-queries', sqlQuery(name, sql));
    expect(res.status).toBe(400);
    expect(res.json.code).toBe(code);

    // Nor can a saved query be changed into it.
    const saved = await api('POST', '/api/saved-queries', sqlQuery(`${name} (fine)`, 'select count(*) as n from sales'));
    expect(saved.status).toBe(201);
    const update = await api('PUT', `/api/saved-queries/${saved.json.id}`, sqlQuery(`${name} (fine)`, sql));
    expect(update.status).toBe(400);
    expect(update.json.code).toBe(code);
    expect((await api('GET', `/api/saved-queries/${saved.json.id}`)).json.sql).toBe('select count(*) as n from sales');
  });
});

describe('GET /api/saved-queries search and paging', () => {
  beforeAll(async () => {
    for (const name of ['Paging a', 'Paging B', 'paging c', 'Paging d', 'Paging e', 'Paging 100%', 'Paging_x']) {
      expect((await api('POST', '/api/saved-queries', structured(name))).status).toBe(201);
    }
  });

  it('finds by name, ignoring case, with % and _ matched literally', async () => {
    const all = await api('GET', '/api/saved-queries?search=PAGING');
    expect(all.json.items.map((i: { name: string }) => i.name).sort()).toEqual(['Paging 100%', 'Paging B', 'Paging a', 'Paging d', 'Paging e', 'Paging_x', 'paging c'].sort());
    expect((await api('GET', `/api/saved-queries?search=${encodeURIComponent('100%')}`)).json.items.map((i: { name: string }) => i.name)).toEqual(['Paging 100%']);
    expect((await api('GET', '/api/saved-queries?search=g_x')).json.items.map((i: { name: string }) => i.name)).toEqual(['Paging_x']);
    expect((await api('GET', '/api/saved-queries?search=no%20such%20query')).json).toEqual({ items: [], nextCursor: null });
  });

  it('pages through every match once, in name order', async () => {
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: AdminResponse = await api('GET', `/api/saved-queries?search=paging&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.json.items.length).toBeLessThanOrEqual(2);
      names.push(...res.json.items.map((i: { name: string }) => i.name));
      cursor = res.json.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(names).toHaveLength(7);
    expect(new Set(names).size).toBe(7);
    const whole = (await api('GET', '/api/saved-queries?search=paging&limit=200')).json.items.map((i: { name: string }) => i.name);
    expect(names).toEqual(whole);
  });

  it('validates its query string', async () => {
    for (const qs of ['limit=0', 'limit=201', 'limit=abc', 'cursor=bogus', 'search=', 'extra=1']) {
      const res = await api('GET', `/api/saved-queries?${qs}`);
      expect(res.status, qs).toBe(400);
      expect(res.json.code).toBe('ERR_VALIDATION');
    }
  });
});

describe('POST /api/saved-queries/:id/run', () => {
  let structuredId: string;
  let sqlId: string;

  beforeAll(async () => {
    structuredId = (await api('POST', '/api/saved-queries', structured('Run: revenue by region'))).json.id;
    sqlId = (await api('POST', '/api/saved-queries', sqlQuery('Run: tents by region', TENTS_SQL))).json.id;
  });

  it('runs a structured saved query confined to each tenant, as direct SQL computes it', async () => {
    const results: unknown[] = [];
    for (const tenant of [1, 2]) {
      const res = await api('POST', `/api/saved-queries/${structuredId}/run`, { params: { tenant_id: tenant } });
      expect(res.status).toBe(200);
      expect(res.contentType).toContain('application/json');
      expect(Object.keys(res.json).sort()).toEqual(['cacheAgeMs', 'columns', 'executionMs', 'fromCache', 'rowCount', 'rows', 'truncated']);
      expect(res.json.columns.map((c: { name: string }) => c.name)).toEqual(['region', 'revenue', 'lines']);
      const truth = await warehouse('select region, sum(revenue) as revenue, count(*)::int as lines from sales_facts where tenant_id = $1 group by region order by region', [tenant]);
      expect(truth.length).toBeGreaterThan(1);
      expect(res.json.rows).toEqual(truth);
      expect(res.json.rowCount).toBe(truth.length);
      results.push(res.json.rows);
    }
    expect(results[0]).not.toEqual(results[1]);
  });

  it('runs a SQL saved query with its {{param}} and the row policy, as direct SQL computes it', async () => {
    const res = await api('POST', `/api/saved-queries/${sqlId}/run`, { params: { tenant_id: 1, category: 'Tents' } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['cacheAgeMs', 'columns', 'executionMs', 'fromCache', 'rowCount', 'rows', 'truncated']);
    expect(res.json.columns.map((c: { name: string }) => c.name)).toEqual(['region', 'revenue']);
    const truth = await warehouse(`select region, sum(revenue) as revenue from sales_facts where tenant_id = $1 and category = $2 group by region order by region`, [1, 'Tents']);
    expect(truth.length).toBeGreaterThan(1);
    expect(res.json.rows).toEqual(truth);

    // Tenant 2 sells books: the same query over its rows finds no tents.
    const other = await api('POST', `/api/saved-queries/${sqlId}/run`, { params: { tenant_id: 2, category: 'Tents' } });
    expect(other.json.rows).toEqual([]);

    const again = await api('POST', `/api/saved-queries/${sqlId}/run`, { params: { tenant_id: 1, category: 'Tents' } });
    expect(again.json.fromCache).toBe(true);
    expect(again.json.rows).toEqual(truth);
  });

  it('denies a run without a row policy parameter or a {{param}} value (403, fail closed)', async () => {
    for (const [id, params] of [[structuredId, {}], [sqlId, { category: 'Tents' }], [sqlId, { tenant_id: 1 }]] as const) {
      const res = await api('POST', `/api/saved-queries/${id}/run`, { params });
      expect(res.status, JSON.stringify(params)).toBe(403);
      expect(res.json.code).toBe('ERR_POLICY_PARAM_MISSING');
    }
  });

  it('validates the run body', async () => {
    for (const body of [{ params: { 'bad name': 1 } }, { params: { tenant_id: { nested: 1 } } }, { params: {}, sql: 'select 1' }, '{not json']) {
      const res = await api('POST', `/api/saved-queries/${sqlId}/run`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.code).toBe('ERR_VALIDATION');
    }
  });

  it('records the runs in the query history, with the caller and the dataset', async () => {
    await server.services.history.flush();
    const res = await api('GET', '/api/queries/history?limit=200');
    expect(res.status).toBe(200);
    const runs = res.json.items.filter((i: { datasetName: string }) => i.datasetName === 'sales');
    expect(runs).toContainEqual(
      expect.objectContaining({ actor: { type: 'api_key', id: TEST_ADMIN_KEY_ID }, connectionId: DEMO_CONNECTION_ID, status: 'ok', rowCount: expect.any(Number), errorCode: null }),
    );
    expect(runs).toContainEqual(expect.objectContaining({ status: 'ok', fromCache: true }));
    expect(runs).toContainEqual(expect.objectContaining({ status: 'error', errorCode: 'ERR_POLICY_PARAM_MISSING' }));
    // SQL refused at save time never reached the engine (which would have recorded the refusal).
    expect(res.json.items.filter((i: { errorCode: string | null }) => i.errorCode?.startsWith('ERR_SQL'))).toEqual([]);
  });
});

describe('another organisation', () => {
  it('cannot read, change, run or delete a saved query, nor save one over our datasets', async () => {
    const ours = await api('POST', '/api/saved-queries', sqlQuery('Ours only', TENTS_SQL));
    expect(ours.status).toBe(201);
    const other = await createOrg(server.services.store.db);
    const theirs = adminClient(server.app, other.key);

    for (const [method, path, body] of [
      ['GET', `/api/saved-queries/${ours.json.id}`, undefined],
      ['PUT', `/api/saved-queries/${ours.json.id}`, structured('Taken over')],
      ['POST', `/api/saved-queries/${ours.json.id}/run`, { params: { tenant_id: 1, category: 'Tents' } }],
      ['DELETE', `/api/saved-queries/${ours.json.id}`, undefined],
    ] as const) {
      const res = await theirs(method, path, body);
      expect(res.status, method).toBe(404);
      expect(res.json.code).toBe('ERR_SAVED_QUERY_NOT_FOUND');
      expect(res.text).not.toContain('Ours only');
    }
    expect((await theirs('GET', '/api/saved-queries')).json).toEqual({ items: [], nextCursor: null });
    expect((await api('GET', `/api/saved-queries/${ours.json.id}`)).json).toEqual(ours.json);

    const onOurConnection = await theirs('POST', '/api/saved-queries', sqlQuery('Sneaky', 'select count(*) from sales'));
    expect(onOurConnection.status).toBe(404);
    expect(onOurConnection.json.code).toBe('ERR_CONNECTION_NOT_FOUND');
    const onOurDataset = await theirs('POST', '/api/saved-queries', structured('Sneaky'));
    expect(onOurDataset.status).toBe(404);
    expect(onOurDataset.json.code).toBe('ERR_DATASET_NOT_FOUND');

    // Names are unique per organisation: the same name is free in another one.
    const sameName = await server.services.savedQueries.create(other.orgId, { name: 'Ours only', kind: 'structured', query: { dataset: 'theirs', dimensions: [], measures: [], filters: [], sort: [] } });
    expect((await theirs('GET', `/api/saved-queries/${sameName.id}`)).json).toMatchObject({ name: 'Ours only', query: { dataset: 'theirs' } });
  });
});

describe('permissions', () => {
  it('lets a viewer read saved queries only, and an analyst run them but not change them', async () => {
    const saved = await api('POST', '/api/saved-queries', structured('Permissions'));
    const orgId = server.services.defaultOrgId;
    const viewer = adminClient(server.app, (await addApiKey(server.services.store.db, orgId, 'viewer')).key);
    const analyst = adminClient(server.app, (await addApiKey(server.services.store.db, orgId, 'analyst')).key);

    expect((await viewer('GET', '/api/saved-queries')).status).toBe(200);
    expect((await viewer('GET', `/api/saved-queries/${saved.json.id}`)).status).toBe(200);
    const viewerRun = await viewer('POST', `/api/saved-queries/${saved.json.id}/run`, { params: { tenant_id: 1 } });
    expect(viewerRun.status).toBe(403);
    expect(viewerRun.json).toMatchObject({ code: 'ERR_FORBIDDEN', permission: 'db:query' });

    expect((await analyst('POST', `/api/saved-queries/${saved.json.id}/run`, { params: { tenant_id: 1 } })).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', '/api/saved-queries', structured('By an analyst')],
      ['PUT', `/api/saved-queries/${saved.json.id}`, structured('By an analyst')],
      ['DELETE', `/api/saved-queries/${saved.json.id}`, undefined],
    ] as const) {
      const res = await analyst(method, path, body);
      expect(res.status, method).toBe(403);
      expect(res.json).toMatchObject({ code: 'ERR_FORBIDDEN', permission: 'datasource:write' });
    }

    const anonymous = await adminClient(server.app, undefined)('GET', '/api/saved-queries');
    expect(anonymous.status).toBe(401);
  });
});
