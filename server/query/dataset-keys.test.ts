/**
 * SQL grouped by a dataset's key, end to end: the demo warehouse's `orders`
 * table has the primary key id, so over the table itself PostgreSQL accepts
 * `group by o.id` with other columns of o selected. Through a dataset (a
 * policy subquery) it does once the connection's schema has been introspected,
 * and returns the rows of the same query over the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONNECTION_ID } from '../demo-content/provision-demo.ts';
import type { DatasetRow } from '../store/store-schema.ts';
import { adminClient, TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';
import { datasetKeys, primaryKeys } from './dataset-keys.ts';

const column = (name: string, primaryKey = false) => ({ name, dataType: 'int', nullable: false, primaryKey });
const published = (...names: string[]) => ({ source_table: 'orders', columns: names.map((name) => ({ name, type: 'number', role: 'dimension' })) }) as unknown as DatasetRow;

describe('dataset keys', () => {
  const tables = primaryKeys({ tables: [{ name: 'Orders', columns: [column('id', true), column('status')] }, { name: 'lines', columns: [column('order_id', true), column('line', true)] }, { name: 'events', columns: [column('at')] }] });

  it('reads primary keys from an introspected schema', () => {
    expect([...tables]).toEqual([['orders', ['id']], ['lines', ['order_id', 'line']]]);
    expect(primaryKeys(undefined).size).toBe(0);
  });

  it('gives a dataset its table\'s key only when it publishes every key column', () => {
    expect(datasetKeys(published('id', 'status'), tables)).toEqual([['id']]);
    expect(datasetKeys(published('status'), tables)).toBeUndefined();
    expect(datasetKeys({ ...published('id'), source_table: null }, tables)).toBeUndefined();
    expect(datasetKeys({ ...published('at'), source_table: 'events' }, tables)).toBeUndefined();
  });
});

describe('SQL grouped by a dataset key', () => {
  let server: TestServer;
  let api: ReturnType<typeof adminClient>;
  const sql = 'select o.id, o.status, o.order_date, count(l.id) as lines from orders_by_key o join order_lines_by_key l on l.order_id = o.id group by o.id order by o.id limit 20';

  beforeAll(async () => {
    server = await createTestServer();
    api = adminClient(server.app, TEST_ADMIN_KEY);
    const columns = (names: string[]) => names.map((name) => ({ name, type: name.endsWith('date') ? 'date' : name === 'status' ? 'string' : 'number', role: 'dimension' }));
    for (const [name, table, names] of [['orders_by_key', 'orders', ['id', 'tenant_id', 'status', 'order_date']], ['order_lines_by_key', 'order_lines', ['id', 'order_id', 'tenant_id']]] as const) {
      const created = await api('POST', '/api/datasets', { name, label: name, connectionId: DEMO_CONNECTION_ID, table, rowPolicy: 'tenant_id = {{tenant_id}}', columns: columns([...names]) });
      expect(created.status).toBe(201);
    }
  });

  afterAll(() => server?.close());

  it('runs once the schema is known, with the rows of the same query over the tables', async () => {
    const before = await api('POST', '/api/queries/execute', { connectionId: DEMO_CONNECTION_ID, sql, params: { tenant_id: 1 } });
    // Without a known key nothing is added: the database's own error, as for a column that is not a key.
    expect(before.json.code).toBe('ERR_QUERY_FAILED');

    expect((await api('GET', `/api/connections/${DEMO_CONNECTION_ID}/schema?refresh=1`)).status).toBe(200);
    const after = await api('POST', '/api/queries/execute', { connectionId: DEMO_CONNECTION_ID, sql, params: { tenant_id: 1 } });
    expect(after.status).toBe(200);

    const connector = await server.services.connections.get(server.services.defaultOrgId, DEMO_CONNECTION_ID);
    const direct = await connector.execute(
      'select o.id, o.status, o.order_date, count(l.id) as lines from orders o join order_lines l on l.order_id = o.id and l.tenant_id = 1 where o.tenant_id = 1 group by o.id order by o.id limit 20',
      [],
      { timeoutMs: 10_000, maxRows: 100 },
    );
    expect(direct.rows.length).toBe(20);
    expect(after.json.rows).toEqual(direct.rows);
  });
});
