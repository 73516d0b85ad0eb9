/**
 * An `orders` table for tenants 1 and 2 in the real PostgreSQL or MariaDB,
 * readable by a dedicated SELECT-only user with a password (as the README
 * recommends for production), so tests can connect through the admin API
 * exactly as a vendor would and check that the password never comes back.
 * Every name is unique to the run; `drop()` removes the table and the user.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseConnectionUrl } from '../connectors/connection-url.ts';
import { MYSQL_URL, POSTGRES_URL } from './services.ts';

export interface OrdersFixture {
  table: string;
  /** The reader's credentials and where to reach the database. */
  reader: { host: string; port: number; database: string; user: string; password: string };
  /** A connection URL for the reader, password included. */
  readerUrl: string;
  /** Plain SQL as the database owner, bypassing the engine (the truth to compare with). */
  direct<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** 40 orders over January to April 2024: tenant 1 has the odd ids, tenant 2 the even ones. */
export const ORDER_ROWS: Array<{ id: number; tenantId: number; placedAt: string; status: string; amount: string }> = Array.from({ length: 40 }, (_, i) => {
  const id = i + 1;
  // Consecutive pairs share a month, so each tenant has orders in every month.
  const month = (Math.floor(i / 2) % 4) + 1;
  const day = (i % 27) + 1;
  return {
    id,
    tenantId: id % 2 === 1 ? 1 : 2,
    placedAt: `2024-0${month}-${String(day).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:15:00`,
    status: ['paid', 'shipped', 'refunded'][i % 3] as string,
    amount: `${(i * 7.25 + 3).toFixed(2)}`,
  };
});

const uniqueSuffix = () => `${process.pid}_${randomBytes(3).toString('hex')}`;
// Characters that need percent-encoding in a URL, so the URL path is exercised too.
const newPassword = () => `pw_${randomBytes(8).toString('hex')}_#%@`;

export async function createPostgresOrders(): Promise<OrdersFixture> {
  const url = parseConnectionUrl(POSTGRES_URL);
  const suffix = uniqueSuffix();
  const table = `admin_orders_${suffix}`;
  const user = `ie_reader_${suffix}`;
  const password = newPassword();
  const owner = new pg.Client({ host: url.host, port: url.port, database: url.database, user: url.user, password: url.password });
  await owner.connect();
  await owner.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, tenant_id integer NOT NULL, placed_at timestamp NOT NULL, status text NOT NULL, amount numeric(10, 2) NOT NULL)`);
  for (const r of ORDER_ROWS) {
    await owner.query(`INSERT INTO ${table} VALUES ($1, $2, $3, $4, $5)`, [r.id, r.tenantId, r.placedAt, r.status, r.amount]);
  }
  await owner.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
  await owner.query(`GRANT SELECT ON ${table} TO ${user}`);
  const reader = { host: url.host, port: url.port, database: url.database, user, password };
  return {
    table,
    reader,
    readerUrl: `postgres://${user}:${encodeURIComponent(password)}@${url.host}:${url.port}/${url.database}`,
    async direct(sql, params = []) {
      return (await owner.query(sql, params)).rows;
    },
    async drop() {
      // CASCADE: tests may build views over the table (granted to the reader, which must go before the role).
      await owner.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
      await owner.query(`DROP ROLE IF EXISTS ${user}`);
      await owner.end();
    },
  };
}

export async function createMysqlOrders(): Promise<OrdersFixture> {
  const url = parseConnectionUrl(MYSQL_URL);
  const suffix = uniqueSuffix();
  const table = `admin_orders_${suffix}`;
  const user = `ie_r_${suffix}`;
  const password = newPassword();
  const owner = await mysql.createConnection({ host: url.host, port: url.port, database: url.database, user: url.user, ...(url.password ? { password: url.password } : {}) });
  await owner.query(`CREATE TABLE ${table} (id int PRIMARY KEY, tenant_id int NOT NULL, placed_at datetime NOT NULL, status varchar(20) NOT NULL, amount decimal(10, 2) NOT NULL)`);
  for (const r of ORDER_ROWS) {
    await owner.query(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ?)`, [r.id, r.tenantId, r.placedAt, r.status, r.amount]);
  }
  await owner.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [user, password]);
  await owner.query(`GRANT SELECT ON \`${url.database}\`.\`${table}\` TO ?@'%'`, [user]);
  const reader = { host: url.host, port: url.port, database: url.database, user, password };
  return {
    table,
    reader,
    readerUrl: `mysql://${user}:${encodeURIComponent(password)}@${url.host}:${url.port}/${url.database}`,
    async direct(sql, params = []) {
      const [rows] = await owner.query(sql, params);
      return rows as never[];
    },
    async drop() {
      await owner.query(`DROP TABLE IF EXISTS ${table}`);
      await owner.query(`DROP USER IF EXISTS ?@'%'`, [user]);
      await owner.end();
    },
  };
}
