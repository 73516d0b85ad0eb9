import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InsightError, type ErrorCode } from '../errors/insight-error.ts';
import { MYSQL_URL, serviceAvailable } from '../testing/services.ts';
import { until } from '../testing/wait.ts';
import { parseConnectionUrl } from './connection-url.ts';
import type { Connector } from './connector.ts';
import { createMysqlConnector } from './mysql-connector.ts';

const available = await serviceAvailable('mysql');

// Other suites share the database: every name here is unique to this run.
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const customers = `myconn_customers_${suffix}`;
const orders = `myconn_orders_${suffix}`;
const limits = { timeoutMs: 5000, maxRows: 1000 };
/** Ten rows, 10 down to 1, without a table. */
const TEN_DESC = 'WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 10) SELECT n FROM s ORDER BY n DESC';

async function codeOf(promise: Promise<unknown>): Promise<ErrorCode | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    expect(error).toBeInstanceOf(InsightError);
    return (error as InsightError).code;
  }
}

describe.skipIf(!available)('createMysqlConnector', () => {
  const url = parseConnectionUrl(MYSQL_URL);
  const config = { host: url.host, port: url.port, database: url.database, user: url.user, password: url.password };
  let admin: mysql.Connection;
  let connector: Connector;

  beforeAll(async () => {
    admin = await mysql.createConnection(config);
    await admin.query(
      `CREATE TABLE ${customers} (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, vip BOOLEAN, joined DATE, profile JSON) ENGINE=InnoDB`,
    );
    await admin.query(
      `CREATE TABLE ${orders} (
         id BIGINT PRIMARY KEY,
         customer_id INT NOT NULL,
         amount DECIMAL(12, 2) NOT NULL,
         quantity BIGINT NOT NULL,
         placed_at DATETIME(3) NOT NULL,
         note VARCHAR(50),
         FOREIGN KEY (customer_id) REFERENCES ${customers} (id)
       ) ENGINE=InnoDB`,
    );
    await admin.query(
      `INSERT INTO ${customers} VALUES (1, 'Ada', TRUE, '2024-01-15', '{"tier": "gold"}'), (2, 'Grace', FALSE, '2023-12-31', NULL)`,
    );
    await admin.query(
      `INSERT INTO ${orders} VALUES
         (1, 1, 10.25, 3000000000, '2024-02-01 10:00:00.000', NULL),
         (2, 1, 5.50, 2, '2024-02-03 21:30:00.250', 'gift'),
         (3, 2, 100.00, 1, '2024-03-01 00:00:00', NULL)`,
    );
    connector = createMysqlConnector({ ...config, poolMax: 4 });
  });

  afterAll(async () => {
    await connector?.close();
    await admin?.query(`DROP TABLE IF EXISTS ${orders}, ${customers}`);
    await admin?.end();
  });

  it('returns JSON-ready typed values with column types', async () => {
    const result = await connector.execute(
      `SELECT c.name, SUM(o.amount) AS total, SUM(o.quantity) AS quantity, COUNT(*) AS orders,
              c.joined, MAX(o.placed_at) AS last_order, c.vip, c.profile, NULL AS nothing
         FROM ${customers} c JOIN ${orders} o ON o.customer_id = c.id
        WHERE c.id = ?
        GROUP BY c.id, c.name, c.joined, c.vip, c.profile`,
      [1],
      limits,
    );
    expect(result.columns).toEqual([
      { name: 'name', type: 'string' },
      { name: 'total', type: 'number' },
      { name: 'quantity', type: 'number' },
      { name: 'orders', type: 'number' },
      { name: 'joined', type: 'date' },
      { name: 'last_order', type: 'datetime' },
      { name: 'vip', type: 'boolean' },
      { name: 'profile', type: 'json' },
      { name: 'nothing', type: 'unknown' },
    ]);
    expect(result.rows).toEqual([['Ada', 15.75, 3000000002, 2, '2024-01-15', '2024-02-03T21:30:00.250Z', true, { tier: 'gold' }, null]]);
    expect(result.truncated).toBe(false);
  });

  it('binds parameters instead of splicing them into the SQL', async () => {
    const sql = `SELECT id FROM ${customers} WHERE name = ?`;
    expect((await connector.execute(sql, ['Ada'], limits)).rows).toEqual([[1]]);
    expect((await connector.execute(sql, ["' OR 1=1 --"], limits)).rows).toEqual([]);
    expect((await connector.execute(sql, ["\\' OR 1=1 -- "], limits)).rows).toEqual([]);
    const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${customers}`);
    expect(Number(rows[0]!.n)).toBe(2);
  });

  it('refuses writes: the transaction and the session are read-only', async () => {
    const attempts = [
      `INSERT INTO ${customers} (id, name) VALUES (99, 'Mallory')`,
      `UPDATE ${customers} SET name = 'Mallory'`,
      `DELETE FROM ${orders}`,
      `CREATE TABLE myconn_created_${suffix} (id INT)`,
      `DROP TABLE ${orders}`,
    ];
    for (const sql of attempts) expect(await codeOf(connector.execute(sql, [], limits)), sql).toBe('ERR_QUERY_FAILED');

    const [rows] = await admin.query<mysql.RowDataPacket[]>(
      `SELECT (SELECT COUNT(*) FROM ${customers} WHERE name = 'Mallory') AS mallory,
              (SELECT COUNT(*) FROM ${orders}) AS orders,
              (SELECT COUNT(*) FROM information_schema.TABLES
                WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'myconn_created_${suffix}') AS created`,
    );
    expect(rows[0]).toMatchObject({ mallory: 0, orders: 3, created: 0 });
  });

  it('refuses more than one statement', async () => {
    for (const sql of ['SELECT 1; SELECT 2', `SELECT 1; DROP TABLE ${orders}`]) {
      const error = await connector.execute(sql, [], limits).catch((e: unknown) => e);
      expect(error, sql).toBeInstanceOf(InsightError);
      expect((error as InsightError).code, sql).toBe('ERR_QUERY_FAILED');
      // Refused by the parser (ER_PARSE_ERROR), not by whatever the second statement hit later.
      expect((error as InsightError).extensions, sql).toEqual({ sqlstate: '42000', errno: 1064 });
    }
    const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${orders}`);
    expect(Number(rows[0]!.n)).toBe(3);
  });

  it('caps rows, keeps the order and says when it truncated', async () => {
    expect(await connector.execute(TEN_DESC, [], { timeoutMs: 5000, maxRows: 3 })).toMatchObject({
      rows: [[10], [9], [8]],
      truncated: true,
    });
    const exact = await connector.execute(TEN_DESC, [], { timeoutMs: 5000, maxRows: 10 });
    expect(exact.rows).toHaveLength(10);
    expect(exact.truncated).toBe(false);
    // An explicit LIMIT overrides sql_select_limit on the server; the client still caps.
    const limited = await connector.execute(`${TEN_DESC} LIMIT 8`, [], { timeoutMs: 5000, maxRows: 2 });
    expect(limited).toMatchObject({ rows: [[10], [9]], truncated: true });
  });

  it('hands connections back without the row cap or timeout of the last statement', async () => {
    const single = createMysqlConnector({ ...config, poolMax: 1 });
    try {
      await single.execute('SELECT 1', [], { timeoutMs: 5000, maxRows: 1 });
      // Same (only) connection: a leaked sql_select_limit of 2 would cut introspection short.
      const schema = await single.introspect();
      expect(schema.tables.find((t) => t.name === orders)?.columns).toHaveLength(6);
      expect((await single.execute(TEN_DESC, [], limits)).rows).toHaveLength(10);
    } finally {
      await single.close();
    }
  });

  it('accepts duplicate column names', async () => {
    const dup = await connector.execute(
      `SELECT c.id, o.id FROM ${customers} c JOIN ${orders} o ON o.customer_id = c.id ORDER BY o.id LIMIT 1`,
      [],
      limits,
    );
    expect(dup.columns.map((c) => c.name)).toEqual(['id', 'id']);
    expect(dup.rows).toEqual([[1, 1]]);
  });

  it('stops a statement at the timeout and keeps serving', async () => {
    // A minute-long sleep outlasts the test itself: only the 300 ms statement timeout can end it in time.
    expect(await codeOf(connector.execute('SELECT SLEEP(60)', [], { timeoutMs: 300, maxRows: 10 }))).toBe('ERR_QUERY_TIMEOUT');
    expect((await connector.execute('SELECT 42 AS answer', [], limits)).rows).toEqual([[42]]);
  });

  const runningStatements = async (marker: string): Promise<number> => {
    const [rows] = await admin.query<mysql.RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()`,
      [`%${marker}%`],
    );
    return Number(rows[0]!.n);
  };

  it('kills the running statement on the server when the signal aborts', async () => {
    const marker = `cancel_me_${suffix}`;
    const controller = new AbortController();
    const pending = codeOf(connector.execute(`SELECT SLEEP(60) AS ${marker}`, [], { timeoutMs: 60_000, maxRows: 10, signal: controller.signal }));
    // Abort once the statement runs on the server; the minute-long sleep outlasts the test, so only the cancel ends it.
    await until(async () => (await runningStatements(marker)) === 1, { what: 'the statement running' });
    controller.abort();
    expect(await pending).toBe('ERR_QUERY_CANCELLED');

    expect(await runningStatements(marker)).toBe(0);
    expect((await connector.execute('SELECT 1 AS still_here', [], limits)).rows).toEqual([[1]]);
  });

  it('does not start a statement for a signal that has already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await codeOf(connector.execute('SELECT 1', [], { ...limits, signal: controller.signal }))).toBe('ERR_QUERY_CANCELLED');
  });

  it('reports a wrong statement as ERR_QUERY_FAILED with its SQLSTATE', async () => {
    const error = await connector.execute(`SELECT no_such_column FROM ${customers} WHERE name = ?`, ['secret-value-123'], limits).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsightError);
    expect((error as InsightError).code).toBe('ERR_QUERY_FAILED');
    expect((error as InsightError).extensions).toMatchObject({ sqlstate: '42S22' });
    expect((error as InsightError).message).not.toContain('secret-value-123');
    expect((error as InsightError).cause).toBeUndefined();
  });

  it('refuses limits it cannot splice safely', async () => {
    expect(await codeOf(connector.execute('SELECT 1', [], { timeoutMs: 0, maxRows: 10 }))).toBe('ERR_VALIDATION');
    expect(await codeOf(connector.execute('SELECT 1', [], { timeoutMs: 100, maxRows: 2.5 }))).toBe('ERR_VALIDATION');
  });

  it('recovers when the server kills a pooled connection', async () => {
    const single = createMysqlConnector({ ...config, poolMax: 1 });
    try {
      const [[id]] = (await single.execute('SELECT CONNECTION_ID()', [], limits)).rows as [[number]];
      await admin.query(`KILL CONNECTION ${Number(id)}`);
      // The idle connection dies under the pool; the process must not crash
      // and the next statement gets a fresh connection (at worst one failure first).
      let result = await single.execute('SELECT CONNECTION_ID()', [], limits).catch((e: unknown) => e);
      if (result instanceof InsightError) {
        expect(result.code).toBe('ERR_DATABASE_UNAVAILABLE');
        result = await single.execute('SELECT CONNECTION_ID()', [], limits);
      }
      const [[newId]] = (result as { rows: [[number]] }).rows;
      expect(newId).not.toBe(id);
    } finally {
      await single.close();
    }
  });

  it('explains a SELECT with bound parameters: the rows the server expects to examine', async () => {
    await admin.query(`ANALYZE TABLE ${orders}`);
    const all = await connector.explain!(`select * from ${orders}`, [], { timeoutMs: 5000 });
    expect(all.estimatedRows).toBeGreaterThan(0);
    const joined = await connector.explain!(`select o.id, c.name from ${orders} o join ${customers} c on c.id = o.customer_id where o.customer_id = ?`, [1], { timeoutMs: 5000 });
    expect(joined.estimatedRows).toBeGreaterThan(0);
    // The select limit of the explain's session stays at its default, and the connection goes back clean.
    const rows = await connector.execute(TEN_DESC, [], { timeoutMs: 5000, maxRows: 3 });
    expect(rows.rows).toEqual([[10], [9], [8]]);
  });

  it('explains nothing but a SELECT: DML, INTO and second statements are refused', async () => {
    for (const sql of [`delete from ${orders}`, `update ${orders} set amount = 0`, `select * from ${orders} into @stolen`, `select 1; delete from ${orders}`]) {
      expect(await codeOf(connector.explain!(sql, [], { timeoutMs: 5000 })), sql).toBe('ERR_QUERY_FAILED');
    }
    const [count] = await admin.query<mysql.RowDataPacket[]>(`select count(*) as n from ${orders}`);
    expect(Number(count[0]?.n)).toBeGreaterThan(0);
    expect(await codeOf(connector.explain!('select 1', [], { timeoutMs: 0 }))).toBe('ERR_VALIDATION');
  });

  it('test() answers for a reachable database', async () => {
    await expect(connector.test()).resolves.toBeUndefined();
  });

  it('reports an unreachable database quickly', async () => {
    const nowhere = createMysqlConnector({ ...config, port: 1 });
    try {
      expect(await codeOf(nowhere.execute('SELECT 1', [], limits))).toBe('ERR_DATABASE_UNAVAILABLE');
      expect(await codeOf(nowhere.test())).toBe('ERR_DATABASE_UNAVAILABLE');
      expect(await codeOf(nowhere.introspect())).toBe('ERR_DATABASE_UNAVAILABLE');
    } finally {
      await nowhere.close();
    }
  });

  it('introspects tables, columns, primary and foreign keys', async () => {
    const schema = await connector.introspect();
    const customerTable = schema.tables.find((t) => t.name === customers);
    const orderTable = schema.tables.find((t) => t.name === orders);
    expect(customerTable?.columns.map((c) => c.name)).toEqual(['id', 'name', 'vip', 'joined', 'profile']);
    expect(customerTable?.columns[0]).toEqual({ name: 'id', dataType: 'int(11)', nullable: false, primaryKey: true });
    expect(customerTable?.columns[1]).toEqual({ name: 'name', dataType: 'varchar(50)', nullable: false, primaryKey: false });
    expect(orderTable?.columns.find((c) => c.name === 'customer_id')).toEqual({
      name: 'customer_id',
      dataType: 'int(11)',
      nullable: false,
      primaryKey: false,
      references: { table: customers, column: 'id' },
    });
    expect(orderTable?.columns.find((c) => c.name === 'amount')?.dataType).toBe('decimal(12,2)');
    expect(orderTable?.columns.find((c) => c.name === 'id')?.primaryKey).toBe(true);
  });

  it('closes idempotently and refuses work afterwards', async () => {
    const closing = createMysqlConnector(config);
    await closing.test();
    await closing.close();
    await closing.close();
    expect(await codeOf(closing.execute('SELECT 1', [], limits))).toBe('ERR_DATABASE_UNAVAILABLE');
  });
});
