/**
 * Cached card data as a viewer gets it: `POST /api/embed/cards/{id}/data`,
 * every request a cache hit, over HTTP on loopback at 16 connections from a
 * separate load process (autocannon, bench/load-client.ts), against a
 * baseline in its own process: bare Hono + jose that verifies the same token
 * and answers the product's exact bytes for that card (bench/bare-server.ts).
 * The product runs in its own process too (bench/product-server.ts). Rounds
 * alternate product and baseline (and which goes first), so both see the
 * same machine; each round's ratio pairs a product run with the baseline run
 * next to it, and the median ratio and its spread are reported.
 * Target: throughput ratio ≥ 0.7.
 *
 * The in-process figure (both driven through `fetch(Request)` in this
 * process: our handler's cost without the socket) stays as a second line.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signEmbedToken } from '../sdk/sign-embed-token.ts';
import { bareCardApp } from './bare-card-app.ts';
import { BENCH_RATE_LIMIT, isMain, runPlan, spread, startChild, type BenchChild } from './bench-kit.ts';
import type { LoadPlan, LoadResult } from './load-client.ts';
import { createTestServer, TEST_EMBED_SECRET } from '../server/testing/test-services.ts';

export const CACHED_TARGET_RATIO = 0.7;

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

export async function benchCachedCardDataInProcess(options: { total?: number; concurrency?: number } = {}) {
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

    const bare = await bareCardApp(bytes);

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

export interface CachedHttpRound {
  product: LoadResult;
  baseline: LoadResult;
  /** product req/s ÷ baseline req/s of this round. */
  ratio: number;
}

export interface CachedHttpFigures {
  connections: number;
  seconds: number;
  /** Size of the card's answer (both sides send these bytes). */
  bytes: number;
  rounds: CachedHttpRound[];
  ratio: { median: number; min: number; max: number };
  product: { rps: number; p50: number; p99: number };
  baseline: { rps: number; p50: number; p99: number };
  /** Answers that were not 200, or were not cache hits (product), over all rounds: must be 0. */
  failures: number;
}

/**
 * @example
 * const f = await benchCachedCardDataHttp({ rounds: 3, seconds: 5 });
 * console.log(f.ratio.median);
 */
export async function benchCachedCardDataHttp(options: { rounds?: number; seconds?: number; connections?: number } = {}): Promise<CachedHttpFigures> {
  const rounds = options.rounds ?? 5;
  const seconds = options.seconds ?? 5;
  const connections = options.connections ?? 16;
  const children: BenchChild[] = [];
  try {
    const product = await startChild('product-server.ts');
    children.push(product);
    const productUrl = product.hello['url'] as string;
    const token = await signEmbedToken({ secret: TEST_EMBED_SECRET, story: 'retail-overview', params: { tenant_id: 1 }, sub: 'bench-viewer', expiresIn: 3600 });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const story = (await (await fetch(`${productUrl}/api/embed/story`, { headers })).json()) as { pages: Array<{ cards: Array<{ id: string; key: string }> }> };
    const card = story.pages[0]?.cards.find((c) => c.key === 'revenue-by-month');
    if (!card) throw new Error('the demo story has no revenue-by-month card');
    const requestPath = `/api/embed/cards/${card.id}/data`;
    const body = JSON.stringify({ filters: { region: 'West' } });
    await fetch(`${productUrl}${requestPath}`, { method: 'POST', headers, body });
    const hit = await fetch(`${productUrl}${requestPath}`, { method: 'POST', headers, body });
    const bytes = new Uint8Array(await hit.arrayBuffer());
    if (hit.status !== 200 || !new TextDecoder().decode(bytes).includes('"fromCache":true')) throw new Error(`the warm card request was not a cache hit (${hit.status})`);
    const bodyFile = path.join(os.tmpdir(), `insight-bench-card-${process.pid}.json`);
    writeFileSync(bodyFile, bytes);
    const bare = await startChild('bare-server.ts', [bodyFile]);
    children.push(bare);
    const bareUrl = bare.hello['url'] as string;

    const plan = (url: string, secs: number): LoadPlan => ({
      url,
      seconds: secs,
      rate: 0,
      connections,
      kinds: [{ name: 'cached', weight: 1, requests: [{ method: 'POST', path: requestPath, headers, body }] }],
    });
    const load = (url: string, secs: number) => runPlan<LoadResult>('load-client.ts', plan(url, secs));
    // Warm-up of both (JIT, sockets), not counted.
    await load(productUrl, 2);
    await load(bareUrl, 2);
    const results: CachedHttpRound[] = [];
    for (let round = 0; round < rounds; round++) {
      const productFirst = round % 2 === 0;
      const first = await load(productFirst ? productUrl : bareUrl, seconds);
      const second = await load(productFirst ? bareUrl : productUrl, seconds);
      const [p, b] = productFirst ? [first, second] : [second, first];
      results.push({ product: p, baseline: b, ratio: p.rps / b.rps });
    }
    const hitsAfter = await (await fetch(`${productUrl}${requestPath}`, { method: 'POST', headers, body })).text();
    if (!hitsAfter.includes('"fromCache":true')) throw new Error('the card stopped being a cache hit during the run');
    const mid = (pick: (r: CachedHttpRound) => number) => spread(results.map(pick)).median;
    return {
      connections,
      seconds,
      bytes: bytes.length,
      rounds: results,
      ratio: spread(results.map((r) => r.ratio)),
      product: { rps: mid((r) => r.product.rps), p50: mid((r) => r.product.p50), p99: mid((r) => r.product.p99) },
      baseline: { rps: mid((r) => r.baseline.rps), p50: mid((r) => r.baseline.p50), p99: mid((r) => r.baseline.p99) },
      failures: results.reduce((n, r) => n + r.product.errors + r.product.non2xx + r.baseline.errors + r.baseline.non2xx, 0),
    };
  } finally {
    for (const child of children) await child.stop();
  }
}

export function formatCachedHttp(f: CachedHttpFigures): string {
  const line = (x: { rps: number; p50: number; p99: number }) => `${x.rps.toFixed(0)} req/s, p50 ${x.p50} ms, p99 ${x.p99} ms`;
  return [
    `over HTTP, ${f.connections} connections, ${f.rounds.length} rounds of ${f.seconds} s each side (alternating), ${f.bytes} bytes per answer`,
    `  InsightEngine (median of rounds):      ${line(f.product)}`,
    `  bare Hono + jose, same bytes:          ${line(f.baseline)}`,
    `  ratio median ${f.ratio.median.toFixed(2)} (min ${f.ratio.min.toFixed(2)}, max ${f.ratio.max.toFixed(2)}; rounds ${f.rounds.map((r) => r.ratio.toFixed(2)).join(', ')}), target ≥ ${CACHED_TARGET_RATIO}: ${f.ratio.median >= CACHED_TARGET_RATIO ? 'within target' : 'BELOW target'}; failed answers ${f.failures}`,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const http = await benchCachedCardDataHttp({
    ...(process.env['BENCH_ROUNDS'] ? { rounds: Number(process.env['BENCH_ROUNDS']) } : {}),
    ...(process.env['BENCH_SECONDS'] ? { seconds: Number(process.env['BENCH_SECONDS']) } : {}),
  });
  console.log(formatCachedHttp(http));
  const r = await benchCachedCardDataInProcess();
  const f = (x: Figures) => `${x.rps.toFixed(0)} req/s, p50 ${x.p50.toFixed(2)} ms, p99 ${x.p99.toFixed(2)} ms`;
  console.log(`in process (no socket): InsightEngine ${f(r.ours)}; bare Hono + token verify ${f(r.baseline)}; ratio ${r.ratio.toFixed(2)}`);
  process.exit(0);
}
