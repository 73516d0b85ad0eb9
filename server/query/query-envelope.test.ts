/**
 * The execution envelope seen from HTTP, on the real PostgreSQL: a viewer
 * who goes away cancels their running statement in the database, and a
 * statement past the timeout answers ERR_QUERY_TIMEOUT while the pool keeps serving.
 */
import { serve } from '@hono/node-server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { createPostgresOrders, type OrdersFixture } from '../testing/orders-fixture.ts';
import { POSTGRES_URL, serviceAvailable } from '../testing/services.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';

const COLUMNS = [
  { name: 'id', type: 'number', role: 'dimension' },
  { name: 'tenant_id', type: 'number', role: 'dimension' },
  { name: 'status', type: 'string', role: 'dimension' },
  { name: 'amount', type: 'number', role: 'measure' },
];

async function runningSleeps(marker: string): Promise<number> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where state = 'active' and query like $1 and pid <> pg_backend_pid()`,
      [`%${marker}%`],
    );
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

describe.skipIf(!(await serviceAvailable('postgres')))('execution envelope over HTTP (PostgreSQL)', () => {
  let server: TestServer;
  let fixture: OrdersFixture;
  let http: ReturnType<typeof serve>;
  let url: string;
  let connectionId: string;
  const marker = `envelope_${process.pid}`;

  beforeAll(async () => {
    [server, fixture] = await Promise.all([createTestServer({ statementTimeoutMs: 1500 }), createPostgresOrders()]);
    const api = adminClient(server.app, TEST_ADMIN_KEY);
    const connection = await api('POST', '/api/connections', { name: 'slow-pg', type: 'postgres', url: fixture.readerUrl });
    connectionId = connection.json.id;
    // A dataset no read of which can finish within a test: the database's view sleeps 30 s per row (the
    // SQL guard refuses pg_sleep in dataset SQL). Only a cancel or the 1.5 s statement timeout ends it,
    // however slow the machine.
    await fixture.direct(`CREATE VIEW ${marker} AS SELECT o.*, '${marker}' AS marker FROM ${fixture.table} o WHERE pg_sleep(30) IS NOT NULL`);
    await fixture.direct(`GRANT SELECT ON ${marker} TO ${fixture.reader.user}`);
    const dataset = await api('POST', '/api/datasets', {
      name: 'slow_orders',
      label: 'Slow orders',
      connectionId: connection.json.id,
      sql: `select * from ${marker}`,
      rowPolicy: 'tenant_id = {{tenant_id}}',
      columns: COLUMNS,
    });
    expect(dataset.status).toBe(201);
    http = await new Promise((resolve) => {
      const s = serve({ fetch: server.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const address = http.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => http?.close(() => resolve()));
    await server?.close();
    await fixture?.drop();
  });

  const run = (signal?: AbortSignal, status = 'paid') =>
    fetch(`${url}/api/queries/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: { dataset: 'slow_orders', measures: [{ agg: 'count', as: 'n' }], filters: [{ column: 'status', op: 'eq', value: status }] }, params: { tenant_id: 1 } }),
      ...(signal ? { signal } : {}),
    });

  it('cancels the statement in the database when the client goes away', async () => {
    const controller = new AbortController();
    const pending = run(controller.signal).catch((e: unknown) => e);
    await expect.poll(() => runningSleeps(marker), { timeout: 20_000, interval: 50 }).toBe(1);
    controller.abort();
    await pending;
    await expect.poll(() => runningSleeps(marker), { timeout: 20_000, interval: 50 }).toBe(0);
  });

  it('answers ERR_QUERY_TIMEOUT past the statement timeout, then serves again', async () => {
    const res = await run(undefined, 'shipped');
    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((await res.json()).code).toBe('ERR_QUERY_TIMEOUT');
    // The same connection's pool serves the next statement.
    const ok = await adminClient(server.app, TEST_ADMIN_KEY)('POST', '/api/queries/execute', { connectionId, sql: 'select 1 as one' });
    expect(ok.status).toBe(200);
    expect(ok.json.rows).toEqual([[1]]);
  });
});
