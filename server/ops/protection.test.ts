import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, addApiKey, TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { createPostgresOrders, type OrdersFixture } from '../testing/orders-fixture.ts';
import { REDIS_URL, serviceAvailable } from '../testing/services.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';
import { until } from '../testing/wait.ts';
import { openOpsRedis } from './ops-redis.ts';
import { rateLimitBucket } from './rate-limit.ts';
import { createRateLimiter } from './rate-limiter.ts';

const redisUp = await serviceAvailable('redis');
const postgresUp = await serviceAvailable('postgres');

/** A Redis URL nobody listens on (port 1 is never a Redis). */
const DEAD_REDIS = 'redis://127.0.0.1:1';

describe('rate limits in process', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ demo: false, rateLimit: { windowMs: 60_000, admin: 3, embed: 2 } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers 429 problem+json ERR_RATE_LIMITED with Retry-After per API key', async () => {
    const api = adminClient(server.app, TEST_ADMIN_KEY);
    for (let i = 0; i < 3; i++) expect((await api('GET', '/api/config')).status).toBe(200);
    const res = await server.app.request('/api/config', { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(await res.json()).toMatchObject({ code: 'ERR_RATE_LIMITED', status: 429, retryAfterSeconds: expect.any(Number) });

    // Another key has its own budget.
    const { key } = await addApiKey(server.services.store.db, server.services.defaultOrgId, 'owner');
    expect((await adminClient(server.app, key)('GET', '/api/config')).status).toBe(200);
    const metrics = await (await server.app.request('/metrics')).text();
    expect(metrics).toMatch(/^insight_rate_limited_total\{scope="admin"\} 1$/m);
  });

  it('counts embed requests per token sub, falling back to the token itself', async () => {
    const [a1, a2, b] = await Promise.all([server.token({ sub: 'viewer-a' }), server.token({ sub: 'viewer-a', params: { tenant_id: 2 } }), server.token({ sub: 'viewer-b' })]);
    // Two tokens of one viewer share a budget (the demo is off: the story is not found, which still counts).
    expect((await server.app.request('/api/embed/story', { headers: { authorization: `Bearer ${a1}` } })).status).toBe(404);
    expect((await server.app.request('/api/embed/story', { headers: { authorization: `Bearer ${a2}` } })).status).toBe(404);
    const limited = await server.app.request('/api/embed/story', { headers: { authorization: `Bearer ${a1}`, origin: 'https://host.example' } });
    expect(limited.status).toBe(429);
    // A browser on the host page can read the answer.
    expect(limited.headers.get('access-control-allow-origin')).toBe('*');
    expect((await server.app.request('/api/embed/story', { headers: { authorization: `Bearer ${b}` } })).status).toBe(404);

    const noSub = await server.token({ sub: undefined as never });
    expect(rateLimitBucket('/api/embed/story', `Bearer ${noSub}`)?.key).toMatch(/^embed:tok:/);
    expect(rateLimitBucket('/api/embed/story', `Bearer ${a1}`)).toEqual(rateLimitBucket('/api/embed/cards/x/data', `Bearer ${a2}`));
    // A forged token naming viewer b's `sub` does not spend b's budget: it counts against its own hash.
    const { SignJWT } = await import('jose');
    const forged = await new SignJWT({ resource: { story: 'retail-overview' }, params: { tenant_id: 1 }, sub: 'viewer-b', aud: 'insight-embed' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('a-secret-the-server-does-not-know-0123456789'));
    for (let i = 0; i < 3; i++) await server.app.request('/api/embed/story', { headers: { authorization: `Bearer ${forged}` } });
    expect((await server.app.request('/api/embed/story', { headers: { authorization: `Bearer ${b}` } })).status).toBe(404);

    // Minting tokens is the admin API, counted per API key.
    expect(rateLimitBucket('/api/embed/tokens', `Bearer ${TEST_ADMIN_KEY}`)?.scope).toBe('admin');
    expect(rateLimitBucket('/healthz', `Bearer ${TEST_ADMIN_KEY}`)).toBeUndefined();
  });
});

describe('GET /metrics with INSIGHT_METRICS_TOKEN', () => {
  it('needs the bearer token', async () => {
    const server = await createTestServer({ demo: false, metricsToken: 'metrics-token-0123456789' });
    try {
      const none = await server.app.request('/metrics');
      expect(none.status).toBe(401);
      expect((await none.json()).code).toBe('ERR_UNAUTHENTICATED');
      expect((await server.app.request('/metrics', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      const ok = await server.app.request('/metrics', { headers: { authorization: 'Bearer metrics-token-0123456789' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('# TYPE insight_http_request_duration_seconds histogram');
    } finally {
      await server.close();
    }
  });
});

describe('GET /readyz', () => {
  it('answers 503 problem+json while draining', async () => {
    const server = await createTestServer({ demo: false });
    try {
      expect((await server.app.request('/readyz')).status).toBe(200);
      server.services.ops.lifecycle.startDraining();
      const res = await server.app.request('/readyz');
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ code: 'ERR_NOT_READY', checks: { server: 'draining', store: 'ok' } });
    } finally {
      await server.close();
    }
  });

  it('answers 503 when the configured Redis is down, and rate limits fail open', async () => {
    const server = await createTestServer({ demo: false, redisUrl: DEAD_REDIS, rateLimit: { windowMs: 60_000, admin: 1, embed: 1 } });
    try {
      const res = await server.app.request('/readyz');
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: 'ERR_NOT_READY', checks: { store: 'ok', redis: 'down' } });
      // Limit 1, three requests: all pass while Redis is unreachable.
      const api = adminClient(server.app, TEST_ADMIN_KEY);
      for (let i = 0; i < 3; i++) expect((await api('GET', '/api/config')).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!redisUp)('rate limits in Redis', () => {
  const prefix = `insight:test:rl:${randomBytes(4).toString('hex')}:`;

  it('counts atomically across instances sharing Redis', async () => {
    const [r1, r2] = [openOpsRedis(REDIS_URL), openOpsRedis(REDIS_URL)];
    await Promise.all([r1, r2].map((r) => new Promise((resolve) => r.once('ready', resolve))));
    const a = createRateLimiter({ windowMs: 5_000, redis: r1, keyPrefix: prefix });
    const b = createRateLimiter({ windowMs: 5_000, redis: r2, keyPrefix: prefix });
    try {
      expect(a.kind).toBe('redis');
      // 40 concurrent hits on two "instances", limit 25: exactly 25 pass.
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).hit('admin:shared', 25)));
      expect(results.filter((r) => r.allowed)).toHaveLength(25);
      expect(results.filter((r) => !r.allowed).every((r) => r.resetMs > 0 && r.resetMs <= 5_000)).toBe(true);
      // The window expires in Redis by itself.
      expect(await r1.pttl(`${prefix}admin:shared`)).toBeGreaterThan(0);
      expect((await a.hit('admin:other', 25)).remaining).toBe(24);
    } finally {
      await r1.del(`${prefix}admin:shared`, `${prefix}admin:other`);
      r1.disconnect();
      r2.disconnect();
    }
  });

  it('fails open and reports the outage once when Redis is unreachable', async () => {
    const redis = openOpsRedis(DEAD_REDIS);
    const states: string[] = [];
    const limiter = createRateLimiter({ windowMs: 1_000, redis, onRedisState: (state) => states.push(state) });
    try {
      const results = await Promise.all(Array.from({ length: 5 }, () => limiter.hit('admin:x', 1)));
      expect(results.every((r) => r.allowed)).toBe(true);
      expect((await limiter.hit('admin:x', 1)).allowed).toBe(true);
      expect(states).toEqual(['down']);
    } finally {
      redis.disconnect();
    }
  });
});

describe.skipIf(!postgresUp)('query and pool metrics on PostgreSQL', () => {
  let server: TestServer;
  let fixture: OrdersFixture;
  beforeAll(async () => {
    [server, fixture] = await Promise.all([createTestServer({ demo: false }), createPostgresOrders()]);
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.drop();
  });

  it('times statements by connection type and outcome, reads the pool, and applies the organisation statement timeout', async () => {
    const api = adminClient(server.app, TEST_ADMIN_KEY);
    const connection = await api('POST', '/api/connections', { name: 'pg-orders', type: 'postgres', url: fixture.readerUrl });
    expect(connection.status).toBe(201);
    const columns = [{ name: 'id', type: 'number', role: 'dimension' }, { name: 'tenant_id', type: 'number', role: 'dimension' }, { name: 'slept', type: 'string', role: 'dimension' }];
    await fixture.direct(`CREATE VIEW ${fixture.table}_slow AS SELECT id, tenant_id, pg_sleep(0.4)::text AS slept FROM ${fixture.table}`);
    await fixture.direct(`GRANT SELECT ON ${fixture.table}_slow TO ${fixture.reader.user}`);
    const dataset = await api('POST', '/api/datasets', {
      name: 'slow_orders',
      label: 'Slow orders',
      connectionId: connection.json.id,
      // The database's view sleeps; the dataset SQL itself may not call pg_sleep.
      sql: `select id, tenant_id, slept from ${fixture.table}_slow where id = 1`,
      columns,
      rowPolicy: 'tenant_id = {{tenant_id}}',
      cacheTtlSeconds: 0,
    });
    expect(dataset.status).toBe(201);
    const query = { dataset: 'slow_orders', dimensions: [{ column: 'id' }], measures: [], filters: [], sort: [], limit: 10 };

    expect((await api('POST', '/api/queries/run', { query, params: { tenant_id: 1 } })).status).toBe(200);
    const metrics = async () => (await server.app.request('/metrics')).text();
    let text = await metrics();
    expect(text).toMatch(/^insight_query_duration_seconds_count\{connection_type="postgres",outcome="ok"\} 1$/m);
    const id = connection.json.id as string;
    // The connection returns to the pool once its ROLLBACK has run, just after the answer.
    const idle = `insight_connection_pool_connections{connection="${id}",connection_type="postgres",state="idle"} 1`;
    await until(async () => (await metrics()).includes(idle), { what: 'the connection back in the pool' });
    text = await metrics();
    expect(text).toContain(idle);
    expect(text).toContain(`insight_connection_pool_max{connection="${id}",connection_type="postgres"} 10`);

    // The organisation's statement timeout reaches the database.
    expect((await api('PUT', '/api/config', { statementTimeoutMs: 100 })).status).toBe(200);
    const slow = await api('POST', '/api/queries/run', { query, params: { tenant_id: 1 } });
    expect(slow.json.code).toBe('ERR_QUERY_TIMEOUT');
    text = await metrics();
    expect(text).toMatch(/^insight_query_duration_seconds_count\{connection_type="postgres",outcome="timeout"\} 1$/m);
  });
});
