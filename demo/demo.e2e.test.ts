/**
 * The demo as a newcomer sees it: the embed script built by vite, the
 * InsightEngine server, the demo host app on its own origin, and a real
 * headless Chromium opening the host page. Every chart must be painted and
 * switching tenant must change the numbers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app.ts';
import { createTestServer, TEST_EMBED_SECRET, type TestServer } from '../server/testing/test-services.ts';
import { createDemoHost } from './host-server.ts';

const listen = (fetch: (r: Request) => Response | Promise<Response>) =>
  new Promise<{ url: string; close: () => Promise<void> }>((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise<void>((r) => s.close(() => r())) }),
    );
  });

/** Text of every metric value and the number of painted charts, looking through shadow roots. */
function readPage(page: Page) {
  return page.evaluate(() => {
    const all: Element[] = [];
    const walk = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('*')) {
        all.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    const charts = all.filter((el) => el.localName === 'insight-chart');
    const painted = charts.filter((c) => (c.shadowRoot?.querySelectorAll('svg .mark-rect path, svg .mark-line path, svg .mark-area path, svg .mark-symbol path, svg .mark-arc path, svg path.mark-rect, svg [class*="mark-"] path').length ?? 0) > 0);
    const metrics = all.filter((el) => el.localName === 'insight-metric').map((m) => (m.shadowRoot?.textContent ?? '').replace(/\s+/g, ' ').trim());
    return { charts: charts.length, painted: painted.length, metrics };
  });
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out; last state ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('demo host page in Chromium', () => {
  let outDir: string;
  let insight: TestServer;
  let servers: Array<{ url: string; close: () => Promise<void> }> = [];
  let browser: Browser;
  let demoUrl: string;

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(os.tmpdir(), 'insight-embed-build-'));
    await build({ configFile: path.resolve('vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true, sourcemap: false } });
    insight = await createTestServer();
    const api = await listen(createApp(insight.services, { staticDir: outDir }).fetch);
    const host = await listen(createDemoHost({ insightUrl: api.url, embedSecret: TEST_EMBED_SECRET }).fetch);
    servers = [api, host];
    demoUrl = host.url;
    browser = await puppeteer.launch({
      executablePath: process.env.CHROME_PATH || (await chromium.executablePath()),
      headless: true,
      args: [...chromium.args, '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
    await insight?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('paints every chart of the story and shows each tenant its own numbers', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const started = Date.now();
    await page.goto(`${demoUrl}/?tenant=1`);
    const first = await waitFor(() => readPage(page), (s) => s.charts >= 2 && s.painted === s.charts && s.metrics.length >= 2 && s.metrics.every((m) => /\d/.test(m)));
    const paintedMs = Date.now() - started;
    if (process.env.INSIGHT_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.INSIGHT_SCREENSHOTS, 'demo-1280.png'), fullPage: true });

    await page.select('#tenant', '2');
    const second = await waitFor(() => readPage(page), (s) => s.painted === s.charts && s.metrics.length >= 2 && s.metrics[0] !== first.metrics[0] && /\d/.test(s.metrics[0] ?? ''));
    expect(second.metrics[0]).not.toBe(first.metrics[0]);
    expect(errors).toEqual([]);
    console.log(`[demo] ${first.charts} charts painted ${paintedMs} ms after navigation; tenant 1 ${first.metrics[0]} → tenant 2 ${second.metrics[0]}`);
    await page.close();
  });
});
