/**
 * Load: a bounded loopback load test of mixed embed traffic against a real
 * server socket — 80% cached card data, 15% uncached card data (a fresh
 * filter combination every time, so each one runs a statement on the local
 * PostgreSQL), 5% natural-language questions — at a fixed overall rate, from
 * a separate load-generator process (autocannon, bench/load-client.ts).
 *
 * Reports errors (target 0), p50/p99 and the server's memory after a
 * warm-up and after the run (target: heap growth ≤ 10%).
 * `node --expose-gc --import tsx bench/load.ts` (INSIGHT_LOAD_SECONDS, INSIGHT_LOAD_RATE).
 */
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import pg from 'pg';
import { signEmbedToken } from '../sdk/sign-embed-token.ts';
import { adminClient, TEST_ADMIN_KEY } from '../server/testing/admin-fixtures.ts';
import { POSTGRES_URL } from '../server/testing/services.ts';
import { createTestServer, TEST_EMBED_SECRET } from '../server/testing/test-services.ts';
import { BENCH_RATE_LIMIT, isMain, runPlan, withCleanup, writePlan } from './bench-kit.ts';
import type { LoadPlan, LoadResult } from './load-client.ts';

const TABLE = `bench_load_orders_${process.pid}`;
const STORY = 'load-bench';
const ROWS = 300_000;

export interface LoadFigures {
  seconds: number;
  rate: number;
  result: LoadResult;
  askIncluded: boolean;
  /**
   * Heap after warm-up and after the run. The in-process result cache grows by
   * design (every uncached request adds an entry, up to its byte bound), so the
   * growth is also given without the cache's own bytes.
   */
  memory: { warmHeapMb: number; afterHeapMb: number; heapGrowthPct: number; cacheGrowthMb: number; cacheEntries: number; residualGrowthPct: number; warmRssMb: number; afterRssMb: number };
}

/** The load generator (bench/load-client.ts) in its own process. */
const runClient = (file: string) => runPlan<LoadResult>('load-client.ts', JSON.parse(readFileSync(file, 'utf8')));

const mb = (bytes: number) => bytes / 1024 / 1024;

/**
 * Heap and RSS once the server has settled: the load generator's sockets
 * closed, the query history's batch flushed (it writes every second), and two
 * full collections apart, so what is counted is what the server keeps.
 */
async function settledMemory() {
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc?.();
  const m = process.memoryUsage();
  return { heap: mb(m.heapUsed), rss: mb(m.rss) };
}

export async function benchLoad(options: { seconds?: number; rate?: number } = {}): Promise<LoadFigures> {
  const seconds = options.seconds ?? Number(process.env['INSIGHT_LOAD_SECONDS'] ?? 60);
  const rate = options.rate ?? Number(process.env['INSIGHT_LOAD_RATE'] ?? 500);
  const owner = new pg.Client({ connectionString: POSTGRES_URL });
  await owner.connect();
  const server = await createTestServer({ demo: false, rateLimit: BENCH_RATE_LIMIT });
  let listener: ReturnType<typeof serve> | undefined;
  return withCleanup(
    async () => {
      listener?.close();
      await server.close();
      await owner.query(`DROP TABLE IF EXISTS ${TABLE}`);
      await owner.end();
    },
    async () => {
      await owner.query(`CREATE TABLE ${TABLE} (id integer PRIMARY KEY, tenant_id integer NOT NULL, order_date date NOT NULL, region text NOT NULL, category text NOT NULL, revenue numeric(10, 2) NOT NULL)`);
      await owner.query(
        `INSERT INTO ${TABLE} SELECT g, 1 + g % 3, date '2024-01-01' + (g * 7) % 731, (array['North','South','East','West'])[1 + g % 4], (array['Toys','Books','Garden','Kitchen','Sports'])[1 + (g / 4) % 5], ((g * 37) % 5000) / 10.0 FROM generate_series(1, ${ROWS}) AS g`,
      );
      await owner.query(`CREATE INDEX ON ${TABLE} (tenant_id, order_date)`);
      await owner.query(`ANALYZE ${TABLE}`);

      const api = adminClient(server.app, TEST_ADMIN_KEY);
      const connection = await api('POST', '/api/connections', { name: 'load', type: 'postgres', url: POSTGRES_URL });
      if (connection.status !== 201) throw new Error(`connection: ${JSON.stringify(connection.json)}`);
      const dataset = await api('POST', '/api/datasets', {
        name: 'orders',
        label: 'Orders',
        connectionId: connection.json.id,
        table: TABLE,
        rowPolicy: 'tenant_id = {{tenant_id}}',
        columns: [
          { name: 'id', type: 'number', role: 'dimension' },
          { name: 'tenant_id', type: 'number', role: 'dimension' },
          { name: 'order_date', label: 'Order date', type: 'date', role: 'time' },
          { name: 'region', label: 'Region', type: 'string', role: 'dimension' },
          { name: 'category', label: 'Category', type: 'string', role: 'dimension' },
          { name: 'revenue', label: 'Revenue', type: 'number', role: 'measure', synonyms: ['sales'] },
        ],
      });
      if (dataset.status !== 201) throw new Error(`dataset: ${JSON.stringify(dataset.json)}`);
      const { id } = await server.services.stories.importStory(server.services.defaultOrgId, {
        slug: STORY,
        title: 'Load',
        status: 'published',
        filters: [
          { name: 'period', label: 'Period', type: 'date_range', dataset: 'orders', column: 'order_date' },
          { name: 'region', label: 'Region', type: 'select', dataset: 'orders', column: 'region' },
        ],
        pages: [
          {
            key: 'p',
            title: 'P',
            cards: [
              { key: 'by-category', type: 'chart', title: 'By category', query: { dataset: 'orders', dimensions: [{ column: 'category' }], measures: [{ agg: 'sum', column: 'revenue', as: 'revenue' }] }, visualization: { chartType: 'bar', x: 'category', y: 'revenue' } },
              { key: 'by-month', type: 'chart', title: 'By month', query: { dataset: 'orders', dimensions: [{ column: 'order_date', grain: 'month', as: 'month' }], measures: [{ agg: 'sum', column: 'revenue', as: 'revenue' }] }, visualization: { chartType: 'line', x: 'month', y: 'revenue' } },
            ],
          },
        ],
      });
      const story = await server.services.stories.load(server.services.defaultOrgId, id);
      const cardIds = story.pages[0]!.cards.map((c) => c.id);

      listener = await new Promise<ReturnType<typeof serve>>((resolve) => {
        const s = serve({ fetch: server.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
      });
      const address = listener.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

      const plans = await writePlans(url, cardIds, seconds, rate);
      // Warm-up: the same mix, then the memory reading everything is compared with.
      await runClient(plans.warmUp);
      const warm = await settledMemory();
      const warmCache = server.services.cache.stats();
      const result = await runClient(plans.measured);
      const after = await settledMemory();
      const afterCache = server.services.cache.stats();
      const cacheGrowthMb = mb((afterCache.bytes ?? 0) - (warmCache.bytes ?? 0));
      return {
        seconds,
        rate,
        result,
        askIncluded: plans.askIncluded,
        memory: {
          warmHeapMb: warm.heap,
          afterHeapMb: after.heap,
          heapGrowthPct: ((after.heap - warm.heap) / warm.heap) * 100,
          cacheGrowthMb,
          cacheEntries: afterCache.entries ?? 0,
          residualGrowthPct: ((after.heap - warm.heap - cacheGrowthMb) / warm.heap) * 100,
          warmRssMb: warm.rss,
          afterRssMb: after.rss,
        },
      };
    },
  );
}

/**
 * The warm-up and measured plans, as files: 80% cached card data from a
 * small working set (warmed here), 15% uncached (a fresh filter combination
 * each time), 5% questions when the ask route answers.
 */
async function writePlans(url: string, cardIds: string[], seconds: number, rate: number): Promise<{ warmUp: string; measured: string; askIncluded: boolean }> {
  // Many viewers: 60 tokens over 3 tenants, each with its own `sub`, as a host app's users would have.
  const tokens = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      signEmbedToken({ secret: TEST_EMBED_SECRET, story: STORY, params: { tenant_id: 1 + (i % 3) }, sub: `viewer-${i}`, permissions: ['view', 'drill', 'ask'], expiresIn: 3600 }),
    ),
  );
  const headersOf = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
  const cardData = (token: string, cardId: string, filters: Record<string, unknown>) => ({
    method: 'POST' as const,
    path: `/api/embed/cards/${cardId}/data`,
    headers: headersOf(token),
    body: JSON.stringify({ filters }),
  });

  // Cached: a small working set, warmed before measuring.
  const cached = tokens.flatMap((token) => cardIds.flatMap((cardId) => ['North', 'South', 'East', 'West'].map((region) => cardData(token, cardId, { region }))));
  for (const r of cached) await fetch(`${url}${r.path}`, { method: r.method, headers: r.headers, body: r.body });
  // Uncached: a distinct seven-day window and region per request, never repeated.
  const uncached = Array.from({ length: 40_000 }, (_, i) => {
    const start = new Date(Date.UTC(2024, 0, 1) + (i % 720) * 86_400_000);
    const end = new Date(start.getTime() + (6 + Math.floor(i / 720)) * 86_400_000);
    const iso = (d: Date) => d.toISOString().slice(0, 10);
    return cardData(tokens[i % tokens.length]!, cardIds[i % cardIds.length]!, { period: { from: iso(start), to: iso(end) }, region: ['North', 'South', 'East', 'West'][i % 4] });
  });
  const questions = ['revenue by region', 'total revenue by category', 'monthly revenue', 'top 3 categories by revenue', 'revenue by region last year'];
  const probe = await fetch(`${url}/api/embed/ask`, { method: 'POST', headers: headersOf(tokens[0]!), body: JSON.stringify({ question: questions[0] }) });
  const askIncluded = probe.status === 200;
  const asks = questions.flatMap((question) => tokens.slice(0, 12).map((token) => ({ method: 'POST' as const, path: '/api/embed/ask', headers: headersOf(token), body: JSON.stringify({ question }) })));

  const kinds: LoadPlan['kinds'] = [
    { name: 'cached', weight: askIncluded ? 80 : 85, requests: cached },
    { name: 'uncached', weight: 15, requests: uncached },
    ...(askIncluded ? [{ name: 'ask', weight: 5, requests: asks }] : []),
  ];
  const connections = 50;
  const measured = (slice: [number, number]) => kinds.map((k) => (k.name === 'uncached' ? { ...k, requests: uncached.slice(...slice) } : k));
  return {
    warmUp: writePlan({ url, seconds: Math.min(15, seconds), rate, connections, kinds: measured([30_000, 40_000]) }),
    measured: writePlan({ url, seconds, rate, connections, kinds: measured([0, 30_000]) }),
    askIncluded,
  };
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;

export function formatLoad(f: LoadFigures): string {
  const r = f.result;
  return [
    `${f.seconds} s at ${f.rate} req/s target, mix ${Object.entries(r.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}${f.askIncluded ? '' : ' (ask route not available: its share went to cached)'}`,
    `achieved ${r.rps.toFixed(0)} req/s, ${r.requests} requests, errors ${r.errors}, non-2xx ${r.non2xx}, timeouts ${r.timeouts}, status ${JSON.stringify(r.statusCodes)}`,
    `latency p50 ${r.p50} ms, p99 ${r.p99} ms`,
    `heap after warm-up ${f.memory.warmHeapMb.toFixed(1)} MB → after run ${f.memory.afterHeapMb.toFixed(1)} MB (${pct(f.memory.heapGrowthPct)}); of it the result cache's entries ${f.memory.cacheGrowthMb.toFixed(1)} MB (${f.memory.cacheEntries} entries, bounded at 64 MB); the rest ${pct(f.memory.residualGrowthPct)}; RSS ${f.memory.warmRssMb.toFixed(0)} → ${f.memory.afterRssMb.toFixed(0)} MB`,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  if (!(globalThis as { gc?: unknown }).gc) console.warn('run with node --expose-gc for comparable memory figures');
  console.log(formatLoad(await benchLoad()));
  process.exit(0);
}
