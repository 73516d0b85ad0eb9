/**
 * The envelope is the last layer: SQL that slipped past the SQL guard still
 * cannot change the database. One contract per connector, on the real
 * PostgreSQL and MariaDB (connected as their superusers, the worst case a
 * vendor can configure) and on PGlite: a function that writes a row fails in
 * the read-only transaction, and what PostgreSQL lets a read-only
 * transaction create (a large object) does not outlive it.
 */
import { PGlite } from '@electric-sql/pglite';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionUrl } from './connection-url.ts';
import type { Connector } from './connector.ts';
import { createMysqlConnector } from './mysql-connector.ts';
import { createPGliteConnector } from './pglite-connector.ts';
import { createPostgresConnector } from './postgres-connector.ts';
import { MYSQL_URL, POSTGRES_URL, serviceAvailable } from '../testing/services.ts';

const suffix = `${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
const OPTIONS = { timeoutMs: 5000, maxRows: 10 };

interface Target {
  connector: Connector;
  /** A statement that calls a function which inserts a row into the probe table. */
  writeCall: string;
  probeRows(): Promise<number>;
  /** Large objects in the database, or undefined where there are none (MariaDB). */
  largeObjects?(): Promise<number>;
  close(): Promise<void>;
}

function envelopeContract(name: string, available: boolean, setup: () => Promise<Target>) {
  describe.skipIf(!available)(`read-only envelope on ${name}`, () => {
    let target: Target;
    beforeAll(async () => {
      target = await setup();
    });
    afterAll(async () => {
      await target?.close();
    });

    it('refuses a write made by a function the statement calls', async () => {
      await expect(target.connector.execute(target.writeCall, [], OPTIONS)).rejects.toMatchObject({ code: 'ERR_QUERY_FAILED', extensions: expect.objectContaining({ sqlstate: '25006' }) });
      expect(await target.probeRows()).toBe(0);
    });

    it.skipIf(name === 'MariaDB')('keeps no large object created inside the read-only transaction', async () => {
      const before = await target.largeObjects!();
      // PostgreSQL 15 runs it in a read-only transaction (the rollback undoes it); newer versions refuse it.
      const outcome = await target.connector.execute("select lo_from_bytea(0, 'written by a read') as oid", [], OPTIONS).then(
        (result) => result.rows.length,
        (error: { code?: string }) => error.code,
      );
      expect([1, 'ERR_QUERY_FAILED']).toContain(outcome);
      expect(await target.largeObjects!()).toBe(before);
    });

    it('introspects in the same envelope and still returns the tables', async () => {
      const schema = await target.connector.introspect({ timeoutMs: 5000 });
      expect(schema.tables.map((t) => t.name)).toContain(`envelope_probe_${suffix}`);
      await expect(target.connector.introspect({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    });
  });
}

const postgres = await serviceAvailable('postgres');
const mariadb = await serviceAvailable('mysql');
const TABLE = `envelope_probe_${suffix}`;

envelopeContract('PostgreSQL', postgres, async () => {
  const url = parseConnectionUrl(POSTGRES_URL);
  const owner = new pg.Client({ host: url.host, port: url.port, database: url.database, user: url.user, password: url.password });
  await owner.connect();
  await owner.query(`CREATE TABLE ${TABLE} (id int)`);
  await owner.query(`CREATE FUNCTION ${TABLE}_write() RETURNS int LANGUAGE sql AS 'INSERT INTO ${TABLE} VALUES (1) RETURNING 1'`);
  const connector = createPostgresConnector({ host: url.host, port: url.port, database: url.database, user: url.user, ...(url.password ? { password: url.password } : {}) });
  const count = async (sql: string) => Number((await owner.query<{ n: string }>(sql)).rows[0]?.n);
  return {
    connector,
    writeCall: `select ${TABLE}_write() as written`,
    probeRows: () => count(`SELECT count(*) AS n FROM ${TABLE}`),
    largeObjects: () => count('SELECT count(*) AS n FROM pg_largeobject_metadata'),
    async close() {
      await connector.close();
      await owner.query(`DROP FUNCTION IF EXISTS ${TABLE}_write()`);
      await owner.query(`DROP TABLE IF EXISTS ${TABLE}`);
      await owner.end();
    },
  };
});

envelopeContract('MariaDB', mariadb, async () => {
  const url = parseConnectionUrl(MYSQL_URL);
  const config = { host: url.host, port: url.port, database: url.database, user: url.user, ...(url.password ? { password: url.password } : {}) };
  const owner = await mysql.createConnection(config);
  await owner.query(`CREATE TABLE ${TABLE} (id int)`);
  await owner.query(`CREATE FUNCTION ${TABLE}_write() RETURNS int MODIFIES SQL DATA BEGIN INSERT INTO ${TABLE} VALUES (1); RETURN 1; END`);
  const connector = createMysqlConnector(config);
  return {
    connector,
    writeCall: `select ${TABLE}_write() as written`,
    async probeRows() {
      const [rows] = await owner.query<mysql.RowDataPacket[]>(`SELECT count(*) AS n FROM ${TABLE}`);
      return Number(rows[0]?.n);
    },
    async close() {
      await connector.close();
      await owner.query(`DROP FUNCTION IF EXISTS ${TABLE}_write`);
      await owner.query(`DROP TABLE IF EXISTS ${TABLE}`);
      await owner.end();
    },
  };
});

envelopeContract('PGlite', true, async () => {
  const db = await PGlite.create();
  await db.exec(`CREATE TABLE ${TABLE} (id int); CREATE FUNCTION ${TABLE}_write() RETURNS int LANGUAGE sql AS 'INSERT INTO ${TABLE} VALUES (1) RETURNING 1'`);
  const connector = createPGliteConnector(db, { ownsDatabase: true });
  const count = async (sql: string) => Number((await db.query<{ n: string | number }>(sql)).rows[0]?.n);
  return {
    connector,
    writeCall: `select ${TABLE}_write() as written`,
    probeRows: () => count(`SELECT count(*) AS n FROM ${TABLE}`),
    largeObjects: () => count('SELECT count(*) AS n FROM pg_largeobject_metadata'),
    close: () => connector.close(),
  };
});
