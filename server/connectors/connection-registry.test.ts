/**
 * Live connectors belong to the organisation that owns their connection. Once
 * organisation A has warmed a connector (its pool is open), organisation B
 * naming the same connection id, directly or through a dataset row that points
 * at it, still gets ERR_CONNECTION_NOT_FOUND, exactly as for a cold one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONNECTION_ID } from '../demo-content/provision-demo.ts';
import { adminClient, createOrg, TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { createPostgresOrders, type OrdersFixture } from '../testing/orders-fixture.ts';
import { serviceAvailable } from '../testing/services.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';

const postgres = await serviceAvailable('postgres');

describe.skipIf(!postgres)('connection registry across organisations', () => {
  let server: TestServer;
  let fixture: OrdersFixture;
  let a: ReturnType<typeof adminClient>;
  let b: ReturnType<typeof adminClient>;
  let orgB: string;
  let connectionId: string;

  beforeAll(async () => {
    [server, fixture] = await Promise.all([createTestServer(), createPostgresOrders()]);
    a = adminClient(server.app, TEST_ADMIN_KEY);
    const other = await createOrg(server.services.store.db, 'registry-b');
    b = adminClient(server.app, other.key);
    orgB = other.orgId;
    const connection = await a('POST', '/api/connections', { name: 'a-orders', type: 'postgres', url: fixture.readerUrl });
    expect(connection.status).toBe(201);
    connectionId = connection.json.id;
    const dataset = await a('POST', '/api/datasets', {
      name: 'a_orders',
      label: 'Orders',
      connectionId,
      table: fixture.table,
      rowPolicy: 'tenant_id = {{tenant_id}}',
      columns: [
        { name: 'tenant_id', type: 'number', role: 'dimension' },
        { name: 'amount', type: 'number', role: 'measure' },
      ],
    });
    expect(dataset.status).toBe(201);
  });

  afterAll(async () => {
    await server?.close();
    await fixture?.drop();
  });

  /** A's own query, which opens (warms) the connector. */
  async function warm() {
    const res = await a('POST', '/api/queries/execute', { connectionId, sql: 'select count(*) as n from a_orders', params: { tenant_id: 1 } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    return res.json.rows as unknown[][];
  }

  it('answers ERR_CONNECTION_NOT_FOUND to another organisation on /api/queries/execute after the owner warmed it', async () => {
    const rows = await warm();
    const foreign = await b('POST', '/api/queries/execute', { connectionId, sql: 'select 1 as one', params: {} });
    expect(foreign.status).toBe(404);
    expect(foreign.json.code).toBe('ERR_CONNECTION_NOT_FOUND');
    // The owner's warm connector is untouched by the refused attempt.
    expect(await warm()).toEqual(rows);
  });

  it('answers ERR_CONNECTION_NOT_FOUND for a dataset of another organisation that points at the warm connection', async () => {
    await warm();
    // The API refuses such a dataset; a row written past it (an import, an old bug) must still lead nowhere.
    expect((await b('POST', '/api/datasets', { name: 'b_orders', label: 'B', connectionId, table: fixture.table, columns: [{ name: 'amount', type: 'number', role: 'measure' }] })).json.code).toBe(
      'ERR_CONNECTION_NOT_FOUND',
    );
    await server.services.datasets.create(orgB, { name: 'b_orders', label: 'B', connectionId, table: fixture.table, columns: [{ name: 'amount', type: 'number', role: 'measure' }] });
    const run = await b('POST', '/api/queries/run', { query: { dataset: 'b_orders', dimensions: [], measures: [{ agg: 'sum', column: 'amount', as: 'total' }] }, params: {} });
    expect(run.status).toBe(404);
    expect(run.json.code).toBe('ERR_CONNECTION_NOT_FOUND');
  });

  it('keeps the attached demo warehouse to its organisation', async () => {
    expect((await a('POST', '/api/queries/execute', { connectionId: DEMO_CONNECTION_ID, sql: 'select 1 as one', params: {} })).status).toBe(200);
    const foreign = await b('POST', '/api/queries/execute', { connectionId: DEMO_CONNECTION_ID, sql: 'select 1 as one', params: {} });
    expect(foreign.status).toBe(404);
    expect(foreign.json.code).toBe('ERR_CONNECTION_NOT_FOUND');
  });
});
