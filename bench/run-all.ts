/**
 * Runs every bench one after the other and prints one markdown table of
 * figures, each with its same-run baseline, target and verdict; the table is
 * also written to bench/results/latest.md (git-ignored). `npm run bench`.
 *
 * A bench that fails is reported as such and the others still run. Figures
 * come from a shared 2-core machine: compare runs with care.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureComponentsBuilt, isMain, ms, us } from './bench-kit.ts';
import { bundleSizes } from './bundle-size.ts';
import { benchCachedCardDataHttp, benchCachedCardDataInProcess, CACHED_TARGET_RATIO, formatCachedHttp } from './cached-card-data.ts';
import { benchGuardCost, formatGuardCost } from './guard-cost.ts';
import { benchPageBytes, FIRST_CHART_TARGET_BYTES, formatPageBytes, WHOLE_PAGE_TARGET_BYTES } from './page-bytes.ts';
import { benchOfflineAsk, OFFLINE_ASK_TARGET_MS } from './offline-ask.ts';
import { benchLoad, formatLoad } from './load.ts';
import { benchSingleFlight, formatSingleFlight } from './single-flight.ts';
import { benchStoryLoad, formatStoryLoad } from './story-load.ts';
import { benchStoryPaint, formatStoryPaint } from './story-paint.ts';
import { benchUncachedCardData, formatUncached, UNCACHED_TARGET_RATIO } from './uncached-card-data.ts';
import { benchUncachedCardHttp, formatUncachedHttp, UNCACHED_HTTP_TARGET_RATIO } from './uncached-card-http.ts';

type Verdict = 'pass' | 'short' | 'info' | 'skipped' | 'error';

interface Row {
  bench: string;
  figure: string;
  measured: string;
  baseline: string;
  target: string;
  verdict: Verdict;
}

const rows: Row[] = [];
const details: string[] = [];
const add = (row: Row) => rows.push(row);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function section(bench: string, run: () => Promise<void> | void): Promise<void> {
  const started = performance.now();
  console.log(`\n## ${bench}`);
  try {
    await run();
  } catch (error) {
    add({ bench, figure: 'run', measured: `failed: ${error instanceof Error ? error.message.slice(0, 160) : String(error)}`, baseline: '', target: '', verdict: 'error' });
    console.error(error);
  }
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

function detail(title: string, text: string): void {
  console.log(text);
  details.push(`### ${title}\n\n${text}`);
}

export async function runAll(): Promise<string> {
  const started = performance.now();

  await section('bundle size', () => {
    ensureComponentsBuilt((line) => console.log(line));
    const sizes = bundleSizes();
    const builtAt = statSync('embed/dist/insight-embed.js').mtime.toISOString().slice(0, 16).replace('T', ' ');
    add({ bench: 'bundle size', figure: 'initial script, gzipped', measured: kb(sizes.initial.gzip), baseline: `raw ${kb(sizes.initial.raw)}; built ${builtAt} UTC`, target: '≤ 40 KB', verdict: sizes.initial.gzip <= 40 * 1024 ? 'pass' : 'short' });
    add({ bench: 'bundle size', figure: 'lazy chunks (Vega), gzipped', measured: kb(sizes.lazyGzipTotal), baseline: `${sizes.lazy.length} chunk${sizes.lazy.length === 1 ? '' : 's'}`, target: '—', verdict: 'info' });
  });

  await section('offline ask', async () => {
    const f = await benchOfflineAsk();
    add({ bench: 'offline ask', figure: 'interpretQuestion, values known (p50 / p95)', measured: `${ms(f.p50, 3)} / ${ms(f.p95, 3)}`, baseline: '—', target: `p50 < ${OFFLINE_ASK_TARGET_MS} ms`, verdict: f.p50 < OFFLINE_ASK_TARGET_MS ? 'pass' : 'short' });
  });

  await section('guard cost', () => {
    const figures = benchGuardCost();
    detail('guard cost', formatGuardCost(figures));
    for (const f of figures) {
      add({ bench: 'guard cost', figure: `guardSql cold, ${f.dialect} (p50 / p95)`, measured: `${us(f.cold.p50)} / ${us(f.cold.p95)}`, baseline: `structured compile ${us(f.compile.p50)} / ${us(f.compile.p95)}`, target: '—', verdict: 'info' });
      add({ bench: 'guard cost', figure: `guardSql cached, ${f.dialect} (p50 / p95)`, measured: `${us(f.cached.p50)} / ${us(f.cached.p95)}`, baseline: `structured compile ${us(f.compile.p50)} / ${us(f.compile.p95)}`, target: '—', verdict: 'info' });
    }
  });

  await section('cached card data', async () => {
    const h = await benchCachedCardDataHttp();
    const r = await benchCachedCardDataInProcess();
    const f = (x: { rps: number; p50: number; p99: number }) => `${x.rps.toFixed(0)} req/s (p50 ${ms(x.p50, 2)}, p99 ${ms(x.p99, 2)})`;
    detail('cached card data', `${formatCachedHttp(h)}\nin process (no socket): InsightEngine ${f(r.ours)}, bare Hono + token verify ${f(r.baseline)}, ratio ${r.ratio.toFixed(2)}; cache hits ${r.stats.hits}, misses ${r.stats.misses}`);
    add({
      bench: 'cached card data',
      figure: `throughput over HTTP, ${h.connections} connections, separate load process: ours / bare Hono + jose (median of ${h.rounds.length} alternating rounds)`,
      measured: `${h.ratio.median.toFixed(2)} (min ${h.ratio.min.toFixed(2)}, max ${h.ratio.max.toFixed(2)}): ${f(h.product)}`,
      baseline: f(h.baseline),
      target: `≥ ${CACHED_TARGET_RATIO}`,
      verdict: h.failures > 0 ? 'error' : h.ratio.median >= CACHED_TARGET_RATIO ? 'pass' : 'short',
    });
    add({ bench: 'cached card data', figure: 'throughput in process (no socket): ours / bare Hono', measured: `${r.ratio.toFixed(2)}: ${f(r.ours)}`, baseline: f(r.baseline), target: '—', verdict: 'info' });
  });

  await section('single flight', async () => {
    const r = await benchSingleFlight();
    detail('single flight', formatSingleFlight(r));
    for (const s of r.scenarios) {
      add({
        bench: 'single flight',
        figure: `statements for ${s.scenario}`,
        measured: `${s.executions} (burst ${ms(s.wallMs, 0)})`,
        baseline: `1 request alone ${ms(r.singleMs, 0)}`,
        target: `= ${s.expected}`,
        verdict: s.executions === s.expected ? 'pass' : 'short',
      });
    }
    for (const s of r.skipped) add({ bench: 'single flight', figure: s, measured: 'service not running', baseline: '', target: '', verdict: 'skipped' });
  });

  await section('uncached card data over HTTP', async () => {
    const h = await benchUncachedCardHttp({ log: (line) => console.log(line) });
    detail('uncached card data over HTTP', formatUncachedHttp(h));
    const f = (x: { rps: number; p50: number; p99: number }) => `p50 ${ms(x.p50, 0)}, p99 ${ms(x.p99, 0)}, ${x.rps.toFixed(0)} req/s`;
    add({
      bench: 'uncached card data',
      figure: `PostgreSQL ${(h.rows / 1000).toFixed(0)}k rows over HTTP, ${h.connections} connections, every request a cache miss: p50 ours / raw pg Pool behind bare HTTP (median of ${h.rounds.length} alternating rounds)`,
      measured: `${h.ratio.median.toFixed(2)} (min ${h.ratio.min.toFixed(2)}, max ${h.ratio.max.toFixed(2)}): ${f(h.product)}`,
      baseline: f(h.baseline),
      target: `≤ ${UNCACHED_HTTP_TARGET_RATIO}`,
      verdict: h.failures > 0 ? 'error' : h.ratio.median <= UNCACHED_HTTP_TARGET_RATIO ? 'pass' : 'short',
    });
  });

  await section('uncached card data', async () => {
    const r = await benchUncachedCardData({ log: (line) => console.log(line) });
    detail('uncached card data', formatUncached(r));
    for (const fig of [r.postgres, r.mysql]) {
      if (!fig) continue;
      const name = fig.dialect === 'postgres' ? 'PostgreSQL' : 'MariaDB';
      const size = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(n % 1e6 === 0 ? 0 : 2)}M` : `${(n / 1000).toFixed(0)}k`);
      add({
        bench: 'uncached card data',
        figure: `${name}, ${size(fig.rows)} rows: card data route / raw driver (ratio of medians)`,
        measured: `${fig.ratio.toFixed(3)} (paired ${fig.pairedRatio.toFixed(3)}): card p50 ${ms(fig.card.p50)}, p99 ${ms(fig.card.p99)}`,
        baseline: `raw p50 ${ms(fig.raw.p50)}, p99 ${ms(fig.raw.p99)}`,
        target: `≤ ${UNCACHED_TARGET_RATIO}`,
        verdict: fig.ratio <= UNCACHED_TARGET_RATIO ? 'pass' : 'short',
      });
      add({ bench: 'uncached card data', figure: `${name}: admin POST /api/queries/run / raw driver`, measured: `${fig.routeRatio.toFixed(3)}: p50 ${ms(fig.route.p50)}, p99 ${ms(fig.route.p99)}`, baseline: `raw p50 ${ms(fig.raw.p50)}`, target: '—', verdict: 'info' });
      if (fig.sent && fig.sentRatio !== undefined) {
        add({ bench: 'uncached card data', figure: `${name}: card data route / raw driver with the connector's row-capped SQL`, measured: `${fig.sentRatio.toFixed(3)} (paired ${fig.pairedSentRatio?.toFixed(3)})`, baseline: `row-capped p50 ${ms(fig.sent.p50)}, p99 ${ms(fig.sent.p99)}`, target: '—', verdict: 'info' });
      }
      const small = r.small[fig.dialect];
      if (small) {
        add({
          bench: 'uncached card data',
          figure: `${name}, small table (${size(small.rows)} rows): card data route / raw driver`,
          measured: `${small.ratio.toFixed(3)}: card p50 ${ms(small.card.p50)} (+${ms(small.card.p50 - small.raw.p50)})`,
          baseline: `raw p50 ${ms(small.raw.p50)}`,
          target: '— (fixed cost)',
          verdict: 'info',
        });
      }
    }
    for (const s of r.skipped) add({ bench: 'uncached card data', figure: s, measured: 'service not running', baseline: '', target: '', verdict: 'skipped' });
  });

  await section('story load', async () => {
    const r = await benchStoryLoad({ log: (line) => console.log(line) });
    detail('story load', formatStoryLoad(r));
    const base = `${r.orders / 1000}k orders, ${r.cards} cards`;
    add({ bench: 'story load', figure: `cold start, ${base} (p50 of ${r.summary.coldStart.n})`, measured: ms(r.summary.coldStart.p50, 0), baseline: `warm ${ms(r.summary.warm.p50)}`, target: '—', verdict: 'info' });
    add({ bench: 'story load', figure: `cache-cold, warm database (p50 of ${r.summary.cacheCold.n})`, measured: ms(r.summary.cacheCold.p50, 0), baseline: `warm ${ms(r.summary.warm.p50)}`, target: '—', verdict: 'info' });
    add({ bench: 'story load', figure: `warm, every card a cache hit (p50 / max of ${r.summary.warm.n})`, measured: `${ms(r.summary.warm.p50)} / ${ms(r.summary.warm.max)}`, baseline: '', target: '—', verdict: 'info' });
  });

  await section('story paint in Chromium', async () => {
    const f = await benchStoryPaint({ log: (line) => console.log(line) });
    detail('story paint in Chromium', formatStoryPaint(f));
    const base = `host page navigation p50 ${ms(f.hostLoad.p50, 0)}`;
    add({ bench: 'story paint', figure: `cold: fresh server and browser, navigation → ${f.cards} cards painted (${f.orders / 1000}k orders)`, measured: ms(f.cold, 0), baseline: base, target: '—', verdict: 'info' });
    add({ bench: 'story paint', figure: 'cache-cold: browser has the scripts (p50)', measured: ms(f.cacheCold.p50, 0), baseline: base, target: '—', verdict: 'info' });
    add({ bench: 'story paint', figure: 'warm: both caches warm (p50 / max)', measured: `${ms(f.warm.p50, 0)} / ${ms(f.warm.max, 0)}`, baseline: base, target: '—', verdict: 'info' });
  });

  await section('page bytes in Chromium', async () => {
    const f = await benchPageBytes({ log: (line) => console.log(line) });
    detail('page bytes in Chromium', formatPageBytes(f));
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const first = median(f.compressed.map((l) => l.firstChart));
    const whole = median(f.compressed.map((l) => l.wholePage));
    add({ bench: 'page bytes', figure: 'cold demo page, bytes before the first chart (data included)', measured: kb(first), baseline: `Accept-Encoding: identity ${kb(f.identity.firstChart)}`, target: `≤ ${kb(FIRST_CHART_TARGET_BYTES)}`, verdict: first <= FIRST_CHART_TARGET_BYTES ? 'pass' : 'short' });
    add({ bench: 'page bytes', figure: 'cold demo page, whole page with Vega', measured: kb(whole), baseline: `Accept-Encoding: identity ${kb(f.identity.wholePage)}`, target: `≤ ${kb(WHOLE_PAGE_TARGET_BYTES)}`, verdict: whole <= WHOLE_PAGE_TARGET_BYTES ? 'pass' : 'short' });
  });

  await section('load', async () => {
    const f = await benchLoad();
    detail('load', formatLoad(f));
    const r = f.result;
    add({ bench: 'load', figure: `${f.seconds} s mixed traffic at ${f.rate} req/s: errors`, measured: `${r.errors + r.non2xx + r.timeouts} of ${r.requests}`, baseline: `achieved ${r.rps.toFixed(0)} req/s`, target: '0', verdict: r.errors + r.non2xx + r.timeouts === 0 ? 'pass' : 'short' });
    add({ bench: 'load', figure: 'latency p50 / p99', measured: `${r.p50} / ${r.p99} ms`, baseline: `mix ${Object.entries(r.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}`, target: `≥ ${f.rate} req/s sustained`, verdict: r.rps >= f.rate * 0.97 ? 'pass' : 'short' });
    add({ bench: 'load', figure: 'heap growth after warm-up, besides the result cache', measured: `${f.memory.residualGrowthPct.toFixed(1)}%`, baseline: `heap ${f.memory.warmHeapMb.toFixed(1)} → ${f.memory.afterHeapMb.toFixed(1)} MB (${f.memory.heapGrowthPct.toFixed(1)}%), cache +${f.memory.cacheGrowthMb.toFixed(1)} MB`, target: '≤ 10%', verdict: f.memory.residualGrowthPct <= 10 ? 'pass' : 'short' });
  });

  const minutes = ((performance.now() - started) / 60_000).toFixed(1);
  const header = [
    '# Bench results',
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · node ${process.version} · ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}) · load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} · ${minutes} min`,
    '',
    'Each figure is compared with a baseline measured in the same run; the machine is shared, so single runs are noisy.',
    '',
  ];
  const table = ['| bench | figure | measured | baseline (same run) | target | verdict |', '| --- | --- | --- | --- | --- | --- |', ...rows.map((r) => `| ${r.bench} | ${r.figure} | ${r.measured} | ${r.baseline} | ${r.target} | ${r.verdict} |`)];
  const markdown = [...header, ...table, '', '## Details', '', ...details.flatMap((d) => [d, ''])].join('\n');
  const out = path.resolve('bench/results/latest.md');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, markdown);
  return [...table, '', `written to ${path.relative(process.cwd(), out)} (${minutes} min)`].join('\n');
}

if (isMain(import.meta.url)) {
  const summary = await runAll();
  console.log(`\n${summary}`);
  // Pools and timers of a failed bench must not keep the process alive.
  process.exit(rows.some((r) => r.verdict === 'error') ? 1 : 0);
}
