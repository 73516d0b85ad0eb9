import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InsightError, type ErrorCode } from '../errors/insight-error.ts';
import { POSTGRES_URL, serviceAvailable } from '../testing/services.ts';
import { until } from '../testing/wait.ts';
import { parseConnectionUrl } from './connection-url.ts';
import type { Connector } from './connector.ts';
import { createPostgresConnector } from './postgres-connector.ts';

const available = await serviceAvailable('postgres');

// Other suites share the database: every name here is unique to this run.
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const customers = `pgconn_customers_${suffix}`;
const orders = `pgconn_orders_${suffix}`;
const sequence = `pgconn_seq_${suffix}`;
const limits = { timeoutMs: 5000, maxRows: 1000 };

async function codeOf(promise: Promise<unknown>): Promise<ErrorCode | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    expect(error).toBeInstanceOf(InsightError);
    return (error as InsightError).code;
  }
}

describe.skipIf(!available)('createPostgresConnector', () => {
  const url = parseConnectionUrl(POSTGRES_URL);
  const config = { host: url.host, port: url.port, database: url.database, user: url.user, password: url.password };
  let admin: pg.Client;
  let connector: Connector;

  beforeAll(async () => {
    admin = new pg.Client(config);
    await admin.connect();
    await admin.query(`
      CREATE SEQUENCE ${sequence};
      CREATE TABLE ${customers} (id integer PRIMARY KEY, name text NOT NULL, vip boolean, joined date, profile jsonb);
      CREATE TABLE ${orders} (
        id bigint PRIMARY KEY,
        customer_id integer NOT NULL REFERENCES ${customers} (id),
        amount numeric(12, 2) NOT NULL,
        quantity bigint NOT NULL,
        placed_at timestamptz NOT NULL,
        shipped_at timestamp,
        note text
      );
      INSERT INTO ${customers} VALUES
        (1, 'Ada', true, '2024-01-15', '{"tier": "gold"}'),
        (2, 'Grace', false, '2023-12-31', NULL);
      INSERT INTO ${orders} VALUES
        (1, 1, 10.25, 3000000000, '2024-02-01 10:00:00+00', '2024-02-02 08:30:00.5', NULL),
        (2, 1, 5.50, 2, '2024-02-03 23:30:00+02', NULL, 'gift'),
        (3, 2, 100.00, 1, '2024-03-01 00:00:00+00', NULL, NULL);
    `);
    connector = createPostgresConnector({ ...config, poolMax: 4 });
  });

  afterAll(async () => {
    await connector?.close();
    await admin?.query(`DROP TABLE IF EXISTS ${orders}, ${customers}; DROP SEQUENCE IF EXISTS ${sequence}`);
    await admin?.end();
  });

  it('returns JSON-ready typed values with column types', async () => {
    const result = await connector.execute(
      `SELECT c.name, sum(o.amount) AS total, sum(o.quantity) AS quantity, count(*) AS orders,
              c.joined, max(o.placed_at) AS last_order, max(o.shipped_at) AS last_shipped,
              c.vip, c.profile, NULL::text AS nothing
         FROM ${customers} c JOIN ${orders} o ON o.customer_id = c.id
        WHERE c.id = $1
        GROUP BY c.id`,
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
      { name: 'last_shipped', type: 'datetime' },
      { name: 'vip', type: 'boolean' },
      { name: 'profile', type: 'json' },
      { name: 'nothing', type: 'string' },
    ]);
    expect(result.rows).toEqual([
      [
        'Ada',
        15.75,
        3000000002,
        2,
        '2024-01-15',
        '2024-02-03T21:30:00.000Z',
        '2024-02-02T08:30:00.500Z',
        true,
        { tier: 'gold' },
        null,
      ],
    ]);
    expect(result.truncated).toBe(false);
  });

  it('binds parameters instead of splicing them into the SQL', async () => {
    const sql = `SELECT id FROM ${customers} WHERE name = $1`;
    expect((await connector.execute(sql, ['Ada'], limits)).rows).toEqual([[1]]);
    expect((await connector.execute(sql, ["' OR 1=1 --"], limits)).rows).toEqual([]);
    expect((await connector.execute(sql, ["Ada'; DROP TABLE " + customers + '; --'], limits)).rows).toEqual([]);
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${customers}`);
    expect(rows[0].n).toBe(2);
  });

  it('refuses writes: the transaction is read-only', async () => {
    const attempts = [
      `INSERT INTO ${customers} (id, name) VALUES (99, 'Mallory')`,
      `UPDATE ${customers} SET name = 'Mallory'`,
      `DELETE FROM ${orders}`,
      `CREATE TABLE pgconn_created_${suffix} (id int)`,
      `WITH gone AS (DELETE FROM ${orders} RETURNING id) SELECT * FROM gone`,
      `SELECT nextval('${sequence}')`,
    ];
    for (const sql of attempts) expect(await codeOf(connector.execute(sql, [], limits)), sql).toBe('ERR_QUERY_FAILED');

    const check = await admin.query(
      `SELECT (SELECT count(*)::int FROM ${customers} WHERE name = 'Mallory') AS mallory,
              (SELECT count(*)::int FROM ${orders}) AS orders,
              to_regclass('pgconn_created_${suffix}') IS NULL AS not_created,
              (SELECT is_called FROM ${sequence}) AS sequence_used`,
    );
    expect(check.rows[0]).toEqual({ mallory: 0, orders: 3, not_created: true, sequence_used: false });
  });

  it('refuses more than one statement', async () => {
    for (const sql of ['SELECT 1; SELECT 2', `SELECT 1; DROP TABLE ${orders}`]) {
      const error = await connector.execute(sql, [], limits).catch((e: unknown) => e);
      expect(error, sql).toBeInstanceOf(InsightError);
      expect((error as InsightError).code, sql).toBe('ERR_QUERY_FAILED');
      // Refused by the parser (syntax_error), not by whatever the second statement hit later.
      expect((error as InsightError).extensions, sql).toEqual({ sqlstate: '42601' });
    }
    const { rows } = await admin.query(`SELECT to_regclass('${orders}') IS NOT NULL AS exists`);
    expect(rows[0].exists).toBe(true);
  });

  it('caps rows, keeps the order and says when it truncated', async () => {
    const sql = 'SELECT g FROM generate_series(1, 10) AS g ORDER BY g DESC';
    expect(await connector.execute(sql, [], { timeoutMs: 5000, maxRows: 3 })).toMatchObject({
      rows: [[10], [9], [8]],
      truncated: true,
    });
    const exact = await connector.execute(sql, [], { timeoutMs: 5000, maxRows: 10 });
    expect(exact.rows).toHaveLength(10);
    expect(exact.truncated).toBe(false);
    const none = await connector.execute(sql, [], { timeoutMs: 5000, maxRows: 0 });
    expect(none).toMatchObject({ columns: [{ name: 'g', type: 'number' }], rows: [], truncated: true });
  });

  it('accepts a trailing semicolon or comment and duplicate column names', async () => {
    expect((await connector.execute('SELECT 1 AS one;', [], limits)).rows).toEqual([[1]]);
    expect((await connector.execute('SELECT 1 AS one -- the answer', [], limits)).rows).toEqual([[1]]);
    const dup = await connector.execute(`SELECT c.id, o.id FROM ${customers} c JOIN ${orders} o ON o.customer_id = c.id ORDER BY o.id LIMIT 1`, [], limits);
    expect(dup.columns.map((c) => c.name)).toEqual(['id', 'id']);
    expect(dup.rows).toEqual([[1, 1]]);
  });

  it('stops a statement at the timeout and keeps serving', async () => {
    // A minute-long sleep outlasts the test itself: only the 300 ms statement timeout can end it in time.
    expect(await codeOf(connector.execute('SELECT pg_sleep(60)', [], { timeoutMs: 300, maxRows: 10 }))).toBe('ERR_QUERY_TIMEOUT');
    expect((await connector.execute('SELECT 42 AS answer', [], limits)).rows).toEqual([[42]]);
  });

  const runningStatements = async (marker: string): Promise<number> => {
    const running = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()`,
      [`%${marker}%`],
    );
    return running.rows[0].n;
  };

  it('cancels the running statement on the server when the signal aborts', async () => {
    const marker = `cancel_me_${suffix}`;
    const controller = new AbortController();
    const pending = codeOf(connector.execute(`SELECT pg_sleep(60) AS ${marker}`, [], { timeoutMs: 60_000, maxRows: 10, signal: controller.signal }));
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

  it('keeps bound values out of error messages', async () => {
    const error = await connector.execute('SELECT $1::integer', ['secret-value-123'], limits).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsightError);
    expect((error as InsightError).code).toBe('ERR_QUERY_FAILED');
    expect((error as InsightError).message).not.toContain('secret-value-123');
    expect((error as InsightError).cause).toBeUndefined();
  });

  it('reports a wrong statement as ERR_QUERY_FAILED with its SQLSTATE', async () => {
    const error = await connector.execute(`SELECT no_such_column FROM ${customers}`, [], limits).catch((e: unknown) => e);
    expect((error as InsightError).code).toBe('ERR_QUERY_FAILED');
    expect((error as InsightError).extensions).toEqual({ sqlstate: '42703' });
  });

  it('refuses limits it cannot splice safely', async () => {
    expect(await codeOf(connector.execute('SELECT 1', [], { timeoutMs: 0, maxRows: 10 }))).toBe('ERR_VALIDATION');
    expect(await codeOf(connector.execute('SELECT 1', [], { timeoutMs: 1.5, maxRows: 10 }))).toBe('ERR_VALIDATION');
    expect(await codeOf(connector.execute('SELECT 1', [], { timeoutMs: 100, maxRows: -1 }))).toBe('ERR_VALIDATION');
  });

  it('answers before the ROLLBACK but hands the connection on only after it: the next user is in a new transaction with its own timeout', async () => {
    const single = createPostgresConnector({ ...config, poolMax: 1 });
    const sql = `SELECT pg_backend_pid(), now()::text, current_setting('statement_timeout'), current_setting('transaction_read_only')`;
    try {
      // Both checkouts queue on the one connection: the second may only start after the first's ROLLBACK.
      const [first, second] = await Promise.all([single.execute(sql, [], { timeoutMs: 5000, maxRows: 10 }), single.execute(sql, [], { timeoutMs: 7000, maxRows: 10 })]);
      const [[pid, startedAt, timeout, readOnly]] = first.rows as [[number, string, string, string]];
      const [[nextPid, nextStartedAt, nextTimeout, nextReadOnly]] = second.rows as [[number, string, string, string]];
      expect(nextPid).toBe(pid);
      expect([timeout, readOnly, nextTimeout, nextReadOnly]).toEqual(['5s', 'on', '7s', 'on']);
      // now() is the transaction's start: a second BEGIN inside the first transaction would keep it.
      expect(nextStartedAt).not.toBe(startedAt);
      // A write on that connection still fails as read-only.
      expect(await codeOf(single.execute(`INSERT INTO ${customers} (id, name) VALUES (98, 'Mallory')`, [], limits))).toBe('ERR_QUERY_FAILED');
      // Once answered, the session ends its transaction: idle, not idle in transaction, and the SET LOCAL is gone.
      await until(async () => (await admin.query('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0]?.state === 'idle', { what: 'the session to leave its transaction' });
      expect(single.poolStats?.()).toMatchObject({ total: 1, idle: 1 });
    } finally {
      await single.close();
    }
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${customers} WHERE id = 98`)).rows[0].n).toBe(0);
  });

  it('destroys the connection when its ROLLBACK fails, after answering the rows', async () => {
    // A proxy that cuts the connection when the connector sends ROLLBACK.
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((downstream) => {
      const upstream = net.connect(config.port, config.host);
      sockets.add(downstream).add(upstream);
      upstream.pipe(downstream);
      downstream.on('data', (chunk: Buffer) => {
        if (chunk.includes('ROLLBACK')) {
          upstream.destroy();
          downstream.destroy();
        } else upstream.write(chunk);
      });
      downstream.on('error', () => {});
      upstream.on('error', () => {});
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as net.AddressInfo).port;
    const single = createPostgresConnector({ ...config, host: '127.0.0.1', port, poolMax: 1 });
    try {
      const { rows } = await single.execute('SELECT pg_backend_pid()', [], limits);
      const [[pid]] = rows as [[number]];
      await until(() => single.poolStats?.().total === 0, { what: 'the connection to be destroyed' });
      // The backend saw the connection go and ended the transaction with it.
      await until(async () => (await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0].n === 0, { what: 'the backend to end' });
      expect(await codeOf(single.execute('SELECT 1', [], limits))).toBe('resolved');
    } finally {
      await single.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('recovers when the server terminates a pooled connection', async () => {
    const single = createPostgresConnector({ ...config, poolMax: 1 });
    try {
      const [[pid]] = (await single.execute('SELECT pg_backend_pid()', [], limits)).rows as [[number]];
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      // The idle client dies under the pool; the process must not crash and
      // the next statement gets a fresh connection (at worst one failure first).
      let result = await single.execute('SELECT pg_backend_pid()', [], limits).catch((e: unknown) => e);
      if (result instanceof InsightError) {
        expect(result.code).toBe('ERR_DATABASE_UNAVAILABLE');
        result = await single.execute('SELECT pg_backend_pid()', [], limits);
      }
      const [[newPid]] = (result as { rows: [[number]] }).rows;
      expect(newPid).not.toBe(pid);
    } finally {
      await single.close();
    }
  });

  it('explains a SELECT with bound parameters: the planner\'s row estimate, without running it', async () => {
    await admin.query(`ANALYZE ${orders}`);
    const all = await connector.explain!(`select * from ${orders}`, [], { timeoutMs: 5000 });
    expect(all.estimatedRows).toBe(3);
    const some = await connector.explain!(`select o.id, c.name from ${orders} o join ${customers} c on c.id = o.customer_id where o.customer_id = $1`, [1], { timeoutMs: 5000 });
    expect(some.estimatedRows).toBeGreaterThan(0);
    // nextval() cannot run in a read-only transaction: planning it succeeds only because nothing runs.
    const planned = await connector.explain!(`select nextval('${sequence}') as n`, [], { timeoutMs: 5000 });
    expect(planned.estimatedRows).toBe(1);
    expect((await connector.execute(`select nextval('${sequence}')`, [], limits).then(() => 'ran', (e: InsightError) => e.code))).toBe('ERR_QUERY_FAILED');
  });

  it('explains nothing but a SELECT: DML, INTO, data-modifying WITH and second statements are refused', async () => {
    for (const sql of [
      `delete from ${orders}`,
      `update ${orders} set amount = 0`,
      `with gone as (delete from ${orders} returning *) select * from gone`,
      `select * into pgconn_stolen_${suffix} from ${orders}`,
      `select 1; delete from ${orders}`,
      `select 1) as x; delete from ${orders}; select * from (select 1`,
    ]) {
      expect(await codeOf(connector.explain!(sql, [], { timeoutMs: 5000 })), sql).toBe('ERR_QUERY_FAILED');
    }
    expect((await admin.query(`select count(*)::int as n from ${orders}`)).rows[0].n).toBe(3);
    expect(await codeOf(connector.explain!('select 1', [], { timeoutMs: 0 }))).toBe('ERR_VALIDATION');
  });

  it('test() answers for a reachable database', async () => {
    await expect(connector.test()).resolves.toBeUndefined();
  });

  it('reports an unreachable database quickly', async () => {
    const nowhere = createPostgresConnector({ ...config, port: 1 });
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
    expect(customerTable?.columns[0]).toEqual({ name: 'id', dataType: 'integer', nullable: false, primaryKey: true });
    expect(customerTable?.columns[2]).toEqual({ name: 'vip', dataType: 'boolean', nullable: true, primaryKey: false });
    expect(orderTable?.columns.find((c) => c.name === 'customer_id')).toEqual({
      name: 'customer_id',
      dataType: 'integer',
      nullable: false,
      primaryKey: false,
      references: { table: customers, column: 'id' },
    });
    expect(orderTable?.columns.find((c) => c.name === 'amount')?.dataType).toBe('numeric(12,2)');
    expect(orderTable?.columns.find((c) => c.name === 'id')?.primaryKey).toBe(true);
  });

  it('closes idempotently and refuses work afterwards', async () => {
    const closing = createPostgresConnector(config);
    await closing.test();
    await closing.close();
    await closing.close();
    expect(await codeOf(closing.execute('SELECT 1', [], limits))).toBe('ERR_DATABASE_UNAVAILABLE');
  });
});
