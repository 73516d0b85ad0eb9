/**
 * Dataset SQL is held to the same SQL guard as every other SQL text: a
 * developer key on a connection whose database role could read files, list
 * directories, read password hashes and settings, or write large objects
 * (the superuser of the test databases, the worst case a vendor can
 * configure) can save none of that, preview none of it, and write nothing.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionUrl } from '../../connectors/connection-url.ts';
import { addApiKey, adminClient } from '../../testing/admin-fixtures.ts';
import { MYSQL_URL, POSTGRES_URL, serviceAvailable } from '../../testing/services.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

const available = (await serviceAvailable('postgres')) && (await serviceAvailable('mysql'));

type Engine = 'postgres' | 'mysql';
const suffix = `${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
const SCHEMA = `sqlguard_${suffix}`;
const MY_TABLE = `sqlguard_orders_${suffix}`;

const COLUMNS = [
  { name: 'id', type: 'number', role: 'dimension' },
  { name: 'tenant_id', type: 'number', role: 'dimension' },
  { name: 'amount', type: 'number', role: 'measure' },
];

describe.skipIf(!available)('dataset SQL through the SQL guard, on PostgreSQL and MariaDB as superuser', () => {
  let server: TestServer;
  let api: ReturnType<typeof adminClient>;
  let owner: pg.Client;
  let my: mysql.Connection;
  const connectionIds = {} as Record<Engine, string>;
  const table: Record<Engine, string> = { postgres: `${SCHEMA}.orders`, mysql: MY_TABLE };

  beforeAll(async () => {
    const url = parseConnectionUrl(POSTGRES_URL);
    owner = new pg.Client({ host: url.host, port: url.port, database: url.database, user: url.user, password: url.password });
    await owner.connect();
    await owner.query(`CREATE SCHEMA ${SCHEMA}`);
    // `secret` is in the table but no dataset declares it.
    await owner.query(`CREATE TABLE ${SCHEMA}.orders (id int PRIMARY KEY, tenant_id int NOT NULL, amount numeric NOT NULL, secret text NOT NULL)`);
    await owner.query(`INSERT INTO ${SCHEMA}.orders SELECT g, 1 + g % 2, g * 10, 'secret-' || g FROM generate_series(1, 10) g`);
    const myUrl = parseConnectionUrl(MYSQL_URL);
    my = await mysql.createConnection({ host: myUrl.host, port: myUrl.port, database: myUrl.database, user: myUrl.user, ...(myUrl.password ? { password: myUrl.password } : {}) });
    await my.query(`CREATE TABLE ${MY_TABLE} (id int PRIMARY KEY, tenant_id int NOT NULL, amount decimal(10, 2) NOT NULL, secret varchar(40) NOT NULL)`);
    await my.query(`INSERT INTO ${MY_TABLE} VALUES (1, 2, 10, 'secret-1'), (2, 1, 20, 'secret-2'), (3, 2, 30, 'secret-3')`);

    server = await createTestServer();
    const { key } = await addApiKey(server.services.store.db, server.services.defaultOrgId, 'developer');
    api = adminClient(server.app, key);
    for (const [type, url] of [['postgres', POSTGRES_URL], ['mysql', MYSQL_URL]] as const) {
      const res = await api('POST', '/api/connections', { name: `sqlguard-${type}`, type, url });
      expect(res.status, type).toBe(201);
      connectionIds[type] = res.json.id;
    }
  });

  afterAll(async () => {
    await server?.close();
    await owner?.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await owner?.end();
    await my?.query(`DROP TABLE IF EXISTS ${MY_TABLE}`);
    await my?.end();
  });

  const largeObjects = async () => Number((await owner.query<{ n: string }>('SELECT count(*) AS n FROM pg_largeobject_metadata')).rows[0]?.n);

  const definition = (type: Engine, overrides: Record<string, unknown>) => ({
    name: `guarded_${type}`,
    label: 'Guarded',
    connectionId: connectionIds[type],
    sql: `select id, tenant_id, amount from ${table[type]}`,
    columns: COLUMNS,
    rowPolicy: 'tenant_id = {{tenant_id}}',
    ...overrides,
  });

  const names = async () => (await api('GET', '/api/datasets')).json.items.map((d: { name: string }) => d.name);

  it.each([
    ['postgres', 'pg_read_file', "select pg_read_file('/etc/hostname') as id, 1 as tenant_id, 1 as amount", 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['postgres', 'pg_ls_dir', "select 1 as id, 1 as tenant_id, 1 as amount, f from (select pg_ls_dir('.') as f) d", 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['postgres', 'pg_ls_dir in FROM', "select 1 as id, 1 as tenant_id, 1 as amount from pg_ls_dir('.') f", 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['postgres', 'pg_authid', 'select 1 as id, 1 as tenant_id, 1 as amount, rolname, rolpassword from pg_authid', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['postgres', 'pg_catalog.pg_authid', 'select 1 as id, 1 as tenant_id, 1 as amount from pg_catalog.pg_authid', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['postgres', 'pg_settings', 'select 1 as id, 1 as tenant_id, 1 as amount, name, setting from pg_settings', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['postgres', 'current_setting', "select id, tenant_id, amount, current_setting('data_directory') as dir from ORDERS", 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['postgres', 'lo_import', "select lo_import('/etc/hostname') as id, 1 as tenant_id, 1 as amount", 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['postgres', 'information_schema', 'select 1 as id, 1 as tenant_id, 1 as amount from information_schema.tables', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['postgres', 'pg_sleep', 'select id, tenant_id, amount from ORDERS where pg_sleep(1) is not null', 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['postgres', 'a regclass cast', "select 'pg_authid'::regclass::int as id, 1 as tenant_id, 1 as amount", 'ERR_SQL_NOT_ALLOWED'],
    ['mysql', 'load_file', "select load_file('/etc/hostname') as id, 1 as tenant_id, 1 as amount", 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
    ['mysql', 'mysql.user', 'select 1 as id, 1 as tenant_id, 1 as amount, user, password from mysql.user', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['mysql', 'information_schema', 'select 1 as id, 1 as tenant_id, 1 as amount from information_schema.processlist', 'ERR_SQL_TABLE_NOT_ALLOWED'],
    ['mysql', 'a server variable', 'select @@datadir as id, 1 as tenant_id, 1 as amount', 'ERR_SQL_NOT_ALLOWED'],
    ['mysql', 'sleep', 'select id, tenant_id, amount from ORDERS where sleep(1) = 0', 'ERR_SQL_FUNCTION_NOT_ALLOWED'],
  ] as const)('refuses on %s a dataset source calling %s, and writes nothing', async (type, _, sql, reason) => {
    const before = await largeObjects();
    const res = await api('POST', '/api/datasets', definition(type, { sql: sql.replace('ORDERS', table[type]) }));
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'ERR_VALIDATION', reason, errors: [expect.objectContaining({ path: 'sql' })] });
    expect(await names()).not.toContain(`guarded_${type}`);
    expect(await largeObjects()).toBe(before);
  });

  it('refuses to preview a stored dataset whose source the guard refuses, and no large object is written', async () => {
    // Stored directly, as a dataset saved before the guard covered dataset SQL would be.
    const row = await server.services.datasets.upsert(server.services.defaultOrgId, {
      name: 'stored_lo_import',
      label: 'Stored before the guard',
      connectionId: connectionIds.postgres,
      sql: `select lo_import('/etc/hostname') as id, tenant_id, amount from ${table.postgres}`,
      columns: COLUMNS as never,
      rowPolicy: 'tenant_id = {{tenant_id}}',
    });
    const before = await largeObjects();
    const preview = await api('POST', `/api/datasets/${row.id}/preview`, { params: { tenant_id: 1 } });
    expect(preview.status).toBe(400);
    expect(preview.json.code).toBe('ERR_SQL_FUNCTION_NOT_ALLOWED');
    const sql = await api('POST', '/api/queries/execute', { connectionId: connectionIds.postgres, sql: 'select count(*) from stored_lo_import', params: { tenant_id: 1 } });
    expect(sql.json.code).toBe('ERR_SQL_FUNCTION_NOT_ALLOWED');
    expect(await largeObjects()).toBe(before);
    await server.services.datasets.remove(server.services.defaultOrgId, row.id);
  });

  it.each([
    ['postgres', 'select id, tenant_id, amount from ORDERS where tenant_id = $1'],
    ['postgres', 'select id, tenant_id, amount from ORDERS where tenant_id = ?'],
    ['mysql', 'select id, tenant_id, amount from ORDERS where tenant_id = ?'],
  ] as const)('refuses on %s positional placeholders in dataset SQL at save time: %s', async (type, sql) => {
    const res = await api('POST', '/api/datasets', definition(type, { sql: sql.replace('ORDERS', table[type]) }));
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'ERR_VALIDATION', reason: 'ERR_SQL_NOT_ALLOWED', errors: [expect.objectContaining({ path: 'sql' })] });
  });

  it.each([
    ['1=1', 'ERR_SQL_NOT_ALLOWED'],
    ['true', 'ERR_SQL_NOT_ALLOWED'],
    ["'a'='a'", 'ERR_SQL_NOT_ALLOWED'],
    ['tenant_id = {{tenant_id}} or 1 = 1', 'ERR_SQL_NOT_ALLOWED'],
    ['(amount > 0 or not false)', 'ERR_SQL_NOT_ALLOWED'],
    ['{{tenant_id}} = {{tenant_id}}', 'ERR_SQL_NOT_ALLOWED'],
    ['secret = {{tenant_id}}', 'ERR_COLUMN_UNKNOWN'],
  ] as const)('refuses a row policy that confines nothing or reads no declared column: %s', async (rowPolicy, reason) => {
    for (const type of ['postgres', 'mysql'] as const) {
      const res = await api('POST', '/api/datasets', definition(type, { rowPolicy }));
      expect(res.status, type).toBe(400);
      expect(res.json, type).toMatchObject({ code: 'ERR_VALIDATION', reason, errors: [expect.objectContaining({ path: 'rowPolicy' })] });
    }
  });

  it('accepts a schema-qualified source and a policy over declared columns, and previews only the tenant', async () => {
    for (const type of ['postgres', 'mysql'] as const) {
      const res = await api('POST', '/api/datasets', definition(type, { rowPolicy: 'tenant_id = {{tenant_id}} and amount >= 0' }));
      expect(res.status, type).toBe(201);
      const preview = await api('POST', `/api/datasets/${res.json.id}/preview`, { params: { tenant_id: 2 } });
      expect(preview.status, type).toBe(200);
      expect(preview.json.rows.length, type).toBeGreaterThan(0);
      expect(new Set(preview.json.rows.map((r: unknown[]) => r[1])), type).toEqual(new Set([2]));
    }
  });

  it('refuses ad-hoc SQL naming an undeclared column, and select * returns only declared ones', async () => {
    for (const type of ['postgres', 'mysql'] as const) {
      const execute = (sql: string) => api('POST', '/api/queries/execute', { connectionId: connectionIds[type], sql, params: { tenant_id: 2 } });
      const refused = await execute(`select id, secret from guarded_${type}`);
      expect(refused.status, type).toBe(400);
      expect(refused.json.code, type).toBe('ERR_SQL_NOT_ALLOWED');
      const laundered = await execute(`select x.s from (select secret as s from guarded_${type}) x`);
      expect(laundered.json.code, type).toBe('ERR_SQL_NOT_ALLOWED');
      const star = await execute(`select * from guarded_${type} order by id`);
      expect(star.status, type).toBe(200);
      expect(star.json.columns.map((c: { name: string }) => c.name), type).toEqual(['id', 'tenant_id', 'amount']);
      expect(star.text, type).not.toContain('secret-');
    }
  });
});
