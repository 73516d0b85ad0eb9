/**
 * The orders table the uncached-card benches query, in the real PostgreSQL
 * and MariaDB: filling it with a deterministic spread, the dataset's columns,
 * the card's query and its tenant. Shared by bench/uncached-card-data.ts (in
 * process) and bench/uncached-card-http.ts (over HTTP).
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseConnectionUrl } from '../server/connectors/connection-url.ts';
import type { Dialect } from '../server/connectors/connector.ts';
import type { StructuredQuery } from '../server/query/structured-query.ts';
import type { DatasetColumn } from '../server/store/store-schema.ts';
import { MYSQL_URL, POSTGRES_URL } from '../server/testing/services.ts';
/** The tenant the card shows: 30 % of the rows (tenants hold 60 %, 30 % and 10 %). */
export const TENANT = 2;
export const DAY_MS = 86_400_000;
/** First day of the moving window; the data spans about two years from 2023-01-01. */
export const WINDOW_BASE = Date.UTC(2023, 2, 1);

export interface Target {
  dialect: Dialect;
  connectionUrl: string;
  table: string;
  fill(rows: number): Promise<void>;
  /** The compiled SQL and parameters through the bare driver. */
  runRaw(sql: string, parameters: readonly unknown[]): Promise<unknown[]>;
  count(sql: string, parameters: unknown[]): Promise<number>;
  drop(): Promise<void>;
  close(): Promise<void>;
}

export async function postgresTarget(table: string): Promise<Target> {
  const url = parseConnectionUrl(POSTGRES_URL);
  const pool = new pg.Pool({ host: url.host, port: url.port, database: url.database, user: url.user, password: url.password, max: 4 });
  return {
    dialect: 'postgres',
    connectionUrl: POSTGRES_URL,
    table,
    async fill(rows) {
      await pool.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, tenant_id integer NOT NULL, placed_at timestamp NOT NULL, status text NOT NULL, region text NOT NULL, amount numeric(10, 2) NOT NULL)`);
      // Deterministic spread: tenants 60/30/10 %, orders evenly over two years from 2023-01-01.
      await pool.query(
        `INSERT INTO ${table}
         SELECT g, CASE WHEN g % 10 < 6 THEN 1 WHEN g % 10 < 9 THEN 2 ELSE 3 END,
                timestamp '2023-01-01' + (g * ${secondsPerRow(rows)}) * interval '1 second',
                (array['paid', 'shipped', 'refunded', 'pending'])[1 + (g * 7 % 4)],
                (array['North', 'South', 'East', 'West', 'Central'])[1 + (g * 13 % 5)],
                round(5 + (g * 7919 % 50000) / 100.0, 2)
           FROM generate_series(1::bigint, $1::bigint) AS g`,
        [rows],
      );
      await pool.query(`CREATE INDEX ${table}_tenant_placed ON ${table} (tenant_id, placed_at)`);
      await pool.query(`ANALYZE ${table}`);
    },
    async runRaw(sql, parameters) {
      return (await pool.query({ text: sql, values: [...parameters], rowMode: 'array' })).rows;
    },
    async count(sql, parameters) {
      return Number((await pool.query(sql, parameters)).rows[0]?.n);
    },
    async drop() {
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
    },
    close: () => pool.end(),
  };
}

export async function mysqlTarget(table: string): Promise<Target> {
  const url = parseConnectionUrl(MYSQL_URL);
  const pool = mysql.createPool({ host: url.host, port: url.port, database: url.database, user: url.user, ...(url.password ? { password: url.password } : {}), connectionLimit: 4 });
  return {
    dialect: 'mysql',
    connectionUrl: MYSQL_URL,
    table,
    async fill(rows) {
      await pool.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, tenant_id int NOT NULL, placed_at datetime NOT NULL, status varchar(16) NOT NULL, region varchar(16) NOT NULL, amount decimal(10, 2) NOT NULL) ENGINE=InnoDB`);
      // MariaDB's Sequence engine stands in for generate_series; same values as on PostgreSQL.
      await pool.query(
        `INSERT INTO ${table}
         SELECT seq, CASE WHEN seq % 10 < 6 THEN 1 WHEN seq % 10 < 9 THEN 2 ELSE 3 END,
                TIMESTAMP '2023-01-01 00:00:00' + INTERVAL (seq * ${secondsPerRow(rows)}) SECOND,
                ELT(1 + (seq * 7 % 4), 'paid', 'shipped', 'refunded', 'pending'),
                ELT(1 + (seq * 13 % 5), 'North', 'South', 'East', 'West', 'Central'),
                ROUND(5 + (seq * 7919 % 50000) / 100, 2)
           FROM seq_1_to_${Math.floor(rows)}`,
      );
      await pool.query(`CREATE INDEX ${table}_tenant_placed ON ${table} (tenant_id, placed_at)`);
      await pool.query(`ANALYZE TABLE ${table}`);
    },
    async runRaw(sql, parameters) {
      const [rows] = await pool.execute({ sql, rowsAsArray: true }, [...parameters] as never[]);
      return rows as unknown[];
    },
    async count(sql, parameters) {
      const [rows] = await pool.query(sql, parameters);
      return Number((rows as Array<{ n: unknown }>)[0]?.n);
    },
    async drop() {
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
    },
    close: () => pool.end(),
  };
}

/** Spacing that spreads any number of rows over the two years the windows move in. */
const secondsPerRow = (rows: number) => Math.max(1, Math.floor((2 * 365 * DAY_MS) / 1000 / rows));

export const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

/** The orders dataset's columns. */
export const ORDER_COLUMNS: DatasetColumn[] = [
  { name: 'id', type: 'number', role: 'dimension' },
  { name: 'tenant_id', type: 'number', role: 'dimension' },
  { name: 'placed_at', label: 'Placed', type: 'datetime', role: 'time' },
  { name: 'status', type: 'string', role: 'dimension' },
  { name: 'region', type: 'string', role: 'dimension' },
  { name: 'amount', label: 'Amount', type: 'number', role: 'measure', format: 'currency:USD' },
];

/** The card's own query, without the story filter. */
export const CARD_QUERY = {
  dimensions: [{ column: 'placed_at', grain: 'month', as: 'month' }],
  measures: [{ agg: 'sum', column: 'amount', as: 'revenue' }, { agg: 'count', as: 'orders' }],
  filters: [{ column: 'status', op: 'in', value: ['paid', 'shipped'] }],
  sort: [{ field: 'month', direction: 'asc' }],
} satisfies Omit<StructuredQuery, 'dataset'>;
