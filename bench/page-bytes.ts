/**
 * Bytes a viewer downloads for the demo page, as Chromium counts them on the
 * wire (CDP `Network.loadingFinished` `encodedDataLength`: headers plus the
 * body as sent, compressed or not), on a cold load (a new tab, HTTP cache
 * emptied), for:
 *
 * - first chart: every transfer that finished before the first `<insight-chart>`
 *   fired `insight-render` (page, scripts, story, card data, token);
 * - whole page: everything until every chart of the first page is painted and
 *   the network is idle (Vega included).
 *
 * The same-run baseline is the same load with `Accept-Encoding: identity`
 * (what the server sent before it compressed). Targets: ≤ 60 KB before the
 * first chart, ≤ 400 KB for the whole page.
 *
 * `node --import tsx bench/page-bytes.ts` (builds and precompresses
 * embed/dist when missing, like the build step should).
 */
import os from 'node:os';
import path from 'node:path';
import type { Browser, CDPSession } from 'puppeteer-core';
import { createApp } from '../server/app.ts';
import { precompressDir } from '../server/compression/precompress.ts';
import { loadConfig } from '../server/config.ts';
import { createServices } from '../server/services.ts';
import { createDemoHost } from '../demo/host-server.ts';
import { launchBrowser, listen, readStories, settled, waitFor } from '../demo/e2e-kit.ts';
import { BENCH_RATE_LIMIT, ensureComponentsBuilt, isMain } from './bench-kit.ts';

export const FIRST_CHART_TARGET_BYTES = 60 * 1024;
export const WHOLE_PAGE_TARGET_BYTES = 400 * 1024;

export interface Transfer {
  url: string;
  /** What it is, for the breakdown: host, embed script, vega, chunk, story, card data, … */
  kind: string;
  encoding: string;
  bytes: number;
  beforeFirstChart: boolean;
}

export interface PageLoad {
  firstChart: number;
  wholePage: number;
  transfers: Transfer[];
}

export interface PageBytesFigures {
  compressed: PageLoad[];
  identity: PageLoad;
}

const ROUNDS = 3;

function kindOf(url: URL, hostOrigin: string): string {
  if (url.origin === hostOrigin) return url.pathname.startsWith('/api/') ? 'host api (token)' : 'host page';
  const p = url.pathname;
  if (p === '/static/insight-embed.js') return 'embed script';
  if (p.startsWith('/static/chunks/embed-')) return 'vega (lazy)';
  if (p.startsWith('/static/')) return `chunk ${path.basename(p).replace(/-[\w-]{8,}\.js$/, '')}`;
  if (p === '/api/embed/story') return 'story';
  if (/^\/api\/embed\/cards\/[^/]+\/data$/.test(p)) return 'card data';
  return p;
}

/** One cold load: a new tab, the HTTP cache emptied, opening the demo page. */
async function coldLoad(browser: Browser, pageUrl: string, hostOrigin: string, acceptEncoding?: string): Promise<PageLoad> {
  // A new tab rather than a new browser context: with the single-process Chromium of @sparticuz, closing a context closed the browser.
  const page = await browser.newPage();
  try {
    await page.evaluateOnNewDocument('globalThis.__name = (f) => f');
    // When the first chart is painted, on the epoch clock (converted to CDP's monotonic clock below).
    await page.evaluateOnNewDocument(`
      document.addEventListener('insight-render', (event) => {
        if (globalThis.__firstChartAt === undefined && event.composedPath()[0]?.localName === 'insight-chart') {
          globalThis.__firstChartAt = performance.timeOrigin + performance.now();
        }
      }, true);
    `);
    await page.setViewport({ width: 1440, height: 1000 });
    const cdp: CDPSession = await page.createCDPSession();
    await cdp.send('Network.enable');
    await cdp.send('Network.clearBrowserCache');
    if (acceptEncoding) await cdp.send('Network.setExtraHTTPHeaders', { headers: { 'Accept-Encoding': acceptEncoding } });

    const requests = new Map<string, { url: string; encoding: string }>();
    const finished: Array<{ requestId: string; timestamp: number; bytes: number }> = [];
    /** Epoch seconds minus monotonic seconds, from the first request that reports both. */
    let clockOffset: number | undefined;
    cdp.on('Network.requestWillBeSent', (e) => {
      clockOffset ??= e.wallTime - e.timestamp;
      requests.set(e.requestId, { url: e.request.url, encoding: 'identity' });
    });
    cdp.on('Network.responseReceived', (e) => {
      const known = requests.get(e.requestId);
      const headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
      if (known) known.encoding = headers['content-encoding'] ?? 'identity';
    });
    cdp.on('Network.loadingFinished', (e) => finished.push({ requestId: e.requestId, timestamp: e.timestamp, bytes: e.encodedDataLength }));

    await page.goto(pageUrl);
    await waitFor(() => page.evaluate('globalThis.__firstChartAt') as Promise<number | undefined>, (at) => at !== undefined, 60_000);
    await waitFor(() => readStories(page), (s) => settled(s, 2) && s.metrics.length >= 2, 60_000);
    await page.waitForNetworkIdle({ idleTime: 500, timeout: 30_000 });
    const firstChartAt = (await page.evaluate('globalThis.__firstChartAt')) as number;
    if (clockOffset === undefined) throw new Error('no request seen');
    const firstChartMonotonic = firstChartAt / 1000 - clockOffset;

    const transfers = finished.flatMap((f): Transfer[] => {
      const request = requests.get(f.requestId);
      if (!request || request.url.startsWith('data:')) return [];
      const url = new URL(request.url);
      return [{ url: url.pathname, kind: kindOf(url, hostOrigin), encoding: request.encoding, bytes: f.bytes, beforeFirstChart: f.timestamp <= firstChartMonotonic }];
    });
    const sum = (list: Transfer[]) => list.reduce((s, t) => s + t.bytes, 0);
    return { firstChart: sum(transfers.filter((t) => t.beforeFirstChart)), wholePage: sum(transfers), transfers };
  } finally {
    await page.close();
  }
}

export async function benchPageBytes(options: { log?: (line: string) => void } = {}): Promise<PageBytesFigures> {
  const log = options.log ?? (() => undefined);
  ensureComponentsBuilt(log);
  const report = await precompressDir(path.resolve('embed/dist'));
  if (report.written.length > 0) log(`precompressed ${report.written.length} files of embed/dist`);

  // The full demo warehouse, in a folder of its own (seeded once, ~20 s; the paint bench may hold its own meanwhile).
  const config = { ...loadConfig({ ...process.env, INSIGHT_DATA_DIR: path.join(os.tmpdir(), 'insight-bench-bytes'), INSIGHT_DEMO: '1' }), rateLimit: BENCH_RATE_LIMIT };
  const services = await createServices(config);
  const api = await listen(createApp(services, { staticDir: path.resolve('embed/dist') }).fetch);
  const demo = await listen(createDemoHost({ insightUrl: api.url, embedSecret: config.embedSecret }).fetch);
  const browser = await launchBrowser();
  try {
    const url = `${demo.url}/?tenant=1`;
    const compressed: PageLoad[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      compressed.push(await coldLoad(browser, url, demo.url));
      log(`round ${round + 1}: first chart ${kb(compressed[round]!.firstChart)}, whole page ${kb(compressed[round]!.wholePage)}`);
    }
    const identity = await coldLoad(browser, url, demo.url, 'identity');
    log(`identity: first chart ${kb(identity.firstChart)}, whole page ${kb(identity.wholePage)}`);
    return { compressed, identity };
  } finally {
    await browser.close();
    await demo.close();
    await api.close();
    await services.close();
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** Transfers of one load grouped by kind, largest first. */
function breakdown(load: PageLoad): string[] {
  const groups = new Map<string, { count: number; bytes: number; before: number; encodings: Set<string> }>();
  for (const t of load.transfers) {
    const group = groups.get(t.kind) ?? { count: 0, bytes: 0, before: 0, encodings: new Set() };
    group.count++;
    group.bytes += t.bytes;
    if (t.beforeFirstChart) group.before += t.bytes;
    group.encodings.add(t.encoding);
    groups.set(t.kind, group);
  }
  return [...groups.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([kind, g]) => `| ${kind} | ${g.count} | ${[...g.encodings].join(', ')} | ${kb(g.before)} | ${kb(g.bytes)} |`);
}

export function formatPageBytes(f: PageBytesFigures): string {
  const span = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `${kb(sorted[Math.floor(sorted.length / 2)] as number)} (${kb(sorted[0] as number)}–${kb(sorted[sorted.length - 1] as number)})`;
  };
  const median = [...f.compressed].sort((a, b) => a.wholePage - b.wholePage)[Math.floor(f.compressed.length / 2)] as PageLoad;
  return [
    `demo page, cold load (new tab, HTTP cache emptied), headless Chromium, CDP encodedDataLength, ${f.compressed.length} rounds, median (min–max):`,
    `before the first chart: ${span(f.compressed.map((l) => l.firstChart))} (target ≤ ${kb(FIRST_CHART_TARGET_BYTES)}); Accept-Encoding: identity: ${kb(f.identity.firstChart)}`,
    `whole page: ${span(f.compressed.map((l) => l.wholePage))} (target ≤ ${kb(WHOLE_PAGE_TARGET_BYTES)}); Accept-Encoding: identity: ${kb(f.identity.wholePage)}`,
    '',
    '| what | requests | coding | before first chart | whole page |',
    '| --- | ---: | --- | ---: | ---: |',
    ...breakdown(median),
  ].join('\n');
}

if (isMain(import.meta.url)) {
  console.log(formatPageBytes(await benchPageBytes({ log: (line) => console.log(line) })));
  process.exit(0);
}
