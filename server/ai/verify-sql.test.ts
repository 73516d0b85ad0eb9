/**
 * verifySql against the real PostgreSQL and MariaDB: the row estimate comes
 * from the connector's EXPLAIN of the guard's regenerated SQL, and SQL the
 * guard refuses never reaches the database. The connectors are the real ones,
 * wrapped only to record what they were asked to explain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector } from '../connectors/connector.ts';
import { adminClient, TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { createMysqlOrders, createPostgresOrders, type OrdersFixture } from '../testing/orders-fixture.ts';
import { serviceAvailable } from '../testing/services.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';
import { verifySql, type VerifyDeps } from './verify-sql.ts';

const available = (await serviceAvailable('postgres')) && (await serviceAvailable('mysql'));

const COLUMNS = [
  { name: 'id', type: 'number', role: 'dimension' },
  { name: 'tenant_id', type: 'number', role: 'dimension' },
  { name: 'placed_at', type: 'datetime', role: 'time' },
  { name: 'status', type: 'string', role: 'dimension' },
  { name: 'amount', type: 'number', role: 'measure' },
];

type Engine = 'postgres' | 'mysql';

describe.skipIf(!available)('verifySql on PostgreSQL and MariaDB', () => {
  let server: TestServer;
  const fixtures = {} as Record<Engine, OrdersFixture>;
  const connectionIds = {} as Record<Engine, string>;
  /** What the connectors were asked to explain, in order. */
  const explained: Array<{ sql: string; params: readonly unknown[] }> = [];

  /** The real registry, with each connector's explain recorded, or taken away. */
  const deps = (options: { explain: boolean }): VerifyDeps => ({
    datasets: server.services.datasets,
    engine: server.services.engine,
    rowCap: () => 1000,
    connections: {
      async get(orgId, connectionId) {
        const real = await server.services.connections.get(orgId, connectionId);
        const explain: Connector['explain'] = options.explain && real.explain
          ? (sql, params, opts) => {
            explained.push({ sql, params });
            return real.explain!(sql, params, opts);
          }
          : undefined;
        // The registry hands out connectors whose methods may live on the prototype: keep it.
        return Object.create(real, { explain: { value: explain } }) as Connector;
      },
    },
  });

  const verify = (engine: Engine, sql: string, params?: Record<string, unknown>, options = { explain: true }) =>
    verifySql(deps(options), { orgId: server.services.defaultOrgId, sql, params, connectionId: connectionIds[engine] });

  beforeAll(async () => {
    [server, fixtures.postgres, fixtures.mysql] = await Promise.all([createTestServer(), createPostgresOrders(), createMysqlOrders()]);
    const api = adminClient(server.app, TEST_ADMIN_KEY);
    for (const engine of ['postgres', 'mysql'] as const) {
      const connection = await api('POST', '/api/connections', { name: `verify-${engine}`, type: engine, url: fixtures[engine].readerUrl });
      expect(connection.status).toBe(201);
      connectionIds[engine] = connection.json.id;
      const dataset = await api('POST', '/api/datasets', {
        name: `verify_orders_${engine}`,
        label: 'Orders',
        connectionId: connection.json.id,
        table: fixtures[engine].table,
        columns: COLUMNS,
        rowPolicy: 'tenant_id = {{tenant_id}}',
      });
      expect(dataset.status).toBe(201);
    }
  });

  afterAll(async () => {
    await server?.close();
    await Promise.all(Object.values(fixtures).map((f) => f.drop()));
  });

  it.each(['postgres', 'mysql'] as const)('estimates rows on %s by explaining the regenerated SQL, never the text as sent', async (engine) => {
    explained.length = 0;
    const sql = `select status, count(*) as n from verify_orders_${engine} group by status`;
    const result = await verify(engine, sql, { tenant_id: 2 });
    expect(result).toMatchObject({ isValid: true, errors: [] });
    expect(result.estimatedRows).toEqual(expect.any(Number));
    expect(result.estimatedRows).toBeGreaterThan(0);

    expect(explained).toHaveLength(1);
    const [call] = explained;
    expect(call?.sql).not.toBe(sql);
    // The dataset name became its policy subquery over the real table, with the tenant bound, not spliced.
    expect(call?.sql).toContain(fixtures[engine].table);
    expect(call?.sql).not.toMatch(new RegExp(`\\bverify_orders_${engine}\\b(?!["\`])`));
    expect(call?.sql).toContain(engine === 'postgres' ? '$1' : '?');
    expect(call?.params).toEqual([2]);
  });

  it.each(['postgres', 'mysql'] as const)('asks the database nothing on %s for SQL the guard refuses', async (engine) => {
    explained.length = 0;
    const refused = [
      `delete from verify_orders_${engine}`,
      `select * from verify_orders_${engine}; delete from verify_orders_${engine}`,
      `select * from ${fixtures[engine].table}`,
      `select ${engine === 'postgres' ? 'pg_sleep(5)' : 'sleep(5)'} from verify_orders_${engine}`,
      `select * from verify_orders_${engine} for update`,
      `select * into stolen from verify_orders_${engine}`,
    ];
    for (const sql of refused) {
      const result = await verify(engine, sql, { tenant_id: 1 });
      expect(result.isValid, sql).toBe(false);
      expect(result.errors[0]?.code, sql).toMatch(/^ERR_SQL_/);
    }
    expect(explained).toEqual([]);
    const [count] = await fixtures[engine].direct<{ n: number | string }>(`select count(*) as n from ${fixtures[engine].table}`);
    expect(Number(count?.n)).toBe(40);
  });

  it.each(['postgres', 'mysql'] as const)('reports SQL the database cannot plan on %s as invalid', async (engine) => {
    const result = await verify(engine, `select nope from verify_orders_${engine}`, { tenant_id: 1 });
    expect(result.isValid).toBe(false);
    expect(result.errors[0]?.code).toBe('ERR_QUERY_FAILED');
  });

  it('counts instead on a connector that cannot explain', async () => {
    explained.length = 0;
    const result = await verify('postgres', 'select id from verify_orders_postgres where status = \'paid\'', { tenant_id: 1 }, { explain: false });
    const [truth] = await fixtures.postgres.direct<{ n: number }>(`select count(*)::int as n from ${fixtures.postgres.table} where tenant_id = 1 and status = 'paid'`);
    expect(result).toMatchObject({ isValid: true, estimatedRows: truth?.n, errors: [] });
    expect(explained).toEqual([]);
  });

  it('plans nothing without the policy params', async () => {
    explained.length = 0;
    const result = await verify('mysql', 'select id from verify_orders_mysql limit 5');
    expect(result).toMatchObject({ isValid: true, estimatedRows: null });
    expect(result.warnings.join(' ')).toContain('tenant_id');
    expect(explained).toEqual([]);
  });
});
