/**
 * The demo as a newcomer sees it, and the embedding paths a host uses: the
 * components and SDK packages packed by `npm pack` (which builds them) as a
 * host installs them, the README's node, React and Vue blocks run against them,
 * the InsightEngine server, the demo host app on its own origin, and one real
 * headless Chromium for every page: tags (a), SDK calls (b), iframe (c), a
 * host filter bar driving two stories (d), the iframe's framing and message
 * rules, the React and Vue snippets, and the built files in a bare page.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { Browser, Frame, Page } from 'puppeteer-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app.ts';
import { DEFAULT_EMBED_KEY_ID } from '../server/bootstrap/ensure-default-org.ts';
import { createTestServer, TEST_EMBED_SECRET, type TestServer } from '../server/testing/test-services.ts';
import { signEmbedToken } from '../sdk/node.ts';
import { launchBrowser, listen, readStories, settled, waitFor, type Listening } from './e2e-kit.ts';
import { createDemoHost } from './host-server.ts';
import { installIntoHostProject, packPackage, readmeBlock, unpackPackage } from './pack-packages.ts';

let outDir: string;
let insight: TestServer;
let servers: Listening[] = [];
let browser: Browser;
let api: Listening;
let demo: Listening;
/** A second host origin, also allowed to frame the story: test pages and the framework builds. */
let harness: Listening;
/** An origin the embed keys do not allow. */
let stranger: Listening;

const html = (body: string, head = '') => `<!doctype html><html lang="en"><head><meta charset="utf-8" />${head}</head><body>${body}</body></html>`;

/** Where the packed packages land: the components package unpacked, and a host project with the SDK installed. */
let embedPackage: string;
let hostProject: string;

async function buildAll(dir: string) {
  const quiet = { logLevel: 'error' as const };
  // Sequential: each pack builds its package, and the machine's cores are shared.
  const sdk = await packPackage('sdk', path.join(dir, 'packs'));
  const embed = await packPackage('embed', path.join(dir, 'packs'));
  embedPackage = await unpackPackage(embed.tarball, path.join(dir, 'embed-package'));
  hostProject = path.join(dir, 'host');
  // The SDK has no dependencies: its tarball installs without the registry.
  await installIntoHostProject(hostProject, [sdk.tarball], { offline: true });
  // The README's React and Vue blocks, next to the demo's entry files, as a host app bundles them.
  for (const [name, marker, file, main] of [
    ['react', 'React (built and rendered', 'insight-story.tsx', 'main.tsx'],
    ['vue', 'Vue 3 (built and rendered', 'insight-story.ts', 'main.ts'],
  ] as const) {
    mkdirSync(path.join(hostProject, name), { recursive: true });
    writeFileSync(path.join(hostProject, name, file), readmeBlock(marker));
    copyFileSync(path.resolve('demo/frameworks', name, main), path.join(hostProject, name, main));
  }
  const fromRepo = (name: string) => path.resolve('node_modules', name);
  await build({
    ...quiet,
    configFile: false,
    root: hostProject,
    // The host project installed only the SDK; the frameworks come from this repository.
    resolve: { alias: { 'react-dom': fromRepo('react-dom'), react: fromRepo('react'), vue: fromRepo('vue') } },
    // The test runner sets NODE_ENV=test, which would otherwise select React's development JSX runtime.
    oxc: { jsx: { runtime: 'automatic', development: false } },
    define: { 'process.env.NODE_ENV': '"production"', __VUE_OPTIONS_API__: 'false', __VUE_PROD_DEVTOOLS__: 'false', __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false' },
    build: {
      outDir: path.join(dir, 'frameworks'),
      emptyOutDir: true,
      sourcemap: false,
      target: 'es2022',
      lib: { entry: { react: path.join(hostProject, 'react/main.tsx'), vue: path.join(hostProject, 'vue/main.ts') }, formats: ['es'] },
      rollupOptions: { output: { chunkFileNames: 'chunks/[name]-[hash].js' } },
    },
  });
}

function harnessApp(): Hono {
  const app = new Hono();
  app.get('/bare', (c) => c.html(html('', `<script type="module" src="${api.url}/static/insight-embed.js"></script>`)));
  app.get('/harness', (c) =>
    c.html(
      html(
        `<div id="frame"></div>
        <script type="module">
          import { createInsight } from '${api.url}/static/insight-sdk.js';
          const insight = createInsight({ server: '${api.url}', tokenProvider: () => fetch('/api/token?tenant=1').then((r) => r.json()).then((b) => b.token) });
          window.received = [];
          addEventListener('message', (e) => { if (e.data === 'attacker-done') window.attackerDone = true; });
          const frame = await insight.embedIframe(document.getElementById('frame'), { story: 'retail-overview' });
          frame.on('ready', () => (window.frameReady = true));
          frame.on('state', (state) => window.received.push(state));
          window.handle = frame;
        </script>`,
      ),
    ),
  );
  for (const name of ['react', 'vue']) {
    app.get(`/fw/${name}`, (c) => c.html(`<!doctype html><html lang="en" data-insight-server="${api.url}"><head><meta charset="utf-8" /><script type="module" src="/fw-build/${name}.js"></script></head><body><div id="app"></div></body></html>`));
  }
  app.use('/fw-build/*', serveStatic({ root: path.join(outDir, 'frameworks'), rewriteRequestPath: (p) => p.replace(/^\/fw-build/, '') }));
  app.use('/sdk-dist/*', serveStatic({ root: path.join(hostProject, 'node_modules/@insight-engine/sdk/dist'), rewriteRequestPath: (p) => p.replace(/^\/sdk-dist/, '') }));
  // The demo host's backend (tokens per tenant) behind the test pages.
  app.route('/', createDemoHost({ insightUrl: api.url, embedSecret: TEST_EMBED_SECRET }));
  return app;
}

function strangerApp(): Hono {
  const app = new Hono();
  app.get('/frame', async (c) => {
    const token = await signEmbedToken({ secret: TEST_EMBED_SECRET, story: 'retail-overview', params: { tenant_id: 1 } });
    return c.html(html(`<iframe id="insight" src="${api.url}/embed/story/retail-overview#token=${token}"></iframe>`));
  });
  // Framed by the harness page next to the story's iframe: tries to steer it.
  app.get('/attacker', (c) =>
    c.html(
      html(`<script>
        const target = parent.frames[0];
        target.postMessage({ type: 'insight:set-state', state: { page: 'overview' } }, '*');
        target.postMessage({ type: 'insight:set-filters', filters: { region: 'forged' } }, '*');
        target.postMessage({ type: 'insight:token', token: 'forged' }, '*');
        parent.postMessage('attacker-done', '*');
      </script>`),
    ),
  );
  return app;
}

async function openPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, errors };
}

/** Listeners of `type` on the object `expression` evaluates to, as the browser's debugger counts them. */
async function listenerCount(page: Page, expression: string, type: string): Promise<number> {
  const cdp = await page.createCDPSession();
  try {
    const { result } = await cdp.send('Runtime.evaluate', { expression });
    const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId as string });
    return listeners.filter((l) => l.type === type).length;
  } finally {
    await cdp.detach();
  }
}

const storyFrame = (page: Page): Frame | undefined => page.frames().find((f) => f.url().startsWith(`${api.url}/embed/story/`));

beforeAll(async () => {
  outDir = mkdtempSync(path.join(os.tmpdir(), 'insight-demo-build-'));
  const started = Date.now();
  await buildAll(outDir);
  console.log(`[demo] packed the components and SDK, installed the SDK in a host project and built the README's framework blocks in ${Date.now() - started} ms`);
  insight = await createTestServer();
  api = await listen(createApp(insight.services, { staticDir: path.join(embedPackage, 'dist') }).fetch);
  demo = await listen(createDemoHost({ insightUrl: api.url, embedSecret: TEST_EMBED_SECRET }).fetch);
  harness = await listen(harnessApp().fetch);
  stranger = await listen(strangerApp().fetch);
  servers = [api, demo, harness, stranger];
  await insight.services.store.db
    .updateTable('embed_keys')
    .set({ allowed_origins: JSON.stringify([demo.url, harness.url]) })
    .where('id', '=', DEFAULT_EMBED_KEY_ID)
    .execute();
  browser = await launchBrowser();
  // Packing builds each package (vite, declarations, the manifest): minutes on a busy machine.
}, 600_000);

afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
  await insight?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('demo host pages in Chromium', () => {
  it('(a) tags: paints every chart of the story and shows each tenant its own numbers', async () => {
    const started = Date.now();
    const { page, errors } = await openPage(`${demo.url}/?tenant=1`);
    const first = await waitFor(() => readStories(page), (s) => settled(s, 2) && s.metrics.length >= 2);
    const paintedMs = Date.now() - started;
    if (process.env.INSIGHT_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.INSIGHT_SCREENSHOTS, 'demo-1280.png'), fullPage: true });

    await page.select('#tenant', '2');
    const second = await waitFor(() => readStories(page), (s) => settled(s, 2) && s.metrics.length >= 2 && s.metrics[0] !== first.metrics[0]);
    expect(second.metrics[0]).not.toBe(first.metrics[0]);
    expect(errors).toEqual([]);
    console.log(`[demo] ${first.charts} charts painted ${paintedMs} ms after navigation; tenant 1 ${first.metrics[0]} → tenant 2 ${second.metrics[0]}`);
    await page.close();
  });

  it('(b) SDK: createInsight + embedStory paint the story; setFilters and the tenant switch change the numbers', async () => {
    const { page, errors } = await openPage(`${demo.url}/sdk?tenant=1`);
    const first = await waitFor(() => readStories(page), (s) => s.stories === 1 && settled(s, 2) && s.metrics.length >= 2);

    const region = await page.$eval('#regions button[data-region]:not([data-region=""])', (b) => (b as HTMLButtonElement).dataset['region'] as string);
    await page.click(`#regions button[data-region="${region}"]`);
    const state = await page.evaluate(() => (window as unknown as { insightDemo: { story: { getState(): unknown } } }).insightDemo.story.getState());
    expect(state).toMatchObject({ filters: { region } });
    const filtered = await waitFor(() => readStories(page), (s) => settled(s, 2) && s.metrics[0] !== first.metrics[0]);

    await page.select('#tenant', '3');
    const other = await waitFor(() => readStories(page), (s) => settled(s, 2) && s.metrics[0] !== filtered.metrics[0]);
    // The tenant switch keeps the story's state (the region filter).
    const kept = await page.evaluate(() => (window as unknown as { insightDemo: { story: { getState(): unknown } } }).insightDemo.story.getState());
    expect(kept).toMatchObject({ filters: { region } });
    expect(other.metrics[0]).not.toBe(filtered.metrics[0]);

    // refresh() reloads the story in a new element, keeping page and filters.
    const refreshed = await page.evaluate(() => {
      const { story } = (window as unknown as { insightDemo: { story: { element: Element; refresh(): void; getState(): unknown } } }).insightDemo;
      const old = story.element;
      story.refresh();
      return { replaced: story.element !== old && !old.isConnected, state: story.getState() };
    });
    expect(refreshed).toMatchObject({ replaced: true, state: { filters: { region } } });
    await waitFor(() => readStories(page), (s) => s.stories === 1 && settled(s, 2) && s.metrics[0] === other.metrics[0]);

    // destroy() removes the story and every listener the handle put on it.
    await page.evaluate(() => ((window as unknown as { storyElement: Element }).storyElement = (window as unknown as { insightDemo: { story: { element: Element } } }).insightDemo.story.element));
    const types = ['insight-ready', 'insight-error', 'insight-state-change', 'insight-filter-change'];
    const before = await Promise.all(types.map((t) => listenerCount(page, 'window.storyElement', t)));
    expect(before.every((n) => n >= 1)).toBe(true);
    await page.evaluate(() => (window as unknown as { insightDemo: { insight: { destroy(): void } } }).insightDemo.insight.destroy());
    expect(await Promise.all(types.map((t) => listenerCount(page, 'window.storyElement', t)))).toEqual([0, 0, 0, 0]);
    expect(await page.$('#story insight-story')).toBeNull();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('(c) iframe from another origin: the frame height follows its content as it grows and shrinks; tenants see their own numbers', async () => {
    const { page, errors } = await openPage(`${demo.url}/iframe?tenant=1`);
    await page.waitForSelector('#frame iframe');
    const frame = await waitFor(async () => storyFrame(page), (f) => f !== undefined);
    expect(new URL(frame!.url()).origin).not.toBe(new URL(page.url()).origin);
    const first = await waitFor(() => readStories(frame!), (s) => settled(s, 2) && s.metrics.length >= 2);

    /** The iframe's height in the host page and its story's height inside the frame, once they agree. */
    const heights = () =>
      waitFor(
        async () => ({
          frame: await page.$eval('#frame iframe', (f) => Math.round(f.getBoundingClientRect().height)),
          content: await frame!.evaluate(() => Math.ceil(document.querySelector('insight-story')!.getBoundingClientRect().height)),
          page: await frame!.evaluate(() => (document.querySelector('insight-story') as unknown as { getState(): { page: string } }).getState().page),
        }),
        (h) => h.content > 100 && Math.abs(h.frame - h.content) <= 1,
      );
    const overview = await heights();
    await page.click('#page-customers');
    await waitFor(() => readStories(frame!), (s) => settled(s, 1) && s.tables.length > 0);
    const customers = await waitFor(heights, (h) => h.page === 'customers' && h.frame !== overview.frame);
    await page.click('#page-overview');
    await waitFor(() => readStories(frame!), (s) => settled(s, 2) && s.metrics.length >= 2);
    const back = await waitFor(heights, (h) => h.page === 'overview' && h.frame !== customers.frame);
    // One change made the frame taller and the other shorter.
    expect(Math.sign(customers.frame - overview.frame)).toBe(-Math.sign(back.frame - customers.frame));
    console.log(`[demo] iframe heights: overview ${overview.frame}px → customers ${customers.frame}px → overview ${back.frame}px`);

    await page.select('#tenant', '2');
    const second = await waitFor(() => readStories(frame!), (s) => settled(s, 2) && s.metrics.length >= 2 && s.metrics[0] !== first.metrics[0]);
    expect(second.metrics[0]).not.toBe(first.metrics[0]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('(d) a host-owned filter bar drives two stories at once; the tenant switch changes both', async () => {
    const { page, errors } = await openPage(`${demo.url}/filters?tenant=1`);
    const first = await waitFor(() => readStories(page), (s) => s.stories === 2 && settled(s, 3) && s.metrics.length >= 2 && s.tables.length > 0);
    await waitFor(() => page.$$eval('#region option', (o) => o.length), (n) => n > 1);
    const region = await page.$eval('#region option:nth-child(2)', (o) => (o as HTMLOptionElement).value);
    await page.select('#region', region);
    const states = await page.evaluate(() => (window as unknown as { insightDemo: { stories: Array<{ getState(): unknown }> } }).insightDemo.stories.map((s) => s.getState()));
    expect(states).toEqual([expect.objectContaining({ page: 'overview', filters: expect.objectContaining({ region }) }), expect.objectContaining({ page: 'customers', filters: expect.objectContaining({ region }) })]);
    const filtered = await waitFor(() => readStories(page), (s) => settled(s, 3) && s.metrics[0] !== first.metrics[0] && s.tables !== first.tables);
    expect(filtered.tables).not.toBe(first.tables);

    await page.select('#tenant', '2');
    const other = await waitFor(() => readStories(page), (s) => settled(s, 3) && s.metrics[0] !== filtered.metrics[0] && s.tables !== filtered.tables);
    expect(other.metrics[0]).not.toBe(filtered.metrics[0]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('iframe embed rules in Chromium', () => {
  it('a page on an origin the embed keys do not allow cannot frame the story', async () => {
    const page = await browser.newPage();
    const console: string[] = [];
    page.on('console', (m) => console.push(m.text()));
    await page.goto(`${stranger.url}/frame`);
    await waitFor(async () => console.join('\n'), (text) => text.includes('frame-ancestors'), 10_000);
    const rendered = await Promise.all(
      page.frames().filter((f) => f !== page.mainFrame()).map((f) => f.evaluate(() => document.querySelector('insight-story') !== null).catch(() => false)),
    );
    expect(rendered.every((r) => !r)).toBe(true);
    await page.close();
  });

  it('obeys messages from its parent only: another origin cannot steer it', async () => {
    const { page, errors } = await openPage(`${harness.url}/harness`);
    await page.waitForFunction(() => (window as unknown as { frameReady?: boolean }).frameReady === true, { timeout: 30_000 });
    const frame = storyFrame(page)!;
    const read = () =>
      frame.evaluate(() => {
        const story = document.querySelector('insight-story') as unknown as { token: string; getState(): { page: string; filters: Record<string, unknown> } };
        return { ...story.getState(), forgedToken: story.token === 'forged' };
      });
    // A viewer's own change inside the frame reaches the host as a state event.
    await frame.evaluate(() => {
      const tab = document.querySelector('insight-story')!.shadowRoot!.querySelector<HTMLElement>('[role="tab"][aria-selected="false"]')!;
      tab.click();
    });
    const received = await waitFor(
      () => page.evaluate(() => (window as unknown as { received: Array<{ page: string }> }).received),
      (r) => r.length > 0,
    );
    expect(received.at(-1)?.page).toBe('customers');
    const before = await read();
    expect(before.page).toBe('customers');
    await page.evaluate((url) => {
      const attacker = document.createElement('iframe');
      attacker.src = `${url}/attacker`;
      document.body.append(attacker);
    }, stranger.url);
    await page.waitForFunction(() => (window as unknown as { attackerDone?: boolean }).attackerDone === true, { timeout: 30_000 });
    // The parent's own message, sent after the attacker's: once it is applied, the attacker's had their chance.
    await page.evaluate(() => (window as unknown as { handle: { setFilters(f: unknown): void } }).handle.setFilters({ region: null }));
    const after = await waitFor(read, (s) => 'region' in s.filters);
    expect(after.page).toBe(before.page);
    expect(after.filters['region']).toBeNull();
    expect(after.forgedToken).toBe(false);
    await page.evaluate(() => (window as unknown as { handle: { setState(s: unknown): void } }).handle.setState({ page: 'overview' }));
    expect((await waitFor(read, (s) => s.page === 'overview')).page).toBe('overview');

    // destroy() takes the frame and the handle's message listener away.
    const listening = await listenerCount(page, 'window', 'message');
    await page.evaluate(() => (window as unknown as { handle: { destroy(): void } }).handle.destroy());
    expect(await listenerCount(page, 'window', 'message')).toBe(listening - 1);
    expect(await page.$('#frame iframe')).toBeNull();
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the README against the packed packages', () => {
  it('the node block, run in a host project that installed only the SDK tarball, mints a token the server accepts', async () => {
    const installed = JSON.parse(readFileSync(path.join(hostProject, 'node_modules/@insight-engine/sdk/package.json'), 'utf8')) as { dependencies?: object };
    expect(installed.dependencies).toBeUndefined();
    writeFileSync(path.join(hostProject, 'token.mjs'), readmeBlock("With the SDK's node entry"));
    const { stdout } = await promisify(execFile)(process.execPath, ['token.mjs'], {
      cwd: hostProject,
      env: { ...process.env, INSIGHT_EMBED_SECRET: TEST_EMBED_SECRET },
    });
    const token = stdout.trim();
    const view = await fetch(`${api.url}/api/embed/story`, { headers: { authorization: `Bearer ${token}` } });
    expect(view.status).toBe(200);
    const story = (await view.json()) as { slug: string; permissions: string[] };
    expect(story.slug).toBe('retail-overview');
    expect(story.permissions).toEqual(['view', 'drill', 'ask']);
    // Signed with another secret, the same block's token is refused.
    const forged = await promisify(execFile)(process.execPath, ['token.mjs'], { cwd: hostProject, env: { ...process.env, INSIGHT_EMBED_SECRET: 'not-the-secret-at-all-0123456789' } });
    const refused = await fetch(`${api.url}/api/embed/story`, { headers: { authorization: `Bearer ${forged.stdout.trim()}` } });
    expect(refused.status).toBe(401);
  });
});

describe('packaging in Chromium', () => {
  it('the React and Vue snippets render a story', async () => {
    for (const name of ['react', 'vue']) {
      const { page, errors } = await openPage(`${harness.url}/fw/${name}`);
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      const sight = await waitFor(() => readStories(page), (s) => s.stories === 1 && settled(s, 2) && s.metrics.length >= 2, 20_000).catch((e: Error) => {
        throw new Error(`${name}: ${e.message}; errors ${JSON.stringify(errors)}`);
      });
      expect(sight.painted).toBe(sight.charts);
      expect(errors).toEqual([]);
      await page.close();
    }
  }, 60_000);

  it('the <script> bundle and the ESM entries load in a bare page', async () => {
    const { page, errors } = await openPage(`${harness.url}/bare`);
    // A string, so the test runner leaves its import() alone: the browser resolves it.
    const loaded = (await page.evaluate(`(async () => {
      await customElements.whenDefined('insight-story');
      const fromServer = await import('${api.url}/static/insight-sdk.js');
      const fromPackage = await import('/sdk-dist/index.js');
      return {
        tags: ['insight-story', 'insight-filter-bar', 'insight-card', 'insight-chart', 'insight-metric', 'insight-table'].filter((t) => customElements.get(t)),
        server: [typeof fromServer.createInsight, typeof fromServer.createInsightClient],
        esm: [typeof fromPackage.createInsight, typeof fromPackage.refreshDelayMs],
      };
    })()`)) as { tags: string[]; server: string[]; esm: string[] };
    expect(loaded.tags).toHaveLength(6);
    expect(loaded.server).toEqual(['function', 'function']);
    expect(loaded.esm).toEqual(['function', 'function']);
    expect(errors).toEqual([]);
    await page.close();
  });
});
