/**
 * Redis goes away under a running server and comes back: card requests keep
 * answering 200 (computed, uncached) while it is gone, `/readyz` says so, and
 * caching resumes by itself when it returns — no restart. Redis is reached
 * through a TCP proxy, so stopping the proxy is an outage for this server
 * only, not for the Redis other tests share.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, serviceAvailable } from '../testing/services.ts';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';
import { until } from '../testing/wait.ts';

const available = await serviceAvailable('redis');

describe.skipIf(!available)('Redis outage under a running server', () => {
  let proxy: TcpProxy;
  let server: TestServer;
  let token: string;
  let cardId: string;
  const target = new URL(REDIS_URL);
  const upstream = { host: target.hostname, port: Number(target.port || 6379) };

  const card = async (region: string) => {
    const res = await server.app.request(`/api/embed/cards/${cardId}/data`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ filters: { region } }),
    });
    return { status: res.status, body: (await res.json()) as { rows: unknown[][]; fromCache: boolean } };
  };

  beforeAll(async () => {
    proxy = await startTcpProxy(upstream);
    server = await createTestServer({ redisUrl: `redis://127.0.0.1:${proxy.port}/0` });
    token = await server.token();
    const story = (await (await server.app.request('/api/embed/story', { headers: { authorization: `Bearer ${token}` } })).json()) as {
      pages: Array<{ cards: Array<{ id: string; key: string }> }>;
    };
    cardId = story.pages.flatMap((p) => p.cards).find((c) => c.key === 'revenue-by-month')!.id;
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop().catch(() => undefined);
    await server?.close();
  });

  it('answers uncached while Redis is down and caches again when it returns', async () => {
    const region = 'West';
    // Entries other runs left for the demo connection are not hits after this.
    await server.services.cache.invalidateTag('connection:conn_demo');
    const first = await card(region);
    expect(first.status).toBe(200);
    expect((await card(region)).body.fromCache).toBe(true);

    await proxy.stop();
    const down = await Promise.all(Array.from({ length: 5 }, () => card(region)));
    for (const r of down) {
      expect(r.status).toBe(200);
      expect(r.body.fromCache).toBe(false);
      expect(r.body.rows).toEqual(first.body.rows);
    }
    expect((await server.app.request('/readyz')).status).toBe(503);

    proxy = await startTcpProxy(upstream, proxy.port);
    // Reconnecting takes what it takes on a busy machine: wait for caching, not for a clock.
    await until(
      async () => {
        await card(region);
        return (await card(region)).body.fromCache === true;
      },
      { timeoutMs: 50_000, intervalMs: 200, what: 'caching again' },
    );
    expect((await server.app.request('/readyz')).status).toBe(200);
  }, 60_000);
});
