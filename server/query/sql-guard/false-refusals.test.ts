/**
 * Safe SQL the guard used to refuse (#18), each run twice on the real
 * database: directly over real tables named like the datasets, and through
 * the guard (every dataset wrapped in its policy subquery). The rows must be
 * the same. The tables hold the viewer's rows only, so the policy changes
 * nothing but the shape of the query.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../../connectors/connector.ts';
import { isInsightError } from '../../errors/insight-error.ts';
import { MYSQL_URL, POSTGRES_URL, serviceAvailable } from '../../testing/services.ts';
import { guardSql, type GuardDataset } from './guard-sql.ts';

// One schema (PostgreSQL) or database (MariaDB) per run: other suites share these servers.
const SCRATCH = `guard_fr_${process.pid}`;
const DIALECTS: readonly Dialect[] = ['postgres', 'mysql'];
const quote = (dialect: Dialect, name: string) => (dialect === 'postgres' ? `"${name}"` : `\`${name}\``);

const SETUP = [
  'create table orders (id int primary key, tenant_id int not null, customer_name varchar(40) not null, status varchar(20) not null, amount int not null, created_at timestamp not null)',
  'create table order_lines (order_id int not null, line int not null, tenant_id int not null, qty int not null, primary key (order_id, line))',
  `insert into orders values
    (1, 1, 'Ada', 'paid', 10, '2024-01-05 10:00:00'), (2, 1, 'Bob', 'open', 20, '2024-01-05 18:30:00'),
    (3, 1, 'Ada', 'paid', 30, '2024-01-06 09:00:00'), (4, 1, 'Cy', 'paid', 40, '2024-01-08 12:00:00'),
    (5, 1, 'Bob', 'open', 50, '2024-01-09 23:59:00'), (6, 1, 'Ada', 'paid', 60, '2024-01-15 08:00:00')`,
  `insert into order_lines values (1, 1, 1, 2), (1, 2, 1, 3), (2, 1, 1, 1), (3, 1, 1, 5), (4, 1, 1, 1), (4, 2, 1, 1), (4, 3, 1, 4), (6, 1, 1, 7)`,
];

/** The datasets as the query engine hands them to the guard; `orders` declares its key. */
function datasets(dialect: Dialect, keys = true): GuardDataset[] {
  const source = (table: string) => ({ sql: `select * from ${quote(dialect, SCRATCH)}.${quote(dialect, table)} where tenant_id = ?`, parameters: [1] });
  return [
    { name: 'orders', source: source('orders'), ...(keys ? { keys: [['id']] } : {}) },
    { name: 'order_lines', source: source('order_lines'), ...(keys ? { keys: [['order_id', 'line']] } : {}) },
  ];
}

interface Case {
  name: string;
  sql: string;
  dialects?: readonly Dialect[];
}

const CASES: Case[] = [
  // DATE(x): a function in MySQL; in PostgreSQL the function-call form of a cast to date.
  { name: 'DATE() in SELECT and GROUP BY', sql: 'select date(created_at) as day, count(*) as n from orders group by date(created_at) order by day' },
  { name: 'upper-case DATE() compared with a date', sql: "select id from orders where DATE(created_at) = '2024-01-05' order by id" },
  { name: 'DATE() of now()', sql: 'select date(now()) = current_date as today' },
  // window frames with an offset
  { name: 'a 2-row moving sum', sql: 'select id, sum(amount) over (order by id rows between 1 preceding and current row) as s from orders order by id' },
  { name: 'a 7-row moving average', sql: 'select id, avg(amount) over (order by id rows between 6 preceding and current row) as a from orders order by id' },
  { name: 'a frame reaching forward', sql: 'select id, sum(amount) over (order by id rows between current row and 2 following) as s from orders order by id' },
  { name: 'a frame on both sides', sql: 'select id, max(amount) over (partition by status order by id rows between 2 preceding and 1 following) as m from orders order by id' },
  { name: 'a frame entirely ahead', sql: 'select id, sum(amount) over (order by id rows between 1 following and 3 following) as s from orders order by id' },
  { name: 'a short frame form', sql: 'select id, sum(amount) over (order by id rows 2 preceding) as s from orders order by id' },
  { name: 'an offset frame in a named window', sql: 'select id, sum(amount) over w as s from orders window w as (order by id rows between 3 preceding and current row) order by id' },
  // grouping sets
  { name: 'ROLLUP with GROUPING()', sql: 'select status, grouping(status) as g, count(*) as n, sum(amount) as total from orders group by rollup(status) order by g, status', dialects: ['postgres'] },
  { name: 'CUBE over two columns', sql: 'select status, customer_name, count(*) as n from orders group by cube(status, customer_name) order by status nulls first, customer_name nulls first', dialects: ['postgres'] },
  // grouping by a key: PostgreSQL infers the other columns from it on a table, not on a subquery
  {
    name: 'grouping by the key of a joined dataset',
    sql: 'select o.id, o.customer_name, o.status, sum(l.qty) as units from orders o join order_lines l on l.order_id = o.id group by o.id order by o.id',
  },
  { name: 'grouping by the key of the only dataset, unqualified', sql: 'select id, customer_name, amount from orders group by id order by id' },
  { name: 'grouping by ordinal on the key', sql: 'select o.id, o.customer_name, count(l.line) as line_count from orders o left join order_lines l on l.order_id = o.id group by 1 order by 1' },
  {
    name: 'dependent columns in HAVING and ORDER BY',
    sql: 'select o.id, sum(l.qty) as units from orders o join order_lines l on l.order_id = o.id group by o.id having o.amount > 10 order by o.customer_name, o.id',
    // MariaDB's HAVING sees only grouped or selected columns, directly too.
    dialects: ['postgres'],
  },
  {
    name: 'grouping by a composite key',
    sql: 'select l.order_id, l.line, l.qty, count(*) as n from order_lines l group by l.order_id, l.line order by l.order_id, l.line',
  },
  {
    name: 'dependent columns inside expressions, beside aggregates',
    sql: "select o.id, upper(o.customer_name) as who, o.amount * 2 as twice, sum(l.qty) * o.amount as weighted from orders o join order_lines l on l.order_id = o.id group by o.id order by o.id",
  },
  {
    name: 'grouping by the key inside a CTE',
    sql: 'with per_order as (select o.id, o.status, sum(l.qty) as units from orders o join order_lines l on l.order_id = o.id group by o.id) select status, sum(units) as units from per_order group by status order by status',
  },
];

type Rows = Record<string, unknown>[];

/** Numbers come back as strings for some aggregates (pg numeric/bigint, MySQL DECIMAL): compare loosely. */
function plain(rows: Rows): Rows {
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) ? Number(v) : v instanceof Date ? v.toISOString() : v])));
}

interface Database {
  /** Runs SQL over the scratch tables as if they were the datasets. */
  direct(sql: string): Promise<Rows>;
  /** Runs the guard's output, with its bound parameters. */
  guarded(sql: string, parameters: unknown[]): Promise<Rows>;
  close(): Promise<void>;
}

async function openPostgres(): Promise<Database> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`drop schema if exists "${SCRATCH}" cascade`);
  await client.query(`create schema "${SCRATCH}"`);
  await client.query(`set search_path to "${SCRATCH}"`);
  for (const statement of SETUP) await client.query(statement);
  return {
    direct: async (sql) => (await client.query(sql)).rows,
    guarded: async (sql, parameters) => (await client.query(sql, parameters)).rows,
    close: async () => {
      await client.query(`drop schema if exists "${SCRATCH}" cascade`);
      await client.end();
    },
  };
}

async function openMysql(): Promise<Database> {
  const admin = await mysql.createConnection({ uri: MYSQL_URL });
  await admin.query(`drop database if exists \`${SCRATCH}\``);
  await admin.query(`create database \`${SCRATCH}\``);
  await admin.query(`use \`${SCRATCH}\``);
  for (const statement of SETUP) await admin.query(statement);
  return {
    direct: async (sql) => (await admin.query(sql))[0] as Rows,
    // Prepared statements: the server binds the parameters, as the connector does.
    guarded: async (sql, parameters) => (await admin.execute(sql, parameters as never[]))[0] as Rows,
    close: async () => {
      await admin.query(`drop database if exists \`${SCRATCH}\``);
      await admin.end();
    },
  };
}

const available: Record<Dialect, boolean> = {
  postgres: await serviceAvailable('postgres'),
  mysql: await serviceAvailable('mysql'),
};

for (const dialect of DIALECTS) {
  describe.skipIf(!available[dialect])(`guard accepts safe analytic SQL on ${dialect === 'postgres' ? 'PostgreSQL' : 'MariaDB'}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = dialect === 'postgres' ? await openPostgres() : await openMysql();
    });
    afterAll(() => db?.close());

    const cases = CASES.filter((c) => !c.dialects || c.dialects.includes(dialect));

    it.each(cases)('$name: same rows as direct execution', async ({ sql }) => {
      const expected = plain(await db.direct(sql));
      expect(expected.length).toBeGreaterThan(0);
      const guarded = guardSql({ sql, dialect, datasets: datasets(dialect), params: {} });
      expect(plain(await db.guarded(guarded.sql, guarded.parameters))).toEqual(expected);
    });

    it('adds nothing to a GROUP BY that is not a declared key: the database still says what is wrong', async () => {
      const sql = 'select status, customer_name, count(*) as n from orders group by status order by status';
      const guarded = guardSql({ sql, dialect, datasets: datasets(dialect), params: {} });
      expect(guarded.sql).toMatch(/GROUP BY [`"]status[`"] ORDER BY/);
      if (dialect === 'postgres') await expect(db.guarded(guarded.sql, guarded.parameters)).rejects.toMatchObject({ code: '42803' });
    });

    it('adds nothing when a dataset declares no key', () => {
      const sql = 'select o.id, o.status from orders o group by o.id';
      const guarded = guardSql({ sql, dialect, datasets: datasets(dialect, false), params: {} });
      expect(guarded.sql).toMatch(/GROUP BY [`"]o[`"]\.[`"]id[`"]$/);
    });
  });
}

describe('window frames stay strict', () => {
  const refused = (dialect: Dialect, sql: string) => {
    try {
      guardSql({ sql, dialect, datasets: datasets(dialect), params: {} });
    } catch (error) {
      return isInsightError(error) ? error.code : 'not an InsightError';
    }
    return 'accepted';
  };

  it.each(DIALECTS)('%s: an offset is a plain count, nothing else', (dialect) => {
    for (const frame of ['rows between 1e9 preceding and current row', 'rows between 9999999999 preceding and current row', 'rows between (select 1) preceding and current row', 'rows between -1 preceding and current row']) {
      expect(refused(dialect, `select sum(amount) over (order by id ${frame}) from orders`), frame).not.toBe('accepted');
    }
    expect(refused(dialect, 'select sum(amount) over (order by id rows between 5 preceding and current row) from orders')).toBe('accepted');
  });
});
