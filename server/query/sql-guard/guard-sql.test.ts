import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../../connectors/connector.ts';
import { isInsightError, type ErrorCode } from '../../errors/insight-error.ts';
import { MYSQL_URL, POSTGRES_URL, serviceAvailable } from '../../testing/services.ts';
import { guardSql, referencedDatasets, type GuardDataset } from './guard-sql.ts';

// Physical tables are per run: other suites share these databases.
const ORDERS = `guard_orders_${process.pid}`;
const CUSTOMERS = `guard_customers_${process.pid}`;
const SECRET = `guard_secret_${process.pid}`;
const DIALECTS: readonly Dialect[] = ['postgres', 'mysql'];

const quote = (dialect: Dialect, name: string) => (dialect === 'postgres' ? `"${name}"` : `\`${name}\``);

/** The viewer is tenant 1: the datasets' policy subqueries say so. */
function datasetsFor(dialect: Dialect, tenant = 1): GuardDataset[] {
  return [
    { name: 'orders', source: { sql: `select * from ${quote(dialect, ORDERS)} where tenant_id = ?`, parameters: [tenant] } },
    { name: 'customers', source: { sql: `select * from ${quote(dialect, CUSTOMERS)} where tenant_id = ?`, parameters: [tenant] } },
  ];
}

function guard(dialect: Dialect, sql: string, params: Record<string, unknown> = {}) {
  return guardSql({ sql, dialect, datasets: datasetsFor(dialect), params });
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return isInsightError(error) ? error.code : `not an InsightError: ${String(error)}`;
  }
  return 'accepted';
}

// ---------------------------------------------------------------- hostile matrix

interface Hostile {
  name: string;
  sql: string;
  /** One code for both dialects, or per dialect (a dialect left out is not run). */
  code: ErrorCode | Partial<Record<Dialect, ErrorCode>>;
  params?: Record<string, unknown>;
}

const PARSE: ErrorCode = 'ERR_SQL_PARSE';
const NOT_ALLOWED: ErrorCode = 'ERR_SQL_NOT_ALLOWED';
const TABLE: ErrorCode = 'ERR_SQL_TABLE_NOT_ALLOWED';
const FUNCTION: ErrorCode = 'ERR_SQL_FUNCTION_NOT_ALLOWED';

const HOSTILE: Hostile[] = [
  // statements
  { name: 'stacked statements', sql: 'select 1; delete from orders', code: NOT_ALLOWED },
  { name: 'stacked select of a secret table', sql: 'select * from orders; select * from users_secret', code: NOT_ALLOWED },
  { name: 'DELETE in a CTE', sql: 'with x as (delete from orders returning *) select * from x', code: PARSE },
  { name: 'INSERT in a CTE', sql: 'with x as (insert into orders (id) values (1) returning *) select * from x', code: { postgres: NOT_ALLOWED, mysql: PARSE } },
  { name: 'UPDATE in a CTE', sql: 'with x as (update orders set amount = 0 returning *) select * from x', code: { postgres: NOT_ALLOWED, mysql: PARSE } },
  { name: 'SELECT INTO a table', sql: 'select * into stolen from orders', code: NOT_ALLOWED },
  { name: 'INTO OUTFILE', sql: "select * from orders into outfile '/tmp/orders'", code: NOT_ALLOWED },
  { name: 'INTO DUMPFILE', sql: "select * from orders into dumpfile '/tmp/orders'", code: NOT_ALLOWED },
  { name: 'INTO a user variable', sql: 'select id from orders into @stolen', code: { mysql: NOT_ALLOWED } },
  { name: 'FOR UPDATE', sql: 'select * from orders for update', code: { postgres: PARSE, mysql: NOT_ALLOWED } },
  { name: 'FOR UPDATE SKIP LOCKED', sql: 'select * from orders for update skip locked', code: { postgres: PARSE, mysql: NOT_ALLOWED } },
  { name: 'LOCK IN SHARE MODE', sql: 'select * from orders lock in share mode', code: { postgres: PARSE, mysql: NOT_ALLOWED } },
  { name: 'TABLE statement', sql: 'table orders', code: PARSE },
  { name: 'DELETE', sql: 'delete from orders', code: NOT_ALLOWED },
  { name: 'UPDATE', sql: 'update orders set amount = 0', code: NOT_ALLOWED },
  { name: 'INSERT', sql: 'insert into orders (id) values (1)', code: NOT_ALLOWED },
  { name: 'DROP', sql: 'drop table orders', code: NOT_ALLOWED },
  { name: 'TRUNCATE', sql: 'truncate orders', code: NOT_ALLOWED },
  { name: 'CREATE TABLE AS', sql: 'create table x as select * from orders', code: NOT_ALLOWED },
  { name: 'GRANT', sql: 'grant select on orders to public', code: NOT_ALLOWED },
  { name: 'COPY', sql: 'copy orders to stdout', code: PARSE },
  { name: 'EXPLAIN ANALYZE', sql: 'explain analyze select * from orders', code: PARSE },
  { name: 'EXPLAIN', sql: 'explain select * from orders', code: { postgres: PARSE, mysql: NOT_ALLOWED } },
  { name: 'SHOW', sql: 'show tables', code: NOT_ALLOWED },
  { name: 'SET', sql: 'set search_path = evil', code: NOT_ALLOWED },
  { name: 'CALL', sql: 'call evil()', code: NOT_ALLOWED },
  { name: 'DO block', sql: 'do $$ begin perform 1; end $$', code: { postgres: PARSE, mysql: NOT_ALLOWED } },
  { name: 'VALUES statement', sql: 'values (1)', code: PARSE },
  { name: 'VALUES list in FROM', sql: 'select * from (values (1), (2)) v', code: TABLE },
  // names
  { name: 'schema-qualified dataset (public)', sql: 'select * from public.orders', code: TABLE },
  { name: 'database-qualified dataset (test)', sql: 'select * from test.orders', code: TABLE },
  { name: 'information_schema', sql: 'select * from information_schema.tables', code: TABLE },
  { name: 'pg_catalog', sql: 'select * from pg_catalog.pg_user', code: TABLE },
  { name: 'mysql.user', sql: 'select * from mysql.user', code: TABLE },
  { name: 'catalog table unqualified', sql: 'select * from pg_user', code: TABLE },
  { name: 'non-dataset table', sql: 'select * from users_secret', code: TABLE },
  { name: 'the physical table behind a dataset', sql: `select * from ${ORDERS}`, code: TABLE },
  { name: 'a real non-dataset table of this run', sql: `select * from ${SECRET}`, code: TABLE },
  { name: 'three-part column name', sql: 'select test.users_secret.password from orders', code: TABLE },
  { name: 'UNION with a non-dataset', sql: 'select id from orders union select id from users_secret', code: TABLE },
  { name: 'UNION branch without FROM dataset', sql: 'select 1 union select * from users_secret', code: TABLE },
  { name: 'subquery in the select list', sql: 'select id, (select max(password) from users_secret) from orders', code: TABLE },
  { name: 'EXISTS over a non-dataset', sql: 'select * from orders where exists (select 1 from users_secret)', code: TABLE },
  { name: 'correlated subquery over a non-dataset', sql: 'select * from orders o where o.id in (select id from users_secret s where s.id = o.id)', code: TABLE },
  { name: 'ANY over a non-dataset', sql: 'select * from orders where id = any(select id from users_secret)', code: TABLE },
  { name: 'subquery in ORDER BY', sql: 'select * from orders order by (select 1 from users_secret)', code: TABLE },
  { name: 'subquery in GROUP BY', sql: 'select count(*) from orders group by (select 1 from users_secret)', code: TABLE },
  { name: 'subquery in HAVING', sql: 'select count(*) from orders having (select 1 from users_secret) > 0', code: TABLE },
  { name: 'subquery in FILTER', sql: 'select count(*) filter (where exists (select 1 from users_secret)) from orders', code: { postgres: TABLE } },
  { name: 'derived table over a non-dataset', sql: 'select * from orders, (select * from users_secret) s', code: TABLE },
  { name: 'LATERAL over a non-dataset', sql: 'select * from orders o join lateral (select * from users_secret) s on true', code: TABLE },
  { name: 'JOIN USING a non-dataset', sql: 'select * from orders join users_secret using (id)', code: TABLE },
  { name: 'comma join of a non-dataset', sql: 'select * from orders, users_secret', code: TABLE },
  { name: 'CTE then a non-dataset', sql: 'with x as (select 1) select * from x, users_secret', code: TABLE },
  { name: 'CTE out of its subquery scope', sql: 'select * from (with s as (select * from orders) select * from s) t, s', code: TABLE },
  { name: 'CTE of a parenthesised UNION branch', sql: '(with s as (select * from orders) select * from s) union select * from s', code: TABLE },
  { name: 'CTE reading itself without RECURSIVE', sql: 'with users_secret as (select * from users_secret) select * from users_secret', code: TABLE },
  { name: 'CTE reading a later CTE', sql: 'with a as (select * from b), b as (select * from users_secret) select * from a', code: TABLE },
  { name: 'recursive CTE over a non-dataset', sql: 'with recursive r as (select * from users_secret) select * from r', code: TABLE },
  { name: 'homoglyph table name (Cyrillic o)', sql: 'select * from \u043erders', code: PARSE },
  { name: 'quoted homoglyph table name', sql: 'select * from "\u043erders"', code: { postgres: TABLE } },
  { name: 'quoted homoglyph table name (backticks)', sql: 'select * from `\u043erders`', code: { mysql: TABLE } },
  { name: 'fullwidth table name', sql: 'select * from \uff4frders', code: PARSE },
  { name: 'generate_series', sql: 'select * from generate_series(1, 10) g', code: { postgres: TABLE, mysql: PARSE } },
  { name: 'LATERAL generate_series', sql: 'select * from orders o, lateral generate_series(1, o.id) g', code: { postgres: TABLE, mysql: PARSE } },
  { name: 'unnest', sql: 'select * from unnest(array[1, 2]) u', code: { postgres: TABLE, mysql: PARSE } },
  { name: 'json_table', sql: "select * from json_table('[1]', '$[*]' columns (a int path '$')) j", code: PARSE },
  { name: 'dblink in FROM', sql: "select * from dblink('host=evil', 'select 1') as t(a int)", code: PARSE },
  { name: 'DUAL as a PostgreSQL table', sql: 'select 1 from dual', code: { postgres: TABLE } },
  { name: 'TABLESAMPLE', sql: 'select * from orders tablesample system (50)', code: { postgres: NOT_ALLOWED, mysql: PARSE } },
  // functions and variables
  { name: 'set_config', sql: "select set_config('row_security', 'off', false)", code: FUNCTION },
  { name: 'current_setting', sql: "select current_setting('app.tenant_id')", code: FUNCTION },
  { name: 'pg_read_file', sql: "select pg_read_file('/etc/passwd')", code: FUNCTION },
  { name: 'pg_ls_dir', sql: "select pg_ls_dir('.')", code: FUNCTION },
  { name: 'pg_sleep', sql: 'select pg_sleep(10)', code: FUNCTION },
  { name: 'schema-qualified pg_sleep', sql: 'select pg_catalog.pg_sleep(10)', code: FUNCTION },
  { name: 'schema-qualified allowed function', sql: 'select pg_catalog.lower(status) from orders', code: FUNCTION },
  { name: 'dblink_exec', sql: "select dblink_exec('host=evil', 'drop table x')", code: FUNCTION },
  { name: 'query_to_xml', sql: "select query_to_xml('select * from users_secret', true, true, '')", code: FUNCTION },
  { name: 'xpath', sql: "select xpath('/a', '<a/>')", code: FUNCTION },
  { name: 'lo_import', sql: "select lo_import('/etc/passwd')", code: FUNCTION },
  { name: 'lo_export', sql: "select lo_export(1, '/tmp/x')", code: FUNCTION },
  { name: 'LOAD_FILE', sql: "select LOAD_FILE('/etc/passwd')", code: FUNCTION },
  { name: 'SLEEP', sql: 'select SLEEP(10)', code: FUNCTION },
  { name: 'BENCHMARK', sql: "select BENCHMARK(100000000, md5('x'))", code: FUNCTION },
  { name: 'version()', sql: 'select version()', code: FUNCTION },
  { name: 'database()', sql: 'select database()', code: FUNCTION },
  { name: 'user()', sql: 'select user()', code: FUNCTION },
  { name: 'bare user (PostgreSQL reads it as current_user)', sql: 'select user', code: { postgres: FUNCTION } },
  { name: 'bare current_schema', sql: 'select current_schema', code: { postgres: FUNCTION } },
  { name: 'current_user', sql: 'select current_user', code: PARSE },
  { name: 'pg_terminate_backend', sql: 'select pg_terminate_backend(1)', code: FUNCTION },
  { name: 'txid_current', sql: 'select txid_current()', code: FUNCTION },
  { name: 'uuid functions', sql: 'select gen_random_uuid(), uuid()', code: FUNCTION },
  { name: 'nextval (writes a sequence)', sql: "select nextval('seq')", code: FUNCTION },
  { name: 'to_regclass', sql: "select to_regclass('users_secret')", code: FUNCTION },
  { name: 'row_to_json', sql: 'select row_to_json(o) from orders o', code: FUNCTION },
  { name: 'repeat (memory)', sql: "select repeat('x', 1000000000)", code: FUNCTION },
  { name: 'cast to regclass', sql: "select 'pg_authid'::regclass", code: { postgres: NOT_ALLOWED, mysql: PARSE } },
  { name: 'CAST AS regclass', sql: "select cast('pg_authid' as regclass)", code: { postgres: NOT_ALLOWED, mysql: PARSE } },
  { name: '@@version', sql: 'select @@version', code: NOT_ALLOWED },
  { name: 'user variable assignment', sql: 'select @a := 1', code: { postgres: PARSE, mysql: NOT_ALLOWED } },
  { name: 'user variable read', sql: 'select * from orders where id = @id', code: NOT_ALLOWED },
  { name: 'dollar-quoted text', sql: 'select $$x$$', code: { postgres: NOT_ALLOWED, mysql: PARSE } },
  { name: 'IS DISTINCT FROM (raw text in the AST)', sql: 'select status is distinct from amount from orders', code: { postgres: NOT_ALLOWED, mysql: PARSE } },
  { name: 'SQL_CALC_FOUND_ROWS', sql: 'select sql_calc_found_rows * from orders', code: NOT_ALLOWED },
  { name: 'STRAIGHT_JOIN', sql: 'select * from orders a straight_join orders b on true', code: { postgres: PARSE, mysql: NOT_ALLOWED } },
  { name: 'ROLLUP outside GROUP BY', sql: 'select rollup(status) from orders', code: FUNCTION },
  { name: 'CUBE over a non-dataset', sql: 'select count(*) from orders group by cube((select password from users_secret))', code: { postgres: TABLE } },
  { name: 'a function inside ROLLUP', sql: 'select count(*) from orders group by rollup(pg_sleep(1))', code: { postgres: FUNCTION } },
  { name: 'GROUP BY WITH ROLLUP', sql: 'select status, count(*) from orders group by status with rollup', code: { mysql: NOT_ALLOWED } },
  { name: 'LIMIT from a subquery', sql: 'select * from orders limit (select 1)', code: { postgres: NOT_ALLOWED, mysql: PARSE } },
  // comments
  { name: 'MySQL executable comment', sql: 'select 1 /*!50000 union select * from users_secret */', code: NOT_ALLOWED },
  { name: 'MariaDB executable comment', sql: 'select 1 /*M! union select * from users_secret */', code: NOT_ALLOWED },
  { name: 'optimizer hint', sql: 'select /*+ SET_VAR(sort_buffer_size = 16M) */ 1', code: NOT_ALLOWED },
  { name: 'nested block comment', sql: 'select 1 /* a /* b */ union select * from users_secret */', code: NOT_ALLOWED },
  { name: 'line comment hiding nothing', sql: 'select * from orders -- the rest is real:\nunion select * from users_secret', code: TABLE },
  { name: 'unterminated comment', sql: 'select 1 /* unterminated', code: PARSE },
  // placeholders and literals
  { name: 'placeholder without a value', sql: 'select * from orders where tenant_id = {{tenant_id}}', code: 'ERR_POLICY_PARAM_MISSING' },
  { name: 'placeholder with a null value', sql: 'select * from orders where tenant_id = {{tenant_id}}', params: { tenant_id: null }, code: 'ERR_POLICY_PARAM_MISSING' },
  { name: 'placeholder with an object value', sql: 'select * from orders where status = {{q}}', params: { q: { toString: 'x' } }, code: 'ERR_VALIDATION' },
  { name: 'placeholder inside a string literal', sql: "select * from orders where status = '{{q}}'", params: { q: 'paid' }, code: NOT_ALLOWED },
  { name: 'raw ? placeholder', sql: 'select * from orders where id = ?', code: { postgres: PARSE, mysql: NOT_ALLOWED } },
  { name: 'raw $1 placeholder', sql: 'select * from orders where id = $1', code: NOT_ALLOWED },
  { name: 'raw :name placeholder', sql: 'select * from orders where id = :id', code: NOT_ALLOWED },
  { name: 'backslash-escaped quote', sql: "select * from orders where status = 'x\\' or 1=1 -- '", code: NOT_ALLOWED },
  { name: 'a quote inside a quoted identifier', sql: 'select "a\' union select * from users_secret -- " from orders', code: { postgres: NOT_ALLOWED } },
  { name: 'E-string escapes', sql: "select E'\\x41'", code: NOT_ALLOWED },
  { name: 'NUL byte', sql: 'select 1\u0000; drop table orders', code: NOT_ALLOWED },
  { name: "the guard's reserved marker names", sql: 'select * from __insight_ds_0', code: NOT_ALLOWED },
  { name: 'nesting deeper than the limit', sql: `select ${'('.repeat(100)}1${')'.repeat(100)}`, code: NOT_ALLOWED },
  { name: 'empty string', sql: '', code: 'ERR_VALIDATION' },
  { name: 'whitespace only', sql: ' \n\t ', code: 'ERR_VALIDATION' },
  { name: 'comment only', sql: '-- nothing', code: PARSE },
];

describe('guardSql refuses hostile SQL', () => {
  const cases = HOSTILE.flatMap((c) =>
    DIALECTS.flatMap((dialect) => {
      const code = typeof c.code === 'string' ? c.code : c.code[dialect];
      return code ? [{ ...c, dialect, expected: code }] : [];
    }),
  );

  it('covers at least 45 hostile inputs', () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(45);
  });

  it.each(cases)('$dialect: $name -> $expected', ({ dialect, sql, params, expected }) => {
    expect(refusal(() => guard(dialect, sql, params ?? {}))).toBe(expected);
  });

  it.each(DIALECTS)('%s: refuses input over 100 KB cheaply', (dialect) => {
    const sql = `select * from orders where status in (${"'x', ".repeat(30_000)}'x')`;
    expect(refusal(() => guard(dialect, sql))).toBe('ERR_VALIDATION');
    // Cheaply: refused on its length alone, before any pass over the text. A control character at
    // the end changes nothing, while in a short text the first scan refuses it.
    expect(refusal(() => guard(dialect, `${sql}\u0001`))).toBe('ERR_VALIDATION');
    expect(refusal(() => guard(dialect, 'select id from orders\u0001'))).toBe('ERR_SQL_NOT_ALLOWED');
  });

  it('refuses dataset names that are not plain identifiers, and duplicates', () => {
    const source = { sql: 'select 1', parameters: [] };
    const run = (datasets: GuardDataset[]) => refusal(() => guardSql({ sql: 'select 1', dialect: 'postgres', datasets, params: {} }));
    expect(run([{ name: 'order lines', source }])).toBe('ERR_VALIDATION');
    expect(run([{ name: 'public.orders', source }])).toBe('ERR_VALIDATION');
    expect(run([{ name: 'orders', source }, { name: 'ORDERS', source }])).toBe('ERR_VALIDATION');
  });

  it('refuses a policy source whose placeholders do not match its parameters', () => {
    const datasets = [{ name: 'orders', source: { sql: 'select * from t where tenant_id = ? and region = ?', parameters: [1] } }];
    expect(refusal(() => guardSql({ sql: 'select * from orders', dialect: 'postgres', datasets, params: {} }))).toBe('ERR_INTERNAL');
  });

  it('only knows the datasets it is given', () => {
    const onlyOrders = datasetsFor('postgres').filter((d) => d.name === 'orders');
    expect(refusal(() => guardSql({ sql: 'select * from customers', dialect: 'postgres', datasets: onlyOrders, params: {} }))).toBe(TABLE);
  });
});

// ---------------------------------------------------------------- compiled SQL

describe('guardSql output', () => {
  const sql = "select o.status, count(*) as N from Orders o join customers c on c.id = o.customer_id where o.created_at >= {{since}} and c.name <> 'it''s' group by o.status";

  it('rewrites datasets into policy subqueries with $n parameters for postgres', () => {
    const guarded = guard('postgres', sql, { since: '2024-01-01' });
    expect(guarded.sql).toBe(
      `SELECT "o"."status", COUNT(*) AS "n" FROM (\nselect * from "${ORDERS}" where tenant_id = $1\n) AS "o" INNER JOIN (\nselect * from "${CUSTOMERS}" where tenant_id = $2\n) AS "c" ON "c"."id" = "o"."customer_id" WHERE "o"."created_at" >= $3 AND "c"."name" <> 'it''s' GROUP BY "o"."status"`,
    );
    expect(guarded.parameters).toEqual([1, 1, '2024-01-01']);
    expect(guarded.datasets).toEqual(['orders', 'customers']);
  });

  it('rewrites datasets into policy subqueries with ? parameters for mysql', () => {
    const guarded = guard('mysql', sql, { since: '2024-01-01' });
    expect(guarded.sql).toBe(
      `SELECT \`o\`.\`status\`, COUNT(*) AS \`N\` FROM (\nselect * from \`${ORDERS}\` where tenant_id = ?\n) AS \`o\` INNER JOIN (\nselect * from \`${CUSTOMERS}\` where tenant_id = ?\n) AS \`c\` ON \`c\`.\`id\` = \`o\`.\`customer_id\` WHERE \`o\`.\`created_at\` >= ? AND \`c\`.\`name\` <> 'it''s' GROUP BY \`o\`.\`status\``,
    );
    expect(guarded.parameters).toEqual([1, 1, '2024-01-01']);
  });

  it('renames CTEs so that a reference can never reach a real table of the same name', () => {
    const guarded = guard('postgres', 'with users_secret as (select id from orders) select * from users_secret');
    expect(guarded.sql).toContain('WITH "__insight_cte_0" AS (SELECT "id" FROM (');
    expect(guarded.sql).toContain('FROM "__insight_cte_0" AS "users_secret"');
    expect(guarded.sql).not.toMatch(/FROM "users_secret"/);
  });

  it('binds a placeholder once per use and never interpolates its value', () => {
    const injection = "x' or '1'='1";
    const guarded = guard('postgres', 'select id from orders where status = {{q}} or status = {{q}}', { q: injection });
    expect(guarded.parameters).toEqual([1, injection, injection]);
    expect(guarded.sql).not.toContain(injection);
    expect(guarded.sql).toMatch(/"status" = \$2 OR "status" = \$3$/);
  });

  it('keeps a unary minus from turning into a comment', () => {
    expect(guard('postgres', 'select - -1 as one').sql).toBe('SELECT -(-1) AS "one"');
  });

  it('makes MySQL double-quoted strings single-quoted, so ANSI_QUOTES cannot turn them into names', () => {
    expect(guard('mysql', 'select "it\'s", "a""b" as x').sql).toBe("SELECT 'it''s', 'a\"b' AS `x`");
  });

  it('verifies a SQL text once and then only binds: the viewer and the values change, the checks hold', () => {
    const sql = 'select id from orders where status = {{q}}';
    const first = guard('mysql', sql, { q: 'paid' });
    const second = guardSql({ sql, dialect: 'mysql', datasets: datasetsFor('mysql', 2), params: { q: 'open' } });
    expect(second.sql).toBe(first.sql);
    expect(first.parameters).toEqual([1, 'paid']);
    expect(second.parameters).toEqual([2, 'open']);
    expect(refusal(() => guard('mysql', sql))).toBe('ERR_POLICY_PARAM_MISSING');
    // Another source text is another plan, checked from scratch.
    const secret = [{ name: 'orders', source: { sql: `select * from ${quote('mysql', SECRET)} where tenant_id = ?`, parameters: [1] } }];
    expect(guardSql({ sql, dialect: 'mysql', datasets: secret, params: { q: 'x' } }).sql).toContain(SECRET);
  });

  it('lists the datasets a query reads without compiling anything', () => {
    const sql = 'with o as (select * from Orders) select * from o join customers c on true where exists (select 1 from ORDERS)';
    expect(referencedDatasets({ sql, dialect: 'postgres', datasets: ['orders', 'customers', 'products'] })).toEqual(['orders', 'customers']);
    expect(refusal(() => referencedDatasets({ sql: 'select * from products', dialect: 'mysql', datasets: ['orders'] }))).toBe(TABLE);
  });

  it('strips comments: none reaches the database', () => {
    const guarded = guard('mysql', 'select id /* why */ from orders # mysql comment\n-- dash comment\nwhere id > 0');
    expect(guarded.sql).not.toMatch(/why|comment/);
  });
});

// ---------------------------------------------------------------- execution on the real databases

interface Runner {
  dialect: Dialect;
  run(sql: string, parameters: unknown[]): Promise<Record<string, unknown>[]>;
}

const ROWS = {
  orders: [
    [1, 1, 1, 'paid', 10, '2024-01-05'],
    [2, 1, 1, 'open', 20, '2024-02-10'],
    [3, 1, 2, 'paid', 30, '2024-02-20'],
    [4, 2, 3, 'paid', 400, '2024-01-07'],
    [5, 2, 3, 'open', 500, '2024-03-01'],
    [6, 2, 3, 'paid', 600, '2024-03-02'],
  ],
  customers: [
    [1, 1, 'Ada'],
    [2, 1, 'Bob'],
    [3, 2, 'Eve'],
  ],
};

const SETUP = [
  (q: (n: string) => string) => `create table ${q(ORDERS)} (id int primary key, tenant_id int not null, customer_id int not null, status varchar(20) not null, amount int not null, created_at date not null)`,
  (q: (n: string) => string) => `create table ${q(CUSTOMERS)} (id int primary key, tenant_id int not null, name varchar(40) not null)`,
  (q: (n: string) => string) => `create table ${q(SECRET)} (id int primary key, tenant_id int not null, password varchar(40) not null)`,
  (q: (n: string) => string) => `insert into ${q(ORDERS)} values ${ROWS.orders.map((r) => `(${r.slice(0, 3).join(', ')}, '${r[3]}', ${r[4]}, '${r[5]}')`).join(', ')}`,
  (q: (n: string) => string) => `insert into ${q(CUSTOMERS)} values ${ROWS.customers.map((r) => `(${r[0]}, ${r[1]}, '${r[2]}')`).join(', ')}`,
  (q: (n: string) => string) => `insert into ${q(SECRET)} values (1, 2, 'hunter2')`,
];

/** Numbers come back as strings for some aggregates (pg numeric/bigint, MySQL DECIMAL): compare loosely. */
function plain(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' || (typeof v === 'string' && /^-?\d+(\.0+)?$/.test(v)) ? Number(v) : v])));
}

interface Confined {
  name: string;
  sql: string | Record<Dialect, string>;
  params?: Record<string, unknown>;
  /** Expected rows (after `plain`), in order. */
  rows: Record<string, unknown>[];
}

const EXECUTED: Confined[] = [
  // positive cases
  {
    name: 'a normal aggregate query',
    sql: 'select status, count(*) as n, sum(amount) as total from orders group by status order by status',
    rows: [{ status: 'open', n: 1, total: 20 }, { status: 'paid', n: 2, total: 40 }],
  },
  {
    name: 'a CTE and a JOIN between two datasets',
    sql: 'with big as (select * from orders where amount >= 20) select c.name, count(*) as n from big join customers c on c.id = big.customer_id group by c.name order by c.name',
    rows: [{ name: 'Ada', n: 1 }, { name: 'Bob', n: 1 }],
  },
  {
    name: 'a UNION of two datasets',
    sql: "select id, 'order' as kind from orders union all select id, 'customer' as kind from customers order by kind, id",
    rows: [{ id: 1, kind: 'customer' }, { id: 2, kind: 'customer' }, { id: 1, kind: 'order' }, { id: 2, kind: 'order' }, { id: 3, kind: 'order' }],
  },
  {
    name: 'window functions',
    sql: 'select id, row_number() over (order by amount desc) as rn, sum(amount) over () as total, lag(id) over (order by id) as prev from orders order by id',
    rows: [{ id: 1, rn: 3, total: 60, prev: null }, { id: 2, rn: 2, total: 60, prev: 1 }, { id: 3, rn: 1, total: 60, prev: 2 }],
  },
  {
    name: 'a subquery in WHERE over a dataset',
    sql: "select id from orders where customer_id in (select id from customers where name = 'Ada') order by id",
    rows: [{ id: 1 }, { id: 2 }],
  },
  {
    name: 'a {{param}} in WHERE and LIMIT',
    sql: 'select id from orders where created_at >= {{since}} order by id limit {{n}}',
    params: { since: '2024-02-01', n: 1 },
    rows: [{ id: 2 }],
  },
  // hostile but harmless: the policy still holds
  { name: 'OR 1=1', sql: 'select id, tenant_id from orders where tenant_id = 2 or 1=1 order by id', rows: [{ id: 1, tenant_id: 1 }, { id: 2, tenant_id: 1 }, { id: 3, tenant_id: 1 }] },
  { name: 'upper-case dataset name', sql: 'select count(*) as n, max(tenant_id) as t from ORDERS', rows: [{ n: 3, t: 1 }] },
  { name: 'mixed-case dataset name', sql: 'select count(*) as n, max(Orders.tenant_id) as t from Orders', rows: [{ n: 3, t: 1 }] },
  { name: 'quoted upper-case dataset name', sql: { postgres: 'select count(*) as n from "ORDERS"', mysql: 'select count(*) as n from `ORDERS`' }, rows: [{ n: 3 }] },
  { name: 'self join stays inside the tenant', sql: 'select count(*) as n from orders a, orders b', rows: [{ n: 9 }] },
  {
    name: 'correlated subquery',
    sql: 'select o.id, (select count(*) from orders o2 where o2.customer_id = o.customer_id) as same from orders o order by o.id',
    rows: [{ id: 1, same: 2 }, { id: 2, same: 2 }, { id: 3, same: 1 }],
  },
  { name: 'looking for another tenant through EXISTS', sql: 'select id from orders o where exists (select 1 from orders x where x.tenant_id <> o.tenant_id)', rows: [] },
  { name: 'a CTE named like a real non-dataset table', sql: `with ${SECRET} as (select id, tenant_id from orders) select max(tenant_id) as t, count(*) as n from ${SECRET}`, rows: [{ t: 1, n: 3 }] },
  { name: 'a CTE shadowing the dataset name', sql: 'with orders as (select * from orders where amount > 10) select id from orders order by id', rows: [{ id: 2 }, { id: 3 }] },
  { name: 'recursive CTE', sql: 'with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select count(*) as c from r', rows: [{ c: 3 }] },
  { name: 'an injection string as a param value', sql: 'select id from orders where status = {{q}}', params: { q: "paid' or '1'='1" }, rows: [] },
  { name: 'a quote-breaking param value', sql: 'select id from orders where status = {{q}} or status = {{q}}', params: { q: "x' or tenant_id = 2 --" }, rows: [] },
  { name: "a param asking for another tenant's rows", sql: 'select id from orders where tenant_id = {{tenant_id}}', params: { tenant_id: 2 }, rows: [] },
  { name: 'a line comment hiding a second statement', sql: 'select id from orders -- ; delete from orders\norder by id', rows: [{ id: 1 }, { id: 2 }, { id: 3 }] },
  {
    name: 'a quote inside a literal that the regenerated SQL must keep inside it',
    sql: { postgres: "select 'a'' union select 1 -- ' as s, count(*) as n from orders", mysql: 'select "a\' union select 1 -- " as s, count(*) as n from orders' },
    rows: [{ s: "a' union select 1 -- ", n: 3 }],
  },
  { name: 'a comment opener inside a literal', sql: "select '/*' as s, count(*) as n from orders -- */ union select * from users_secret", rows: [{ s: '/*', n: 3 }] },
  { name: 'a trailing semicolon', sql: 'select count(*) as n from orders;', rows: [{ n: 3 }] },
  { name: 'double unary minus', sql: 'select - -1 as one, count(*) as n from orders', rows: [{ one: 1, n: 3 }] },
  { name: 'max tenant over a UNION of datasets', sql: 'select max(tenant_id) as t from (select tenant_id from orders union all select tenant_id from customers) u', rows: [{ t: 1 }] },
  { name: 'left join both ways', sql: 'select c.name, count(o.id) as n from customers c left join orders o on o.customer_id = c.id group by c.name order by c.name', rows: [{ name: 'Ada', n: 2 }, { name: 'Bob', n: 1 }] },
];

/** Dialect-specific SQL that must simply run (the serialiser's output is real SQL) and stay in tenant 1. */
const RUNS: Record<Dialect, string[]> = {
  postgres: [
    "select date_trunc('month', created_at) as month, count(*) from orders group by 1 order by 1",
    "select extract(year from created_at) as y, to_char(created_at, 'YYYY-MM') as m, date_part('month', created_at) as dm from orders",
    "select created_at + interval '1 day' as next, cast(amount as numeric(10, 2)) as a, amount::text as t from orders",
    "select case when amount > 15 then 'big' else 'small' end as size, coalesce(status, 'none') as s, nullif(amount, 0) as a from orders",
    "select string_agg(status, ',' order by status) as s, count(distinct status) as d, count(*) filter (where amount > 10) as f from orders",
    'select sum(amount) over (order by id rows between unbounded preceding and current row) as running, ntile(2) over w as tile from orders window w as (order by id)',
    'select distinct on (status) status, amount from orders order by status, amount desc nulls last',
    "select * from orders where status in ('paid', 'open') and amount between 1 and 100 and status like 'p%' and status ilike 'P%' limit 2 offset 1",
    'select * from orders o, lateral (select count(*) as c from customers where customers.id = o.customer_id) x',
    "select lower(status), upper(status), length(status), substring(status, 1, 2), trim(status), concat(status, 'x'), replace(status, 'a', 'b'), left(status, 1), right(status, 1), position('a' in status), split_part(status, 'a', 1), lpad(status, 6, '0') from orders",
    'select round(avg(amount)::numeric, 2) as a, abs(min(amount)), greatest(1, 2), least(1, 2), floor(1.5), ceil(1.5), power(2, 3), sqrt(4), ln(1), exp(0), mod(5, 2) from orders',
    "select * from orders where created_at >= date '2024-01-01' and created_at < timestamp '2025-01-01 00:00:00' and now() > created_at and current_date > created_at",
    'select id from orders where amount = any(array[10, 20]) and exists (select 1 from customers c where c.id = orders.customer_id)',
    'select "id", "Status" from (select id, status as "Status" from orders) s',
  ],
  mysql: [
    "select date_format(created_at, '%Y-%m') as month, count(*) from orders group by 1 order by 1",
    'select extract(year from created_at) as y, year(created_at), month(created_at), day(created_at), quarter(created_at), week(created_at), dayofweek(created_at) from orders',
    'select created_at + interval 1 day as next, date_add(created_at, interval 2 hour) as later, date_sub(created_at, interval 1 month) as earlier, datediff(created_at, created_at) as d, cast(amount as decimal(10, 2)) as a, cast(amount as signed) as s from orders',
    "select group_concat(status order by status separator ',') as s, count(distinct status) as d from orders",
    'select sum(amount) over (order by id rows between unbounded preceding and current row) as running, ntile(2) over w as tile from orders window w as (order by id)',
    "select * from orders where status in ('paid', \"open\") and amount between 1 and 100 and status like 'p%' limit 1, 2",
    "select round(avg(amount), 2) as a, abs(min(amount)), ifnull(max(status), 'x'), if(count(*) > 1, 'a', 'b'), truncate(1.55, 1) from orders",
    "select lower(status), upper(status), length(status), substring(status, 1, 2), trim(status), concat(status, 'x'), replace(status, 'a', 'b'), left(status, 1), lpad(status, 6, '0'), locate('a', status), substring_index(status, 'a', 1) from orders",
    'select now() > created_at, current_date > created_at, curdate() > created_at from orders',
    'select 1 from dual',
    'select `id`, `Status` from (select id, status as `Status` from orders) s',
  ],
};

async function postgresRunner(): Promise<{ runner: Runner; close: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  const q = (n: string) => `"${n}"`;
  for (const table of [ORDERS, CUSTOMERS, SECRET]) await client.query(`drop table if exists ${q(table)}`);
  for (const statement of SETUP) await client.query(statement(q));
  return {
    runner: { dialect: 'postgres', run: async (sql, parameters) => (await client.query(sql, parameters)).rows },
    close: async () => {
      for (const table of [ORDERS, CUSTOMERS, SECRET]) await client.query(`drop table if exists ${q(table)}`);
      await client.end();
    },
  };
}

async function mysqlRunner(): Promise<{ runner: Runner; close: () => Promise<void> }> {
  const connection = await mysql.createConnection({ uri: MYSQL_URL, dateStrings: true });
  const q = (n: string) => `\`${n}\``;
  for (const table of [ORDERS, CUSTOMERS, SECRET]) await connection.query(`drop table if exists ${q(table)}`);
  for (const statement of SETUP) await connection.query(statement(q));
  return {
    runner: {
      dialect: 'mysql',
      // Prepared statements: the server binds the parameters, as the connector does.
      run: async (sql, parameters) => (await connection.execute(sql, parameters as never[]))[0] as Record<string, unknown>[],
    },
    close: async () => {
      for (const table of [ORDERS, CUSTOMERS, SECRET]) await connection.query(`drop table if exists ${q(table)}`);
      await connection.end();
    },
  };
}

const available: Record<Dialect, boolean> = {
  postgres: await serviceAvailable('postgres'),
  mysql: await serviceAvailable('mysql'),
};

for (const dialect of DIALECTS) {
  describe.skipIf(!available[dialect])(`guarded SQL on ${dialect === 'postgres' ? 'PostgreSQL' : 'MariaDB'}`, () => {
    let runner: Runner;
    let close: () => Promise<void> = async () => {};

    beforeAll(async () => {
      ({ runner, close } = dialect === 'postgres' ? await postgresRunner() : await mysqlRunner());
    });
    afterAll(() => close());

    const execute = async (sql: string, params: Record<string, unknown> = {}) => {
      const guarded = guard(dialect, sql, params);
      return plain(await runner.run(guarded.sql, guarded.parameters));
    };

    it.each(EXECUTED)('$name returns only the viewer\'s rows', async ({ sql, params, rows }) => {
      const text = typeof sql === 'string' ? sql : sql[dialect];
      expect(await execute(text, params)).toEqual(rows);
    });

    it.each(RUNS[dialect])('runs: %s', async (sql) => {
      const rows = await execute(sql);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) if ('tenant_id' in row) expect(row.tenant_id).toBe(1);
    });

    it('reads the same dataset as another tenant only through that tenant\'s policy', async () => {
      const guarded = guardSql({ sql: 'select id from orders order by id', dialect, datasets: datasetsFor(dialect, 2), params: {} });
      expect(plain(await runner.run(guarded.sql, guarded.parameters))).toEqual([{ id: 4 }, { id: 5 }, { id: 6 }]);
    });

    it('left the tables intact after every hostile attempt', async () => {
      const guarded = guard(dialect, 'select count(*) as n from orders');
      expect(plain(await runner.run(guarded.sql, guarded.parameters))).toEqual([{ n: 3 }]);
      expect(plain(await runner.run(`select count(*) as n from ${quote(dialect, SECRET)}`, []))).toEqual([{ n: 1 }]);
    });
  });
}
