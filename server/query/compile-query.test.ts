import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInsightError } from '../errors/insight-error.ts';
import type { DatasetColumn } from '../store/store-schema.ts';
import { MYSQL_URL, POSTGRES_URL, serviceAvailable } from '../testing/services.ts';
import { compileStructuredQuery, type CompileDataset } from './compile-query.ts';
import { resolveDatePreset } from './date-presets.ts';
import { resolveRelativeDates, structuredQuerySchema, type StructuredQuery } from './structured-query.ts';

const table = `compile_sales_${process.pid}`;
const columns: DatasetColumn[] = [
  { name: 'tenant_id', type: 'number', role: 'dimension' },
  { name: 'sold_on', type: 'date', role: 'time' },
  { name: 'region', type: 'string', role: 'dimension' },
  { name: 'product', type: 'string', role: 'dimension' },
  { name: 'amount', type: 'number', role: 'measure' },
];
const dataset: CompileDataset = { source_table: table, source_sql: null, row_policy: 'tenant_id = {{tenant_id}}', columns };

// tenant, day, region, product, amount
const ROWS: Array<[number, string, string, string | null, number]> = [
  [1, '2024-01-05', 'West', 'Tent Pro', 100],
  [1, '2024-01-20', 'West', 'Tent Lite', 50],
  [1, '2024-02-03', 'East', 'Boots', 70],
  [1, '2024-02-28', 'West', 'Tent Pro', 30],
  [1, '2024-03-15', 'North', null, 999],
  [2, '2024-01-07', 'West', 'Tent Pro', 5000],
  [2, '2024-02-09', 'East', 'Tent Max', 7000],
];

const query: StructuredQuery = structuredQuerySchema.parse({
  dataset: 'sales',
  dimensions: [{ column: 'sold_on', grain: 'month', as: 'month' }],
  measures: [
    { agg: 'sum', column: 'amount', as: 'revenue' },
    { agg: 'count', as: 'sales' },
    { agg: 'count_distinct', column: 'product', as: 'products' },
  ],
  filters: [
    { column: 'region', op: 'in', value: ['West', 'East'] },
    { column: 'product', op: 'contains', value: 'tent' },
    { column: 'sold_on', op: 'between', value: ['2024-01-01', '2024-02-29'] },
    { column: 'product', op: 'not_null' },
  ],
  sort: [{ field: 'month', direction: 'asc' }],
  limit: 100,
});

// Tenant 1, West/East, product containing "tent", Jan–Feb 2024: Jan = 100 + 50 (2 sales, 2 products), Feb = 30 (1 sale).
const EXPECTED = [
  ['2024-01-01', 150, 2, 2],
  ['2024-02-01', 30, 1, 1],
];

describe('compileStructuredQuery', () => {
  it('compiles the same query for PostgreSQL and MySQL with every value bound', () => {
    const postgres = compileStructuredQuery(query, dataset, { dialect: 'postgres', params: { tenant_id: 1 } });
    expect(postgres.sql).toBe(
      `select cast(date_trunc('month', "ds"."sold_on") as date) as "month", sum("ds"."amount") as "revenue", count(*) as "sales", count(distinct "ds"."product") as "products" ` +
        `from (select * from "${table}" where tenant_id = $1) as "ds" ` +
        `where "ds"."region" in ($2, $3) and lower("ds"."product") like lower($4) and "ds"."sold_on" between $5 and $6 and "ds"."product" is not null ` +
        `group by cast(date_trunc('month', "ds"."sold_on") as date) order by "month" asc limit $7`,
    );
    expect(postgres.parameters).toEqual([1, 'West', 'East', '%tent%', '2024-01-01', '2024-02-29', 100]);

    const mysqlSql = compileStructuredQuery(query, dataset, { dialect: 'mysql', params: { tenant_id: 1 } });
    expect(mysqlSql.sql).toBe(
      "select cast(date_format(`ds`.`sold_on`, '%Y-%m-01') as date) as `month`, sum(`ds`.`amount`) as `revenue`, count(*) as `sales`, count(distinct `ds`.`product`) as `products` " +
        `from (select * from \`${table}\` where tenant_id = ?) as \`ds\` ` +
        "where `ds`.`region` in (?, ?) and lower(`ds`.`product`) like lower(?) and `ds`.`sold_on` between ? and ? and `ds`.`product` is not null " +
        "group by cast(date_format(`ds`.`sold_on`, '%Y-%m-01') as date) order by `month` asc limit ?",
    );
    expect(mysqlSql.parameters).toEqual(postgres.parameters);
  });

  it('refuses columns the dataset does not describe, and sorting by what the query does not return', () => {
    const codeOf = (q: unknown) => {
      try {
        compileStructuredQuery(structuredQuerySchema.parse(q), dataset, { dialect: 'postgres', params: { tenant_id: 1 } });
        return 'compiled';
      } catch (e) {
        return isInsightError(e) ? e.code : String(e);
      }
    };
    expect(codeOf({ dataset: 'sales', dimensions: [{ column: 'secret' }] })).toBe('ERR_COLUMN_UNKNOWN');
    expect(codeOf({ dataset: 'sales', measures: [{ agg: 'sum', column: 'amount' }], sort: [{ field: 'region' }] })).toBe('ERR_COLUMN_UNKNOWN');
    expect(codeOf({ dataset: 'sales', measures: [{ agg: 'sum' }] })).toBe('ERR_QUERY_INVALID');
    expect(() => structuredQuerySchema.parse({ dataset: 'sales', dimensions: [{ column: 'a"; drop table x; --' }] })).toThrow();
  });

  it('denies a query when the policy parameter is missing (fail closed)', () => {
    expect(() => compileStructuredQuery(query, dataset, { dialect: 'postgres', params: {} })).toThrowError(expect.objectContaining({ code: 'ERR_POLICY_PARAM_MISSING' }));
  });
});

describe('relative dates', () => {
  const now = new Date(Date.UTC(2026, 10, 21, 15, 30));
  it('resolves presets to inclusive day ranges', () => {
    expect(resolveDatePreset('last_7_days', now)).toEqual({ from: '2026-11-15', to: '2026-11-21' });
    expect(resolveDatePreset('this_month', now)).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(resolveDatePreset('last_month', now)).toEqual({ from: '2026-10-01', to: '2026-10-31' });
    expect(resolveDatePreset('this_quarter', now)).toEqual({ from: '2026-10-01', to: '2026-12-31' });
    expect(resolveDatePreset('last_quarter', now)).toEqual({ from: '2026-07-01', to: '2026-09-30' });
    expect(resolveDatePreset('last_year', now)).toEqual({ from: '2025-01-01', to: '2025-12-31' });
    expect(resolveDatePreset('last_month', new Date(Date.UTC(2026, 0, 10)))).toEqual({ from: '2025-12-01', to: '2025-12-31' });
  });

  it('turns a relative_date filter into a between filter for the moment it runs', () => {
    const q = structuredQuerySchema.parse({ dataset: 'sales', filters: [{ column: 'sold_on', op: 'relative_date', value: 'last_year' }] });
    expect(resolveRelativeDates(q, now).filters).toEqual([{ column: 'sold_on', op: 'between', value: ['2025-01-01', '2025-12-31'] }]);
  });
});

describe.skipIf(!(await serviceAvailable('postgres')))('compiled SQL on PostgreSQL', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`create table ${table} (tenant_id int, sold_on date, region text, product text, amount numeric(10,2))`);
    for (const r of ROWS) await client.query(`insert into ${table} values ($1, $2, $3, $4, $5)`, r);
  });
  afterAll(async () => {
    await client?.query(`drop table if exists ${table}`);
    await client?.end();
  });

  it('returns the expected rows for the tenant only', async () => {
    const compiled = compileStructuredQuery(query, dataset, { dialect: 'postgres', params: { tenant_id: 1 } });
    const { rows } = await client.query({ text: compiled.sql, values: [...compiled.parameters], rowMode: 'array' });
    const normalised = rows.map((r: unknown[]) => [(r[0] as Date).toISOString().slice(0, 10), Number(r[1]), Number(r[2]), Number(r[3])]);
    expect(normalised).toEqual(EXPECTED);
  });
});

describe.skipIf(!(await serviceAvailable('mysql')))('compiled SQL on MariaDB', () => {
  let connection: mysql.Connection;
  beforeAll(async () => {
    connection = await mysql.createConnection({ uri: MYSQL_URL, dateStrings: true });
    await connection.query(`create table ${table} (tenant_id int, sold_on date, region varchar(20), product varchar(50), amount decimal(10,2))`);
    for (const r of ROWS) await connection.execute(`insert into ${table} values (?, ?, ?, ?, ?)`, r);
  });
  afterAll(async () => {
    await connection?.query(`drop table if exists ${table}`);
    await connection?.end();
  });

  it('returns the same rows as PostgreSQL', async () => {
    const compiled = compileStructuredQuery(query, dataset, { dialect: 'mysql', params: { tenant_id: 1 } });
    const [rows] = await connection.execute({ sql: compiled.sql, rowsAsArray: true }, compiled.parameters as never[]);
    const normalised = (rows as unknown[][]).map((r) => [String(r[0]), Number(r[1]), Number(r[2]), Number(r[3])]);
    expect(normalised).toEqual(EXPECTED);
  });
});
