/**
 * Helpers of the demo's browser tests: servers on free ports, the Chromium of
 * @sparticuz/chromium (or CHROME_PATH), and what a viewer sees of a story,
 * read through shadow roots.
 */
import { serve } from '@hono/node-server';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type Frame, type Page } from 'puppeteer-core';

export interface Listening {
  url: string;
  close(): Promise<void>;
}

export const listen = (fetch: (r: Request) => Response | Promise<Response>) =>
  new Promise<Listening>((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise<void>((r) => s.close(() => r())) }),
    );
  });

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: process.env.CHROME_PATH || (await chromium.executablePath()),
    headless: true,
    args: [...chromium.args, '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface StorySight {
  stories: number;
  charts: number;
  painted: number;
  metrics: string[];
  /** Text of every table body, joined. */
  tables: string;
}

/** Every story, chart, metric and table in the page or frame, looking through shadow roots. */
export function readStories(target: Page | Frame): Promise<StorySight> {
  return target.evaluate(() => {
    const all: Element[] = [];
    const walk = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('*')) {
        all.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    const charts = all.filter((el) => el.localName === 'insight-chart');
    const painted = charts.filter((c) => (c.shadowRoot?.querySelectorAll('svg [class*="mark-"] path, svg path.mark-rect').length ?? 0) > 0);
    const metrics = all.filter((el) => el.localName === 'insight-metric').map((m) => (m.shadowRoot?.textContent ?? '').replace(/\s+/g, ' ').trim());
    const tables = all
      .filter((el) => el.localName === 'insight-table')
      .map((t) => (t.shadowRoot?.querySelector('tbody')?.textContent ?? '').replace(/\s+/g, ' ').trim())
      .join(' | ');
    return { stories: all.filter((el) => el.localName === 'insight-story').length, charts: charts.length, painted: painted.length, metrics, tables };
  });
}

/** Every chart painted and every metric showing a number. */
export const settled = (s: StorySight, minCharts = 1) => s.charts >= minCharts && s.painted === s.charts && s.metrics.every((m) => /\d/.test(m));

export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out; last state ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
