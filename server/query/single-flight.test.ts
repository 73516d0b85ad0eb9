/**
 * Identical concurrent cold requests for the same card data run ONE statement,
 * counted by PostgreSQL itself (`pg_stat_user_tables.seq_scan` of a table
 * without indexes), not by our code: in one process, through Redis, and across
 * two instances sharing Redis. Controls prove the counter counts: distinct
 * filter values, and two instances with separate in-process caches, run more.
 *
 * The dataset reads its table through a view that waits 300 ms (`pg_sleep`
 * in an InitPlan: one sleep per statement; the view, not the dataset SQL,
 * calls it, as the SQL guard refuses pg_sleep), so all requests of a burst arrive while the first one
 * is still running and are served by the running flight, not by a stored entry.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signEmbedToken } from '@insight-engine/sdk/node';
import { resultCacheKey } from '../cache/result-cache.ts';
import { adminClient, TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { POSTGRES_URL, REDIS_URL, serviceAvailable } from '../testing/services.ts';
import { createTestServer, TEST_EMBED_SECRET, type TestServer } from '../testing/test-services.ts';
import { compileStructuredQuery } from './compile-query.ts';
import type { StructuredQuery } from './structured-query.ts';

const postgres = await serviceAvailable('postgres');
const redis = postgres && (await serviceAvailable('redis'));

const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
const TABLE = `sf_probe_${suffix}`;
const STORE_SCHEMA = `sf_store_${suffix}`;
const DATASET = 'sf_orders';
const STORY = `single-flight-${suffix.replace(/_/g, '-')}`;
/** The result cache's default Redis prefix (services.ts sets none). */
const REDIS_PREFIX = 'insight:cache:';

const CARD_QUERY = { dataset: DATASET, dimensions: [{ column: 'region' }], measures: [{ agg: 'sum', column: 'amount', as: 'revenue' }, { agg: 'count', as: 'orders' }] } as const;

describe.skipIf(!postgres)('single flight, counted by PostgreSQL', () => {
  let owner: pg.Client;
  /** m1, m2: in-process caches; r1, r2: the Redis cache. All four share one platform store, so one connection id. */
  const servers = {} as Record<'m1' | 'm2' | 'r1' | 'r2', TestServer>;
  let connectionId: string;
  let datasetId: string;
  let cardId: string;
  let redisClient: Redis | undefined;
  const redisKeys = new Set<string>();

  async function seqScans(): Promise<number> {
    await owner.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await owner.query<{ n: string }>('SELECT seq_scan AS n FROM pg_stat_user_tables WHERE relid = $1::regclass', [TABLE]);
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Statements run against the table while `burst` runs. The pools of the
   * connection are closed afterwards: a backend flushes its statistics when it
   * exits, instead of up to 10 s later when idle.
   */
  async function executions(involved: TestServer[], burst: () => Promise<unknown>): Promise<number> {
    const before = await seqScans();
    await burst();
    for (const server of involved) await server.services.connections.release(connectionId);
    let last = before;
    let stableSince = Date.now();
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const now = await seqScans();
      if (now !== last) {
        last = now;
        stableSince = Date.now();
      } else if (last > before && Date.now() - stableSince >= 300) {
        break;
      }
    }
    return last - before;
  }

  /** `count` concurrent card-data requests to `server`; filter values from `region(i)`. */
  async function burst(server: TestServer, count: number, tenant: number, region: (i: number) => string) {
    const token = await signEmbedToken({ secret: TEST_EMBED_SECRET, story: STORY, params: { tenant_id: tenant } });
    const responses = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const res = await server.app.request(`/api/embed/cards/${cardId}/data`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ filters: { region: region(i) } }),
        });
        return { status: res.status, body: (await res.json()) as { rows: unknown[][]; fromCache: boolean } };
      }),
    );
    for (const r of responses) expect(r.status, JSON.stringify(r.body)).toBe(200);
    return responses.map((r) => r.body);
  }

  /** Polls until `condition` holds; fails the test when it never does. Waits on state, asserts nothing about time. */
  async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Statements over the probe table that PostgreSQL holds waiting for a lock. */
  async function blockedStatements(): Promise<number> {
    const { rows } = await owner.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()",
      [TABLE],
    );
    return Number(rows[0]?.n);
  }

  /**
   * A first viewer starts the card query while another session holds the
   * table locked, so the statement is provably still running (waiting for the
   * lock) while 20 more viewers join it. Then `leave` aborts some of them, and
   * only then is the lock released. Every viewer's status and rows come back.
   */
  async function viewersLeaving(server: TestServer, tenant: number, region: string, leave: (viewers: AbortController[]) => AbortController[]) {
    const token = await signEmbedToken({ secret: TEST_EMBED_SECRET, story: STORY, params: { tenant_id: tenant } });
    const view = async (signal: AbortSignal) => {
      const res = await server.app.request(
        new Request(`http://insight.test/api/embed/cards/${cardId}/data`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ filters: { region } }),
          signal,
        }),
      );
      return { status: res.status, body: (await res.json()) as { code?: string; rows?: unknown[][] } };
    };
    const locker = new pg.Client({ connectionString: POSTGRES_URL });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${TABLE} IN ACCESS EXCLUSIVE MODE`);
      const viewers = Array.from({ length: 21 }, () => new AbortController());
      const responses = [view((viewers[0] as AbortController).signal)];
      await until('the first viewer starts the statement', async () => (await blockedStatements()) === 1);
      responses.push(...viewers.slice(1).map((v) => view(v.signal)));
      await until('20 viewers join the running statement', () => server.services.cache.stats().waiting === 21);
      const leaving = leave(viewers);
      for (const viewer of leaving) viewer.abort();
      const left = await Promise.all(responses.filter((_, i) => leaving.includes(viewers[i] as AbortController)));
      // With everyone gone the statement must be cancelled while the lock still stands (it cannot have finished).
      const cancelled = leaving.length === viewers.length ? await statementGone() : undefined;
      await locker.query('COMMIT');
      const stayed = await Promise.all(responses.filter((_, i) => !leaving.includes(viewers[i] as AbortController)));
      return { left, stayed, cancelled };
    } finally {
      await locker.end();
    }
  }

  /** Whether the database cancelled the waiting statement while its lock is still held (it cannot have finished). */
  async function statementGone(): Promise<boolean> {
    try {
      await until('the statement is cancelled', async () => (await blockedStatements()) === 0);
      return true;
    } catch {
      return false;
    }
  }

  /** The Redis entry key the engine uses for one (tenant, region), to check it exists and to delete it. */
  async function entryKey(tenant: number, region: string): Promise<string> {
    const dataset = await servers.r1.services.datasets.getByName(servers.r1.services.defaultOrgId, DATASET);
    const query: StructuredQuery = { ...CARD_QUERY, dimensions: [...CARD_QUERY.dimensions], measures: [...CARD_QUERY.measures], filters: [{ column: 'region', op: 'eq', value: region }], sort: [] };
    const compiled = compileStructuredQuery(query, dataset, { dialect: 'postgres', params: { tenant_id: tenant } });
    const key = resultCacheKey({ connectionId, sql: compiled.sql, params: compiled.parameters });
    redisKeys.add(`${REDIS_PREFIX}r:${key}`).add(`${REDIS_PREFIX}l:${key}`);
    return `${REDIS_PREFIX}r:${key}`;
  }

  beforeAll(async () => {
    owner = new pg.Client({ connectionString: POSTGRES_URL });
    await owner.connect();
    // No index and no primary key: every statement over the table is exactly one sequential scan.
    await owner.query(`CREATE TABLE ${TABLE} (id integer NOT NULL, tenant_id integer NOT NULL, region text NOT NULL, amount numeric(10, 2) NOT NULL)`);
    await owner.query(
      `INSERT INTO ${TABLE} SELECT g, 1 + g % 7, (array['North', 'South', 'East', 'West'])[1 + g % 4], (g % 500) / 4.0 FROM generate_series(1, 5000) AS g`,
    );
    await owner.query(`CREATE VIEW ${TABLE}_slow AS SELECT * FROM ${TABLE} WHERE (SELECT 1 FROM pg_sleep(0.3)) = 1`);

    const shared = { demo: false, databaseUrl: POSTGRES_URL };
    // One after the other: the first one migrates the shared store.
    servers.m1 = await createTestServer(shared, { storeSchema: STORE_SCHEMA });
    servers.m2 = await createTestServer(shared, { storeSchema: STORE_SCHEMA });
    if (redis) {
      servers.r1 = await createTestServer({ ...shared, redisUrl: REDIS_URL }, { storeSchema: STORE_SCHEMA });
      servers.r2 = await createTestServer({ ...shared, redisUrl: REDIS_URL }, { storeSchema: STORE_SCHEMA });
      redisClient = new Redis(REDIS_URL);
    }

    const api = adminClient(servers.m1.app, TEST_ADMIN_KEY);
    const connection = await api('POST', '/api/connections', { name: 'single-flight', type: 'postgres', url: POSTGRES_URL });
    expect(connection.status).toBe(201);
    connectionId = connection.json.id;
    const dataset = await api('POST', '/api/datasets', {
      name: DATASET,
      label: 'Orders',
      connectionId,
      sql: `select * from ${TABLE}_slow`,
      rowPolicy: 'tenant_id = {{tenant_id}}',
      columns: [
        { name: 'id', type: 'number', role: 'dimension' },
        { name: 'tenant_id', type: 'number', role: 'dimension' },
        { name: 'region', type: 'string', role: 'dimension' },
        { name: 'amount', type: 'number', role: 'measure' },
      ],
    });
    expect(dataset.status).toBe(201);
    datasetId = dataset.json.id;
    redisKeys.add(`${REDIS_PREFIX}t:dataset:${datasetId}`).add(`${REDIS_PREFIX}t:connection:${connectionId}`);

    const { id } = await servers.m1.services.stories.importStory(servers.m1.services.defaultOrgId, {
      slug: STORY,
      title: 'Single flight',
      status: 'published',
      filters: [{ name: 'region', label: 'Region', type: 'select', dataset: DATASET, column: 'region' }],
      pages: [{ key: 'p', title: 'P', cards: [{ key: 'revenue-by-region', type: 'chart', title: 'Revenue by region', query: CARD_QUERY }] }],
    });
    const story = await servers.m1.services.stories.load(servers.m1.services.defaultOrgId, id);
    cardId = story.pages[0]?.cards[0]?.id as string;
  });

  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
    if (redisClient) {
      if (redisKeys.size > 0) await redisClient.del(...redisKeys);
      await redisClient.quit();
    }
    if (owner) {
      await owner.query(`DROP TABLE IF EXISTS ${TABLE} CASCADE`);
      await owner.query(`DROP SCHEMA IF EXISTS ${STORE_SCHEMA} CASCADE`);
      await owner.end();
    }
  });

  it('runs 100 identical concurrent cold requests as one statement in one process', async () => {
    let bodies: Array<{ rows: unknown[][]; fromCache: boolean }> = [];
    const count = await executions([servers.m1], async () => {
      bodies = await burst(servers.m1, 100, 1, () => 'North');
    });
    expect(count).toBe(1);
    // Everyone got the same rows, and more than one request waited on the running statement (not on a stored entry).
    expect(new Set(bodies.map((b) => JSON.stringify(b.rows))).size).toBe(1);
    expect(bodies[0]?.rows.length).toBe(1);
    expect(bodies.filter((b) => !b.fromCache).length).toBeGreaterThan(1);
  });

  it('counts every statement: 100 concurrent requests over 4 filter values run 4', async () => {
    const regions = ['North', 'South', 'East', 'West'];
    const count = await executions([servers.m1], () => burst(servers.m1, 100, 2, (i) => regions[i % 4] as string));
    expect(count).toBe(4);
  });

  it('counts every statement: two instances with in-process caches run it once each', async () => {
    const count = await executions([servers.m1, servers.m2], () => Promise.all([burst(servers.m1, 50, 3, () => 'North'), burst(servers.m2, 50, 3, () => 'North')]));
    expect(count).toBe(2);
  });

  describe.each([
    // Tenants and regions no other test caches, so every request here starts cold.
    { cache: 'in process', name: 'm1' as const, tenant: 6 },
    { cache: 'through Redis', name: 'r1' as const, tenant: 7 },
  ])('viewers leaving a shared statement ($cache)', ({ name, tenant }) => {
    it.skipIf(name === 'r1' && !redis)('a first viewer who leaves does not fail the 20 who joined its statement', async () => {
      const server = servers[name];
      if (name === 'r1') await entryKey(tenant, 'South');
      let result: Awaited<ReturnType<typeof viewersLeaving>> | undefined;
      const count = await executions([server], async () => {
        result = await viewersLeaving(server, tenant, 'South', (viewers) => viewers.slice(0, 1));
      });
      expect(result?.left.map((r) => r.body.code)).toEqual(['ERR_QUERY_CANCELLED']);
      expect(result?.left[0]?.status).toBe(499);
      expect(result?.stayed.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(result?.stayed.map((r) => r.body.rows?.length)).toEqual(Array(20).fill(1));
      expect(count).toBe(1);
      expect(server.services.cache.stats().waiting).toBe(0);
    });

    it.skipIf(name === 'r1' && !redis)('cancels the statement once all 21 viewers have left', async () => {
      const server = servers[name];
      if (name === 'r1') await entryKey(tenant, 'East');
      let result: Awaited<ReturnType<typeof viewersLeaving>> | undefined;
      const count = await executions([server], async () => {
        result = await viewersLeaving(server, tenant, 'East', (viewers) => viewers);
      });
      expect(result?.left.map((r) => r.status)).toEqual(Array(21).fill(499));
      expect(result?.cancelled).toBe(true);
      expect(count).toBe(0);
      expect(server.services.cache.stats().waiting).toBe(0);
    });
  });

  it.skipIf(!redis)('runs 100 identical concurrent cold requests as one statement through Redis', async () => {
    const key = await entryKey(4, 'North');
    const count = await executions([servers.r1], () => burst(servers.r1, 100, 4, () => 'North'));
    expect(count).toBe(1);
    expect(await redisClient?.exists(key)).toBe(1);
  });

  it.skipIf(!redis)('runs 50 + 50 concurrent cold requests on two instances sharing Redis as one statement', async () => {
    const key = await entryKey(5, 'North');
    let bodies: Array<{ rows: unknown[][] }> = [];
    const count = await executions([servers.r1, servers.r2], async () => {
      bodies = (await Promise.all([burst(servers.r1, 50, 5, () => 'North'), burst(servers.r2, 50, 5, () => 'North')])).flat();
    });
    expect(count).toBe(1);
    expect(await redisClient?.exists(key)).toBe(1);
    expect(new Set(bodies.map((b) => JSON.stringify(b.rows))).size).toBe(1);
  });
});
