/**
 * Uncached card data as a viewer gets it, over HTTP: `POST
 * /api/embed/cards/{id}/data` of the product (bench/product-server.ts, its
 * own process) at 16 connections from a separate load process
 * (bench/load-client.ts, "distinct requests in order"), every request a cache
 * miss: each one carries a date-range story filter no other request of the
 * run used. The baseline (bench/bare-sql-server.ts, its own process) runs the
 * very SQL the product sends to PostgreSQL (the compiled card query in the
 * connector's row cap) with the same parameters, through a raw `pg` Pool of
 * 16 clients behind a bare node HTTP server, so both sides pay HTTP and JSON.
 *
 * Rounds alternate product and baseline (and which goes first); each round's
 * ratio is product p50 ÷ baseline p50, and the median ratio with its min–max
 * spread is reported. Target: ≤ 1.1.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signEmbedToken } from '../sdk/sign-embed-token.ts';
import { compileStructuredQuery, type CompileDataset } from '../server/query/compile-query.ts';
import { TEST_ADMIN_KEY } from '../server/testing/admin-fixtures.ts';
import { POSTGRES_URL, serviceAvailable } from '../server/testing/services.ts';
import { TEST_EMBED_SECRET } from '../server/testing/test-services.ts';
import { isMain, runPlan, spread, startChild, withCleanup, type BenchChild } from './bench-kit.ts';
import type { LoadPlan, LoadResult } from './load-client.ts';
import { CARD_QUERY, DAY_MS, isoDay, ORDER_COLUMNS, postgresTarget, TENANT, WINDOW_BASE } from './uncached-orders.ts';

export const UNCACHED_HTTP_TARGET_RATIO = 1.1;

/** The product's default row cap (INSIGHT_ROW_CAP): the connector asks for one row more. */
const ROW_CAP = 10_000;


/**
 * The story filter of request `index`: windows start on one of 300 days and
 * end 300 to 480 days later, so 54,000 requests never repeat one.
 */
function windowAt(index: number): { from: string; to: string } {
  const from = WINDOW_BASE + (index % 300) * DAY_MS;
  return { from: isoDay(from), to: isoDay(from + (300 + Math.floor(index / 300)) * DAY_MS) };
}

export interface UncachedHttpRound {
  product: LoadResult;
  baseline: LoadResult;
  /** product p50 ÷ baseline p50 of this round. */
  ratio: number;
}

export interface UncachedHttpFigures {
  rows: number;
  connections: number;
  seconds: number;
  rounds: UncachedHttpRound[];
  ratio: { median: number; min: number; max: number };
  product: { rps: number; p50: number; p99: number };
  baseline: { rps: number; p50: number; p99: number };
  /** Answers that were not 200 on either side, over all rounds: must be 0. */
  failures: number;
}

/**
 * @example
 * const f = await benchUncachedCardHttp({ rounds: 3, seconds: 5 });
 * console.log(f.ratio.median);
 */
export async function benchUncachedCardHttp(options: { rows?: number; rounds?: number; seconds?: number; connections?: number; log?: (line: string) => void } = {}): Promise<UncachedHttpFigures> {
  const rows = options.rows ?? 200_000;
  const rounds = options.rounds ?? 3;
  const seconds = options.seconds ?? 5;
  const connections = options.connections ?? 16;
  const log = options.log ?? (() => {});
  if (!(await serviceAvailable('postgres'))) throw new Error('PostgreSQL is not running');

  const table = `bench_orders_http_${process.pid}`;
  const target = await postgresTarget(table);
  const children: BenchChild[] = [];
  return withCleanup(
    async () => {
      for (const child of children) await child.stop();
      await target.drop();
      await target.close();
    },
    async () => {
      log(`uncached card over HTTP: filling ${table} with ${rows} rows…`);
      await target.fill(rows);

      const product = await startChild('product-server.ts', ['--no-demo']);
      children.push(product);
      const productUrl = product.hello['url'] as string;
      const admin = async (pathname: string, body: unknown) => {
        const res = await fetch(`${productUrl}${pathname}`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const text = await res.text();
        if (res.status >= 300) throw new Error(`${pathname} answered ${res.status}: ${text.slice(0, 300)}`);
        return JSON.parse(text) as Record<string, unknown>;
      };
      const name = 'bench_orders_http';
      const rowPolicy = 'tenant_id = {{tenant_id}}';
      const connection = await admin('/api/connections', { name: 'bench-http', type: 'postgres', url: POSTGRES_URL });
      await admin('/api/datasets', { name, label: 'Orders', connectionId: connection['id'], table, rowPolicy, columns: ORDER_COLUMNS });
      const slug = 'bench-orders-http';
      await admin('/api/stories/import', {
        slug,
        title: 'Orders',
        status: 'published',
        filters: [{ name: 'period', label: 'Placed', type: 'date_range', dataset: name, column: 'placed_at' }],
        pages: [{ key: 'overview', title: 'Overview', cards: [{ key: 'revenue-by-month', type: 'chart', title: 'Revenue by month', query: { dataset: name, ...CARD_QUERY } }] }],
      });
      const token = await signEmbedToken({ secret: TEST_EMBED_SECRET, story: slug, params: { tenant_id: TENANT }, sub: 'bench-viewer', expiresIn: 3600 });
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const story = (await (await fetch(`${productUrl}/api/embed/story`, { headers })).json()) as { pages: Array<{ cards: Array<{ id: string }> }> };
      const requestPath = `/api/embed/cards/${story.pages[0]?.cards[0]?.id}/data`;

      // What the card route compiles for a window, in the connector's row cap.
      const dataset: CompileDataset = { source_table: table, source_sql: null, row_policy: rowPolicy, columns: ORDER_COLUMNS };
      const compiled = (index: number) => {
        const { from, to } = windowAt(index);
        const query = { dataset: name, ...CARD_QUERY, filters: [...CARD_QUERY.filters, { column: 'placed_at', op: 'gte' as const, value: from }, { column: 'placed_at', op: 'lte' as const, value: to }] };
        return compileStructuredQuery(query, dataset, { dialect: 'postgres', params: { tenant_id: TENANT } });
      };
      const sqlFile = path.join(os.tmpdir(), `insight-bench-uncached-${process.pid}.sql`);
      writeFileSync(sqlFile, `SELECT * FROM (\n${compiled(0).sql}\n) AS capped LIMIT ${ROW_CAP + 1}`);
      // BENCH_BASELINE_POOL: the baseline's pool size (16 by default; the product's connector pools 10).
      const bare = await startChild('bare-sql-server.ts', [sqlFile, process.env['BENCH_BASELINE_POOL'] ?? String(connections)]);
      children.push(bare);
      const bareUrl = bare.hello['url'] as string;

      // Both sides answer the same rows for a window, and the product's answer is a cache miss.
      let next = 0;
      const probe = next++;
      const productAnswer = (await (await fetch(`${productUrl}${requestPath}`, { method: 'POST', headers, body: JSON.stringify({ filters: { period: windowAt(probe) } }) })).json()) as { rows: unknown[][]; fromCache: boolean };
      const bareAnswer = (await (await fetch(bareUrl, { method: 'POST', body: JSON.stringify({ parameters: compiled(probe).parameters }) })).json()) as { rows: unknown[][] };
      // Dates and numerics are typed by the connector and left as pg's defaults by the baseline: compare the counts of orders.
      const orders = (answer: { rows: unknown[][] }) => answer.rows.map((r) => Number(r[2])).join(',');
      if (productAnswer.fromCache || productAnswer.rows.length < 6 || orders(productAnswer) !== orders(bareAnswer)) {
        throw new Error(`product and baseline disagree (fromCache ${productAnswer.fromCache}, orders ${orders(productAnswer)} vs ${orders(bareAnswer)})`);
      }

      // Each load gets a block of windows no other load used; more than it can send, so none repeats.
      const block = (secs: number) => Math.max(2000, secs * 1500);
      const load = async (side: 'product' | 'baseline', secs: number): Promise<LoadResult> => {
        const first = next;
        const count = block(secs);
        next += count;
        const requests = Array.from({ length: count }, (_, k) =>
          side === 'product'
            ? { method: 'POST' as const, path: requestPath, headers, body: JSON.stringify({ filters: { period: windowAt(first + k) } }) }
            : { method: 'POST' as const, path: '/', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parameters: compiled(first + k).parameters }) },
        );
        const plan: LoadPlan = { url: side === 'product' ? productUrl : bareUrl, seconds: secs, rate: 0, connections, order: 'sequence', kinds: [{ name: 'uncached', weight: 1, requests }] };
        const result = await runPlan<LoadResult>('load-client.ts', plan);
        if (result.requests + connections > count) throw new Error(`the ${side} load may have repeated a request (${result.requests} of ${count})`);
        return result;
      };

      // Warm-up of both (JIT, sockets, pools), not counted.
      await load('product', 2);
      await load('baseline', 2);
      const results: UncachedHttpRound[] = [];
      for (let round = 0; round < rounds; round++) {
        const productFirst = round % 2 === 0;
        const first = await load(productFirst ? 'product' : 'baseline', seconds);
        const second = await load(productFirst ? 'baseline' : 'product', seconds);
        const [p, b] = productFirst ? [first, second] : [second, first];
        results.push({ product: p, baseline: b, ratio: p.p50 / b.p50 });
        log(`  round ${round + 1}: product p50 ${p.p50} ms (${p.rps.toFixed(0)} req/s), baseline p50 ${b.p50} ms (${b.rps.toFixed(0)} req/s), ratio ${(p.p50 / b.p50).toFixed(2)}`);
      }
      const mid = (pick: (r: UncachedHttpRound) => number) => spread(results.map(pick)).median;
      return {
        rows,
        connections,
        seconds,
        rounds: results,
        ratio: spread(results.map((r) => r.ratio)),
        product: { rps: mid((r) => r.product.rps), p50: mid((r) => r.product.p50), p99: mid((r) => r.product.p99) },
        baseline: { rps: mid((r) => r.baseline.rps), p50: mid((r) => r.baseline.p50), p99: mid((r) => r.baseline.p99) },
        failures: results.reduce((n, r) => n + r.product.errors + r.product.non2xx + r.product.timeouts + r.baseline.errors + r.baseline.non2xx + r.baseline.timeouts, 0),
      };
    },
  );
}

export function formatUncachedHttp(f: UncachedHttpFigures): string {
  const line = (x: { rps: number; p50: number; p99: number }) => `${x.rps.toFixed(0)} req/s, p50 ${x.p50} ms, p99 ${x.p99} ms`;
  return [
    `over HTTP, PostgreSQL ${f.rows.toLocaleString('en')} rows, ${f.connections} connections, every request a cache miss, ${f.rounds.length} rounds of ${f.seconds} s each side (alternating)`,
    `  InsightEngine card data (median of rounds): ${line(f.product)}`,
    `  raw pg Pool, same SQL, bare HTTP:           ${line(f.baseline)}`,
    `  p50 ratio median ${f.ratio.median.toFixed(2)} (min ${f.ratio.min.toFixed(2)}, max ${f.ratio.max.toFixed(2)}; rounds ${f.rounds.map((r) => r.ratio.toFixed(2)).join(', ')}), target ≤ ${UNCACHED_HTTP_TARGET_RATIO}: ${f.ratio.median <= UNCACHED_HTTP_TARGET_RATIO ? 'within target' : 'ABOVE target'}; failed answers ${f.failures}`,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const f = await benchUncachedCardHttp({
    ...(process.env['BENCH_ROWS'] ? { rows: Number(process.env['BENCH_ROWS']) } : {}),
    ...(process.env['BENCH_ROUNDS'] ? { rounds: Number(process.env['BENCH_ROUNDS']) } : {}),
    ...(process.env['BENCH_SECONDS'] ? { seconds: Number(process.env['BENCH_SECONDS']) } : {}),
    log: (line) => console.log(line),
  });
  console.log(formatUncachedHttp(f));
  process.exit(0);
}
