/**
 * Screenshots of the demo story as a viewer sees it: the built embed script,
 * the server, the demo host page, headless Chromium at 360 px and 1440 px wide
 * in light and dark. Writes PNGs to INSIGHT_SCREENSHOTS (default /tmp/screens).
 *
 *   node --import tsx scripts/story-screenshots.ts
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { build } from 'vite';
import { createApp } from '../server/app.ts';
import { createTestServer, TEST_EMBED_SECRET } from '../server/testing/test-services.ts';
import { createDemoHost } from '../demo/host-server.ts';
import { launchBrowser, listen, readStories } from '../demo/e2e-kit.ts';

const outDir = process.env.INSIGHT_SCREENSHOTS || '/tmp/screens';
mkdirSync(outDir, { recursive: true });

const buildDir = mkdtempSync(path.join(os.tmpdir(), 'insight-embed-shots-'));
await build({ configFile: path.resolve('vite.config.ts'), logLevel: 'error', build: { outDir: buildDir, emptyOutDir: true, sourcemap: false } });
const insight = await createTestServer({ demoOrders: 20_000 });
const api = await listen(createApp(insight.services, { staticDir: buildDir }).fetch);
const host = await listen(createDemoHost({ insightUrl: api.url, embedSecret: TEST_EMBED_SECRET }).fetch);
const browser = await launchBrowser();

/** Sets theme and state on the first story of the page and waits until every chart of it has drawn. */
async function show(page: Page, theme: 'light' | 'dark', state: unknown): Promise<void> {
  await page.evaluate(
    (theme, state) => {
      document.documentElement.classList.toggle('dark', theme === 'dark');
      const story = document.querySelector('insight-story') as (HTMLElement & { setState(s: unknown): void }) | null;
      story?.setAttribute('theme', theme);
      story?.setState(state);
    },
    theme,
    state as never,
  );
  const started = Date.now();
  for (;;) {
    const sight = await readStories(page);
    const busy = await page.evaluate(() => {
      const story = document.querySelector('insight-story');
      const cards = [...(story?.shadowRoot?.querySelectorAll('insight-card') ?? [])];
      return cards.some((c) => c.shadowRoot?.querySelector('article')?.getAttribute('aria-busy') === 'true');
    });
    if (!busy && sight.painted === sight.charts) break;
    if (Date.now() - started > 30_000) throw new Error(`story did not settle: ${JSON.stringify(sight)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
  // Theme transitions and the charts' redraw after them.
  await new Promise((r) => setTimeout(r, 700));
}

const year = { period: { from: '2025-01-01', to: '2025-12-31' } };
const shots: Array<{ name: string; width: number; theme: 'light' | 'dark'; state: unknown; question?: string }> = [
  { name: 'story-1440-light', width: 1440, theme: 'light', state: { page: 'overview', filters: year } },
  { name: 'story-1440-dark', width: 1440, theme: 'dark', state: { page: 'overview', filters: year } },
  { name: 'story-360-light', width: 360, theme: 'light', state: { page: 'overview', filters: year } },
  { name: 'story-360-dark', width: 360, theme: 'dark', state: { page: 'overview', filters: year } },
  { name: 'ask-1440-light', width: 1440, theme: 'light', state: { page: 'overview', filters: year }, question: 'revenue by region last year' },
  { name: 'customers-1440-light', width: 1440, theme: 'light', state: { page: 'customers', filters: {} } },
  { name: 'products-1440-dark', width: 1440, theme: 'dark', state: { page: 'products', filters: {} } },
  {
    name: 'region-detail-360-light',
    width: 360,
    theme: 'light',
    state: { page: 'region-detail', filters: { ...year, region: 'West' }, trail: [{ page: 'customers', filters: year }] },
  },
];

try {
  for (const shot of shots) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // tsx keeps function names with a `__name` helper that page.evaluate callbacks carry along.
    await page.evaluateOnNewDocument('globalThis.__name = (f) => f');
    await page.setViewport({ width: shot.width, height: 900, deviceScaleFactor: 1 });
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: shot.theme }]);
    await page.goto(`${host.url}/?tenant=1`);
    await page.waitForFunction(() => !!document.querySelector('insight-story')?.shadowRoot?.querySelector('[role="tablist"]'), { timeout: 30_000 });
    await show(page, shot.theme, shot.state);
    if (shot.question) {
      // Ask through the story's question box and wait for the answer's chart.
      await page.evaluate((question) => {
        const ask = document.querySelector('insight-story')?.shadowRoot?.querySelector('insight-ask') as (HTMLElement & { ask(q: string): Promise<unknown> }) | null;
        return ask?.ask(question);
      }, shot.question);
      await show(page, shot.theme, shot.state);
    }
    const file = path.join(outDir, `${shot.name}.png`);
    await page.screenshot({ path: file as `${string}.png`, fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    console.log(`${file}${overflow > 0 ? `  (horizontal overflow ${overflow}px)` : ''}${errors.length ? `  errors: ${errors.join('; ')}` : ''}`);
    await page.close();
  }
} finally {
  await browser.close();
  await host.close();
  await api.close();
  await insight.close();
  rmSync(buildDir, { recursive: true, force: true });
}
