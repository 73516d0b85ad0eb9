/**
 * Cached card data: the full embed route (token verify + story/card
 * authorisation + filter compilation + cache hit) against a bare Hono endpoint
 * in the same process that only verifies the same token and returns the same
 * pre-serialised bytes. Both are driven in-process through `fetch(Request)`,
 * so the figure is our handler's cost, not the loopback socket's.
 * Target: ratio of throughput ≥ 0.7.
 */
import { Hono } from 'hono';
import { jwtVerify } from 'jose';
import { BENCH_RATE_LIMIT } from './bench-kit.ts';
import { createTestServer, TEST_EMBED_SECRET } from '../server/testing/test-services.ts';

interface Figures {
  rps: number;
  p50: number;
  p99: number;
}

async function drive(handler: (r: Request) => Response | Promise<Response>, makeRequest: () => Request, total: number, concurrency: number): Promise<Figures> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        const t = performance.now();
        const res = await handler(makeRequest());
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`status ${res.status}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] as number;
  return { rps: total / seconds, p50: at(0.5), p99: at(0.99) };
}

export async function benchCachedCardData(options: { total?: number; concurrency?: number } = {}) {
  const total = options.total ?? 20_000;
  const concurrency = options.concurrency ?? 16;
  // The limiter runs (its cost is part of the figure) but never throttles the one viewer the bench drives.
  const server = await createTestServer({ rateLimit: BENCH_RATE_LIMIT });
  try {
    const token = await server.token({ expiresIn: 3600 });
    const storyRes = await server.app.request('/api/embed/story', { headers: { authorization: `Bearer ${token}` } });
    const story = (await storyRes.json()) as { pages: Array<{ cards: Array<{ id: string; key: string }> }> };
    const card = story.pages[0]?.cards.find((c) => c.key === 'revenue-by-month');
    const url = `http://bench/api/embed/cards/${card?.id}/data`;
    const body = JSON.stringify({ filters: { region: 'West' } });
    const makeRequest = () => new Request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });

    const warm = await server.app.fetch(makeRequest());
    const bytes = new Uint8Array(await warm.arrayBuffer());

    const secret = await crypto.subtle.importKey('raw', new TextEncoder().encode(TEST_EMBED_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    const bare = new Hono();
    bare.post('/api/embed/cards/:cardId/data', async (c) => {
      const header = c.req.header('authorization') ?? '';
      await jwtVerify(header.slice(7), secret, { algorithms: ['HS256'], audience: 'insight-embed', clockTolerance: 30 });
      await c.req.text();
      return c.body(bytes, 200, { 'content-type': 'application/json' });
    });

    // Warm both paths, then alternate runs so neither profits from machine noise.
    await drive(server.app.fetch, makeRequest, 2000, concurrency);
    await drive(bare.fetch, makeRequest, 2000, concurrency);
    const ours: Figures[] = [];
    const baseline: Figures[] = [];
    for (let round = 0; round < 3; round++) {
      baseline.push(await drive(bare.fetch, makeRequest, total / 3, concurrency));
      ours.push(await drive(server.app.fetch, makeRequest, total / 3, concurrency));
    }
    const median = (xs: Figures[], k: keyof Figures) => xs.map((x) => x[k]).sort((a, b) => a - b)[1] as number;
    const result = {
      ours: { rps: median(ours, 'rps'), p50: median(ours, 'p50'), p99: median(ours, 'p99') },
      baseline: { rps: median(baseline, 'rps'), p50: median(baseline, 'p50'), p99: median(baseline, 'p99') },
    };
    return { ...result, ratio: result.ours.rps / result.baseline.rps, stats: server.services.cache.stats() };
  } finally {
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchCachedCardData();
  const f = (x: Figures) => `${x.rps.toFixed(0)} req/s, p50 ${x.p50.toFixed(2)} ms, p99 ${x.p99.toFixed(2)} ms`;
  console.log(`cached card data (InsightEngine): ${f(r.ours)}`);
  console.log(`bare Hono + token verify:         ${f(r.baseline)}`);
  console.log(`ratio ${r.ratio.toFixed(2)} (target ≥ 0.70): ${r.ratio >= 0.7 ? 'within target' : 'BELOW target'}; cache hits ${r.stats.hits}, misses ${r.stats.misses}`);
}
