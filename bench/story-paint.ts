/**
 * What a viewer waits for: time from navigation to every card of the demo
 * story's first page painted (charts drawn by Vega, metrics showing numbers),
 * in headless Chromium, on the full demo warehouse (240k orders).
 *
 * - cold: a fresh server (empty result cache) and a fresh browser (no HTTP
 *   cache): scripts, the Vega chunk and every query;
 * - cache-cold: the browser has the scripts, the server's result cache is emptied;
 * - warm: both caches warm, the usual repeat view.
 *
 * The baseline of the same run is the host page alone (navigation to its
 * `load` event), which InsightEngine cannot make faster.
 * `node --import tsx bench/story-paint.ts` (needs the built components in embed/dist: `npm install` builds them).
 */
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { createServices } from '../server/services.ts';
import { createDemoHost } from '../demo/host-server.ts';
import { DEMO_CONNECTION_ID } from '../server/demo-content/provision-demo.ts';
import { launchBrowser, listen, readStories, settled, waitFor } from '../demo/e2e-kit.ts';
import { BENCH_RATE_LIMIT, ensureComponentsBuilt, isMain, ms, summarize, type Summary } from './bench-kit.ts';

export interface PaintFigures {
  orders: number;
  cards: number;
  cold: number;
  cacheCold: Summary;
  warm: Summary;
  hostLoad: Summary;
}

const ROUNDS = 5;

export async function benchStoryPaint(options: { log?: (line: string) => void } = {}): Promise<PaintFigures> {
  const log = options.log ?? (() => undefined);
  ensureComponentsBuilt(log);
  // The full demo warehouse, kept between runs in a folder of its own (seeding takes ~20 s once).
  const config = { ...loadConfig({ ...process.env, INSIGHT_DATA_DIR: path.join(os.tmpdir(), 'insight-bench-paint'), INSIGHT_DEMO: '1' }), rateLimit: BENCH_RATE_LIMIT };
  const services = await createServices(config);
  const api = await listen(createApp(services, { staticDir: path.resolve('embed/dist') }).fetch);
  const demo = await listen(createDemoHost({ insightUrl: api.url, embedSecret: config.embedSecret }).fetch);
  const browser = await launchBrowser();
  try {
    // A fresh browser: the cold view has no HTTP cache.
    const page = await browser.newPage();
    // tsx keeps function names with a `__name` helper that page.evaluate callbacks carry along.
    await page.evaluateOnNewDocument('globalThis.__name = (f) => f');
    await page.setViewport({ width: 1440, height: 1000 });
    const url = `${demo.url}/?tenant=1`;

    /** Milliseconds from navigation to every chart painted and every metric showing a number. */
    const paint = async (): Promise<{ ms: number; cards: number }> => {
      const started = performance.now();
      await page.goto(url);
      const sight = await waitFor(() => readStories(page), (s) => settled(s, 2) && s.metrics.length >= 2, 60_000);
      return { ms: performance.now() - started, cards: sight.charts + sight.metrics.length };
    };

    const cold = await paint();
    log(`cold: ${ms(cold.ms, 0)} (${cold.cards} cards)`);
    const cacheCold: number[] = [];
    const warm: number[] = [];
    const hostLoad: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await services.cache.invalidateTag(`connection:${DEMO_CONNECTION_ID}`);
      cacheCold.push((await paint()).ms);
      warm.push((await paint()).ms);
      const started = performance.now();
      await page.goto(`${demo.url}/api/tenants`, { waitUntil: 'load' });
      hostLoad.push(performance.now() - started);
    }
    return { orders: config.demoOrders, cards: cold.cards, cold: cold.ms, cacheCold: summarize(cacheCold), warm: summarize(warm), hostLoad: summarize(hostLoad) };
  } finally {
    await browser.close();
    await demo.close();
    await api.close();
    await services.close();
  }
}

export function formatStoryPaint(f: PaintFigures): string {
  return [
    `demo story, first page (${f.cards} cards), ${f.orders / 1000}k orders, 1440 px, headless Chromium:`,
    `cold (fresh server and browser): ${ms(f.cold, 0)}`,
    `cache-cold (browser has the scripts): p50 ${ms(f.cacheCold.p50, 0)}, max ${ms(f.cacheCold.max, 0)}`,
    `warm: p50 ${ms(f.warm.p50, 0)}, max ${ms(f.warm.max, 0)}`,
    `baseline, a host page's own navigation: p50 ${ms(f.hostLoad.p50, 0)}`,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  console.log(formatStoryPaint(await benchStoryPaint({ log: (line) => console.log(line) })));
  process.exit(0);
}
