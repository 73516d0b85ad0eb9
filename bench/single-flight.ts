/**
 * Single flight: 100 identical concurrent cold requests for the same card data
 * (`POST /api/embed/cards/{id}/data` through `app.fetch`) and how many
 * statements the database ran for them, counted by PostgreSQL itself
 * (`pg_stat_user_tables.seq_scan` of a table without indexes), in one process,
 * through Redis, and on two instances sharing Redis (50 + 50). Controls, in
 * the same run: distinct filter values, and two instances with separate
 * in-process caches (the counter must see more than one statement there).
 * The burst's wall time is compared with one cold request alone.
 *
 * The dataset reads its table behind a 300 ms `pg_sleep` (one per statement),
 * so the whole burst arrives while the first statement runs.
 * Target: exactly 1 statement per burst of identical requests.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { signEmbedToken } from '../sdk/sign-embed-token.ts';
import { resultCacheKey } from '../server/cache/result-cache.ts';
import { compileStructuredQuery } from '../server/query/compile-query.ts';
import type { StructuredQuery } from '../server/query/structured-query.ts';
import { adminClient, TEST_ADMIN_KEY } from '../server/testing/admin-fixtures.ts';
import { POSTGRES_URL, REDIS_URL, serviceAvailable } from '../server/testing/services.ts';
import { createTestServer, TEST_EMBED_SECRET, type TestServer } from '../server/testing/test-services.ts';
import { isMain, ms, summarize, withCleanup, type Summary } from './bench-kit.ts';

export interface FlightFigures {
  scenario: string;
  requests: number;
  /** Statements PostgreSQL ran for the burst. */
  executions: number;
  /** What a correct cache must give (1 for identical requests; more for the controls). */
  expected: number;
  /** The scenario is a control: it proves the counter sees every statement. */
  control: boolean;
  wallMs: number;
  latency: Summary;
}

export interface SingleFlightResult {
  /** One cold request alone, for scale. */
  singleMs: number;
  scenarios: FlightFigures[];
  skipped: string[];
}

const DATASET = 'sf_orders';
/** The result cache's default Redis prefix (services.ts sets none). */
const REDIS_PREFIX = 'insight:cache:';
const CARD_QUERY = { dataset: DATASET, dimensions: [{ column: 'region' }], measures: [{ agg: 'sum', column: 'amount', as: 'revenue' }, { agg: 'count', as: 'orders' }] } as const;

export async function benchSingleFlight(options: { requests?: number } = {}): Promise<SingleFlightResult> {
  const requests = options.requests ?? 100;
  const result: SingleFlightResult = { singleMs: 0, scenarios: [], skipped: [] };
  if (!(await serviceAvailable('postgres'))) return { ...result, skipped: ['postgres'] };
  const withRedis = await serviceAvailable('redis');
  if (!withRedis) result.skipped.push('redis');

  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const table = `sf_probe_${suffix}`;
  const storeSchema = `sf_store_${suffix}`;
  const story = `single-flight-${suffix.replace(/_/g, '-')}`;
  const owner = new pg.Client({ connectionString: POSTGRES_URL });
  await owner.connect();
  const servers: Partial<Record<'m1' | 'm2' | 'r1' | 'r2', TestServer>> = {};
  const redis = withRedis ? new Redis(REDIS_URL) : undefined;
  const redisKeys = new Set<string>();
  let connectionId = '';

  const cleanup = async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
    if (redis) {
      if (redisKeys.size > 0) await redis.del(...redisKeys);
      await redis.quit();
    }
    await owner.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
    await owner.query(`DROP SCHEMA IF EXISTS ${storeSchema} CASCADE`);
    await owner.end();
  };

  return withCleanup(cleanup, async () => {
    await owner.query(`CREATE TABLE ${table} (id integer NOT NULL, tenant_id integer NOT NULL, region text NOT NULL, amount numeric(10, 2) NOT NULL)`);
    await owner.query(`INSERT INTO ${table} SELECT g, 1 + g % 7, (array['North', 'South', 'East', 'West'])[1 + g % 4], (g % 500) / 4.0 FROM generate_series(1, 5000) AS g`);
    // The warehouse's view waits 300 ms once per statement; dataset SQL itself may not call pg_sleep.
    await owner.query(`CREATE VIEW ${table}_slow AS SELECT * FROM ${table} WHERE (SELECT 1 FROM pg_sleep(0.3)) = 1`);

    // All instances share one platform store (as N instances behind a load balancer do), so one connection id.
    const shared = { demo: false, databaseUrl: POSTGRES_URL };
    servers.m1 = await createTestServer(shared, { storeSchema });
    servers.m2 = await createTestServer(shared, { storeSchema });
    if (withRedis) {
      servers.r1 = await createTestServer({ ...shared, redisUrl: REDIS_URL }, { storeSchema });
      servers.r2 = await createTestServer({ ...shared, redisUrl: REDIS_URL }, { storeSchema });
    }
    const m1 = servers.m1;
    const api = adminClient(m1.app, TEST_ADMIN_KEY);
    const connection = await api('POST', '/api/connections', { name: 'single-flight', type: 'postgres', url: POSTGRES_URL });
    if (connection.status !== 201) throw new Error(`creating the connection failed: ${connection.text}`);
    connectionId = connection.json.id;
    const dataset = await api('POST', '/api/datasets', {
      name: DATASET,
      label: 'Orders',
      connectionId,
      sql: `select * from ${table}_slow`,
      rowPolicy: 'tenant_id = {{tenant_id}}',
      columns: [
        { name: 'id', type: 'number', role: 'dimension' },
        { name: 'tenant_id', type: 'number', role: 'dimension' },
        { name: 'region', type: 'string', role: 'dimension' },
        { name: 'amount', type: 'number', role: 'measure' },
      ],
    });
    if (dataset.status !== 201) throw new Error(`creating the dataset failed: ${dataset.text}`);
    redisKeys.add(`${REDIS_PREFIX}t:dataset:${dataset.json.id}`).add(`${REDIS_PREFIX}t:connection:${connectionId}`);
    const { id } = await m1.services.stories.importStory(m1.services.defaultOrgId, {
      slug: story,
      title: 'Single flight',
      status: 'published',
      filters: [{ name: 'region', label: 'Region', type: 'select', dataset: DATASET, column: 'region' }],
      pages: [{ key: 'p', title: 'P', cards: [{ key: 'revenue-by-region', type: 'chart', title: 'Revenue by region', query: CARD_QUERY }] }],
    });
    const cardId = (await m1.services.stories.load(m1.services.defaultOrgId, id)).pages[0]?.cards[0]?.id as string;
    const datasetRow = await m1.services.datasets.getByName(m1.services.defaultOrgId, DATASET);

    /** Remembers the Redis keys a (tenant, region) entry lives under, for the cleanup. */
    const rememberEntry = (tenant: number, region: string) => {
      const query: StructuredQuery = { ...CARD_QUERY, dimensions: [...CARD_QUERY.dimensions], measures: [...CARD_QUERY.measures], filters: [{ column: 'region', op: 'eq', value: region }], sort: [] };
      const compiled = compileStructuredQuery(query, datasetRow, { dialect: 'postgres', params: { tenant_id: tenant } });
      const key = resultCacheKey({ connectionId, sql: compiled.sql, params: compiled.parameters });
      redisKeys.add(`${REDIS_PREFIX}r:${key}`).add(`${REDIS_PREFIX}l:${key}`);
    };

    const seqScans = async () => {
      await owner.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await owner.query<{ n: string }>('SELECT seq_scan AS n FROM pg_stat_user_tables WHERE relid = $1::regclass', [table]);
      return Number(rows[0]?.n ?? 0);
    };

    /** Closing the pools makes their backends exit, which flushes their statistics at once. */
    const counted = async (involved: TestServer[], burst: () => Promise<number[]>) => {
      const before = await seqScans();
      const t = performance.now();
      const latencies = await burst();
      const wallMs = performance.now() - t;
      for (const server of involved) await server.services.connections.release(connectionId);
      let last = before;
      let stableSince = Date.now();
      for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const now = await seqScans();
        if (now !== last) [last, stableSince] = [now, Date.now()];
        else if (last > before && Date.now() - stableSince >= 300) break;
      }
      return { executions: last - before, wallMs, latency: summarize(latencies) };
    };

    const fire = async (server: TestServer, count: number, tenant: number, region: (i: number) => string) => {
      const token = await signEmbedToken({ secret: TEST_EMBED_SECRET, story, params: { tenant_id: tenant } });
      return Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const request = new Request(`http://bench/api/embed/cards/${cardId}/data`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ filters: { region: region(i) } }),
          });
          const t = performance.now();
          const res = await server.app.fetch(request);
          const body = await res.text();
          if (res.status !== 200) throw new Error(`card data answered ${res.status}: ${body.slice(0, 300)}`);
          return performance.now() - t;
        }),
      );
    };

    // Warm every instance (token keys, story, dataset, JIT) with a tenant no scenario uses; every
    // scenario then starts alike, with the instance warm and its connection pool closed.
    for (const server of Object.values(servers)) {
      await fire(server, 1, 6, () => 'South');
      await server.services.connections.release(connectionId);
    }
    rememberEntry(6, 'South');
    // Tenants keep every scenario's key cold: no scenario can profit from another's entry.
    const single = await counted([m1], () => fire(m1, 1, 7, () => 'North'));
    result.singleMs = single.wallMs;
    const half = Math.floor(requests / 2);
    const regions = ['North', 'South', 'East', 'West'];
    const scenarios: Array<{ scenario: string; expected: number; control: boolean; involved: TestServer[]; burst: () => Promise<number[]> }> = [
      { scenario: `${requests} identical, one instance, in-process cache`, expected: 1, control: false, involved: [m1], burst: () => fire(m1, requests, 1, () => 'North') },
    ];
    if (servers.r1 && servers.r2) {
      const [r1, r2] = [servers.r1, servers.r2];
      rememberEntry(2, 'North');
      rememberEntry(3, 'North');
      scenarios.push(
        { scenario: `${requests} identical, one instance, Redis cache`, expected: 1, control: false, involved: [r1], burst: () => fire(r1, requests, 2, () => 'North') },
        {
          scenario: `${half} + ${requests - half} identical, two instances sharing Redis`,
          expected: 1,
          control: false,
          involved: [r1, r2],
          burst: async () => (await Promise.all([fire(r1, half, 3, () => 'North'), fire(r2, requests - half, 3, () => 'North')])).flat(),
        },
      );
    }
    const m2 = servers.m2;
    scenarios.push(
      { scenario: `control: ${requests} over 4 filter values, one instance`, expected: 4, control: true, involved: [m1], burst: () => fire(m1, requests, 4, (i) => regions[i % 4] as string) },
      {
        scenario: `control: ${half} + ${requests - half} identical, two instances, in-process caches`,
        expected: 2,
        control: true,
        involved: [m1, m2],
        burst: async () => (await Promise.all([fire(m1, half, 5, () => 'North'), fire(m2, requests - half, 5, () => 'North')])).flat(),
      },
    );
    for (const s of scenarios) {
      const figures = await counted(s.involved, s.burst);
      result.scenarios.push({ scenario: s.scenario, requests, expected: s.expected, control: s.control, ...figures });
    }
    return result;
  });
}

export function formatSingleFlight(r: SingleFlightResult): string {
  const lines = [`one cold request alone: ${ms(r.singleMs)}`, '| scenario | statements run (PostgreSQL) | expected | burst wall time | request p50 / max |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const s of r.scenarios) lines.push(`| ${s.scenario} | ${s.executions} | ${s.expected} | ${ms(s.wallMs)} | ${ms(s.latency.p50)} / ${ms(s.latency.max)} |`);
  for (const s of r.skipped) lines.push(`${s}: skipped (service not running)`);
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  const r = await benchSingleFlight();
  console.log(formatSingleFlight(r));
  const wrong = r.scenarios.filter((s) => s.executions !== s.expected);
  console.log(wrong.length === 0 ? 'every burst ran as many statements as expected' : `UNEXPECTED: ${wrong.map((s) => `${s.scenario}: ${s.executions}`).join('; ')}`);
}
