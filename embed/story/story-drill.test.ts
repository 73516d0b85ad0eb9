import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys, sendMouse } from '@web/test-runner-commands';
import { tokenExpiry } from '../../sdk/client.ts';
import type { StoryState } from '../../sdk/protocol.ts';
import type { InsightDrillDetail, InsightFilterChangeDetail, InsightPageChangeDetail, InsightStateChangeDetail } from '../shared/events.ts';
import { holdLongTimers, shadow, shadowAll, testServer, testToken, until } from '../testing/fixtures.ts';
import { fromUrlParam, toUrlParam } from './story-state.ts';
import type { InsightCard } from '../card/card.component.ts';
import type { InsightChart } from '../chart/chart.component.ts';
import type { InsightStory } from './story.component.ts';
import './story.ts';

interface Log {
  drill: InsightDrillDetail[];
  page: InsightPageChangeDetail[];
  filter: InsightFilterChangeDetail[];
  state: InsightStateChangeDetail[];
  ready: number;
}

function listen(el: EventTarget): Log {
  const log: Log = { drill: [], page: [], filter: [], state: [], ready: 0 };
  el.addEventListener('insight-drill', (e) => log.drill.push((e as CustomEvent<InsightDrillDetail>).detail));
  el.addEventListener('insight-page-change', (e) => log.page.push((e as CustomEvent<InsightPageChangeDetail>).detail));
  el.addEventListener('insight-filter-change', (e) => log.filter.push((e as CustomEvent<InsightFilterChangeDetail>).detail));
  el.addEventListener('insight-state-change', (e) => log.state.push((e as CustomEvent<InsightStateChangeDetail>).detail));
  el.addEventListener('insight-ready', () => log.ready++);
  return log;
}

async function renderStory(options: { state?: StoryState | string; page?: string; token?: string; tokenProvider?: () => Promise<string> } = {}) {
  const wrapper = await fixture<HTMLDivElement>(html`<div style="width: 1100px"></div>`);
  const el = document.createElement('insight-story');
  const log = listen(el);
  el.server = await testServer();
  if (typeof options.state === 'string') el.setAttribute('state', options.state);
  else if (options.state) el.state = options.state;
  if (options.page) el.setState({ page: options.page });
  if (options.tokenProvider) el.tokenProvider = options.tokenProvider;
  el.token = options.token ?? (await testToken());
  wrapper.append(el);
  await until(() => log.ready > 0, 'insight-ready');
  return { el, log, wrapper };
}

const card = (el: InsightStory, key: string) => shadow<InsightCard>(el, `insight-card[data-card="${key}"]`);
const maybe = (root: Element | null | undefined, selector: string) => root?.shadowRoot?.querySelector<HTMLElement>(selector) ?? null;

/** The chart of a card once vega drew its marks. */
async function paintedChart(el: InsightStory, key: string, marks = '.mark-rect path') {
  await until(() => (maybe(maybe(el.shadowRoot?.querySelector(`insight-card[data-card="${key}"]`), 'insight-chart'), marks) ?? null) !== null, `${key} painted`);
  return shadow<InsightChart>(card(el, key), 'insight-chart');
}

/** The full value of a metric card once its data settled. */
async function metricValue(el: InsightStory, key: string, not?: string): Promise<string> {
  let value = '';
  await until(() => {
    const c = el.shadowRoot?.querySelector(`insight-card[data-card="${key}"]`);
    value = maybe(maybe(c, 'insight-metric'), '[part="metric-value"]')?.getAttribute('title') ?? '';
    return value !== '' && value !== not && maybe(c, 'article')?.getAttribute('aria-busy') === 'false';
  }, `metric ${key}`);
  return value;
}

describe('<insight-story> drill-down', () => {
  it('drills from a bar to the target page with its filter, shows a breadcrumb, and Back returns', async () => {
    const { el, log } = await renderStory({ page: 'customers' });
    const chart = await paintedChart(el, 'revenue-by-region');
    const cardId = card(el, 'revenue-by-region').card!.id;
    expect(shadow(card(el, 'revenue-by-region'), '[part="drill-hint"]').textContent).to.contain('Select a bar to open Region detail');
    const bar = chart.shadowRoot!.querySelectorAll<SVGPathElement>('.mark-rect path')[0]!;
    expect(getComputedStyle(bar).cursor).to.equal('pointer');
    bar.scrollIntoView({ block: 'center' });
    await new Promise((r) => requestAnimationFrame(r));
    const box = bar.getBoundingClientRect();
    await sendMouse({ type: 'click', position: [Math.round(box.x + box.width / 2), Math.round(box.y + box.height - 4)] });
    await until(() => log.drill.length === 1, 'insight-drill');

    const detail = log.drill[0]!;
    const region = detail.datum['region'] as string;
    expect(['North', 'South', 'East', 'West', 'Central']).to.include(region);
    expect(detail).to.deep.include({ cardId, page: 'region-detail', filters: { region } });
    expect(detail.datum['revenue']).to.be.a('number');

    await until(() => el.getState().page === 'region-detail', 'region detail page');
    expect(el.getState()).to.deep.equal({ page: 'region-detail', filters: { region }, trail: [{ page: 'customers', filters: {} }] });
    expect(log.page).to.deep.equal([{ page: 'region-detail', previousPage: 'customers', cause: 'drill' }]);
    expect(log.filter).to.deep.equal([{ filters: { region } }]);
    expect(log.state.at(-1)!.state).to.deep.equal(el.getState());
    await el.updateComplete;
    const nav = shadow(el, 'nav[part="breadcrumb"]');
    expect(nav.getAttribute('aria-label')).to.equal('Drill-down path');
    expect(nav.querySelector('[aria-current="page"]')!.textContent).to.contain('Region detail').and.contain(region);
    expect(shadowAll(el, '[part="crumb"]').map((c) => c.textContent!.trim())).to.deep.equal(['Customers']);
    expect(shadowAll<HTMLSelectElement>(shadow(el, 'insight-filter-bar'), 'select').some((s) => s.value === region)).to.equal(true);
    await metricValue(el, 'region-revenue');
    await expect(el).to.be.accessible();

    shadow<HTMLButtonElement>(el, '[part="back-button"]').click();
    await el.updateComplete;
    expect(el.getState()).to.deep.equal({ page: 'customers', filters: {} });
    expect(el.shadowRoot!.querySelector('nav[part="breadcrumb"]')).to.equal(null);
    expect(log.page.at(-1)).to.deep.equal({ page: 'customers', previousPage: 'region-detail', cause: 'back' });
    expect(log.filter.at(-1)).to.deep.equal({ filters: {} });
  });

  it('drills by keyboard from the chart data table and from a table row; Back is focused after a drill', async () => {
    const { el, log } = await renderStory({ page: 'customers' });
    const chart = await paintedChart(el, 'revenue-by-region');
    const toggle = shadow<HTMLButtonElement>(chart, '[part="data-toggle"]');
    toggle.focus();
    await sendKeys({ press: 'Enter' });
    await chart.updateComplete;
    const row = shadow<HTMLTableRowElement>(chart, '[part="data-table"] tbody tr');
    expect(row.tabIndex).to.equal(0);
    await sendKeys({ press: 'Tab' });
    expect(chart.shadowRoot!.activeElement).to.equal(row);
    await sendKeys({ press: 'Enter' });
    await until(() => el.getState().page === 'region-detail', 'drill by Enter');
    const region = row.cells[0]!.textContent!.trim();
    expect(el.getState().filters).to.deep.equal({ region });
    await el.updateComplete;
    expect(el.shadowRoot!.activeElement).to.equal(shadow(el, '[part="back-button"]'));
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(el.getState()).to.deep.equal({ page: 'customers', filters: {} });

    // A row of the top-customers table drills with Space.
    await until(() => !!maybe(maybe(card(el, 'top-customers'), 'insight-table'), 'tbody tr'), 'table rows');
    const table = shadow(card(el, 'top-customers'), 'insight-table');
    const first = shadow<HTMLTableRowElement>(table, 'tbody tr');
    const customerRegion = first.cells[1]!.textContent!.trim();
    first.focus();
    await sendKeys({ press: 'Space' });
    await until(() => el.getState().page === 'region-detail', 'drill by Space');
    expect(el.getState().filters).to.deep.equal({ region: customerRegion });
    expect(log.drill.map((d) => d.page)).to.deep.equal(['region-detail', 'region-detail']);
    expect(log.drill[1]!.datum['customer']).to.equal(first.cells[0]!.textContent!.trim());
  });

  it('keeps drill filters on the drilled page: a tab leaves them behind, other filters stay', async () => {
    const { el, log } = await renderStory({ state: { page: 'customers', filters: { category: ['Tents'] } } });
    const chart = await paintedChart(el, 'revenue-by-region');
    shadow(chart, '[part="data-toggle"]').click();
    await chart.updateComplete;
    const row = shadow<HTMLTableRowElement>(chart, '[part="data-table"] tbody tr');
    const region = row.cells[0]!.textContent!.trim();
    row.click();
    await until(() => el.getState().page === 'region-detail', 'drilled');
    expect(el.getState().filters).to.deep.equal({ category: ['Tents'], region });

    // A filter the viewer sets on the drilled page is theirs, not the drill's: it stays.
    await el.updateComplete;
    const bar = shadow(el, 'insight-filter-bar');
    const customer = shadow<HTMLInputElement>(bar, 'input[type="search"]');
    customer.value = 'Ava';
    customer.dispatchEvent(new Event('change', { bubbles: true }));
    await until(() => el.getState().filters['customer'] === 'Ava', 'search filter set');

    shadowAll<HTMLButtonElement>(el, '[role="tab"]').find((t) => t.textContent!.trim() === 'Overview')!.click();
    await el.updateComplete;
    expect(el.getState()).to.deep.equal({ page: 'overview', filters: { category: ['Tents'], customer: 'Ava' } });
    expect(log.page.at(-1)).to.deep.equal({ page: 'overview', previousPage: 'region-detail', cause: 'tab' });
    expect(log.filter.at(-1)).to.deep.equal({ filters: { category: ['Tents'], customer: 'Ava' } });
    expect(log.state.at(-1)!.state).to.deep.equal(el.getState());
    expect(el.shadowRoot!.querySelector('nav[part="breadcrumb"]')).to.equal(null);
    const regionSelect = shadowAll<HTMLSelectElement>(bar, 'select').find((s) => [...s.options].some((o) => o.value === region) && s.multiple === false);
    expect(regionSelect!.value).to.equal('');
  });

  it('leaves the filters a restored trail added when a tab is chosen', async () => {
    const { el, log } = await renderStory({ state: { page: 'region-detail', filters: { region: 'East', category: ['Tents'] }, trail: [{ page: 'customers', filters: { category: ['Tents'] } }] } });
    await el.updateComplete;
    shadowAll<HTMLButtonElement>(el, '[role="tab"]').find((t) => t.textContent!.trim() === 'Products')!.click();
    await el.updateComplete;
    expect(el.getState()).to.deep.equal({ page: 'products', filters: { category: ['Tents'] } });
    expect(log.filter).to.deep.equal([{ filters: { category: ['Tents'] } }]);

    // Without a trail a tab keeps every filter.
    el.setState({ filters: { region: 'West' } });
    shadowAll<HTMLButtonElement>(el, '[role="tab"]').find((t) => t.textContent!.trim() === 'Overview')!.click();
    await el.updateComplete;
    expect(el.getState()).to.deep.equal({ page: 'overview', filters: { region: 'West' } });
    expect(log.filter).to.have.length(1);
  });

  it('stays on the page when the host cancels insight-drill', async () => {
    const { el, log } = await renderStory({ page: 'customers' });
    el.addEventListener('insight-drill', (e) => e.preventDefault());
    const chart = await paintedChart(el, 'revenue-by-region');
    shadow(chart, '[part="data-toggle"]').click();
    await chart.updateComplete;
    shadow(chart, '[part="data-table"] tbody tr').click();
    await until(() => log.drill.length === 1, 'insight-drill');
    await new Promise((r) => setTimeout(r, 50));
    expect(el.getState()).to.deep.equal({ page: 'customers', filters: {} });
    expect(log.page).to.deep.equal([]);
  });
});

describe('<insight-story> state', () => {
  it('round-trips state through a compact, URL-safe parameter', () => {
    const state: StoryState = {
      page: 'region-detail',
      filters: { region: 'Wést & "co"', period: { preset: 'last_90_days' }, category: ['Tents', 'Apparel'], line_value: { min: 10 } },
      trail: [{ page: 'customers', filters: { customer: 'Ava' } }],
    };
    const param = toUrlParam(state);
    expect(param).to.match(/^[A-Za-z0-9_-]+$/);
    expect(encodeURIComponent(param)).to.equal(param);
    expect(fromUrlParam(param)).to.deep.equal(state);
    expect(fromUrlParam(toUrlParam({ page: 'overview', filters: {} }))).to.deep.equal({ page: 'overview', filters: {} });
    expect(fromUrlParam('not-a-state')).to.equal(null);
    expect(fromUrlParam('')).to.equal(null);
    expect(fromUrlParam('%%%')).to.equal(null);
  });

  it('starts from the state attribute, and setState fires no events', async () => {
    const start: StoryState = { page: 'region-detail', filters: { region: 'East' }, trail: [{ page: 'customers', filters: {} }] };
    const { el, log } = await renderStory({ state: toUrlParam(start) });
    expect(el.getState()).to.deep.equal(start);
    await el.updateComplete;
    expect(shadow(el, '[role="tab"][aria-selected="true"]').textContent!.trim()).to.equal('Region detail');
    expect(shadow(el, 'nav[part="breadcrumb"]')).to.exist;
    const east = await metricValue(el, 'region-revenue');

    el.setState({ page: 'region-detail', filters: { region: 'West' } });
    await metricValue(el, 'region-revenue', east);
    el.setState({ page: 'overview', filters: {} });
    await el.updateComplete;
    expect(el.getState()).to.deep.equal({ page: 'overview', filters: {} });
    expect(log.page).to.deep.equal([]);
    expect(log.filter).to.deep.equal([]);
    expect(log.state).to.deep.equal([]);
    expect(log.drill).to.deep.equal([]);

    // A tab chosen by the user is a page change (and clears the trail).
    shadowAll<HTMLButtonElement>(el, '[role="tab"]')[2]!.click();
    await el.updateComplete;
    expect(log.page).to.deep.equal([{ page: 'products', previousPage: 'overview', cause: 'tab' }]);
    expect(log.state.at(-1)!.state).to.deep.equal({ page: 'products', filters: {} });
  });

  it('keeps page, filters and drill trail across a token refresh', async () => {
    let calls = 0;
    let provided = '';
    const start: StoryState = { page: 'region-detail', filters: { region: 'North' }, trail: [{ page: 'customers', filters: {} }] };
    // The refresh timer is held; firing it is the token nearing expiry.
    const timers = holdLongTimers();
    try {
      const { el } = await renderStory({
        state: start,
        token: await testToken({ expiresIn: 600 }),
        tokenProvider: async () => (calls++, (provided = await testToken({ expiresIn: 900 }))),
      });
      expect(timers.fire()).to.equal(1);
      await until(() => calls === 1, 'token refresh');
      await until(() => el.client?.expiresAt === tokenExpiry(provided), 'new token in use');
      expect(el.getState()).to.deep.equal(start);
      await metricValue(el, 'region-revenue');
    } finally {
      timers.restore();
    }
  });

  it('shows the change against the previous period and a sparkline on metric cards', async () => {
    const { el } = await renderStory({ state: { page: 'overview', filters: { period: { from: '2025-01-01', to: '2025-12-31' } } } });
    await metricValue(el, 'total-revenue');
    const metricEl = shadow(card(el, 'total-revenue'), 'insight-metric');
    await until(() => !!metricEl.shadowRoot?.querySelector('[part="metric-delta"]'), 'delta');
    const delta = shadow(metricEl, '[part="metric-delta"]');
    expect(delta.querySelector('.sr-only')!.textContent).to.match(/^(up|down) \d+(\.\d)?% vs previous period \(2024-/);
    expect(delta.querySelector('[aria-hidden="true"]')!.textContent).to.match(/[▲▼] \d+(\.\d)?%/);
    expect(shadow(metricEl, '[part="sparkline"] path.line').getAttribute('d')).to.match(/^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+){10,}/);

    // All time has no previous period: no delta, the sparkline stays.
    el.setState({ filters: {} });
    await until(() => !metricEl.shadowRoot?.querySelector('[part="metric-delta"]'), 'no delta without a period');
    expect(shadow(metricEl, '[part="sparkline"]')).to.exist;
  });
});

describe('<insight-story> downloads', () => {
  it('offers CSV and XLSX on cards only when the token grants export', async () => {
    const menuOf = async (el: InsightStory) => {
      await paintedChart(el, 'revenue-by-category');
      const c = card(el, 'revenue-by-category');
      shadow<HTMLButtonElement>(c, '[part="menu-button"]').click();
      await c.updateComplete;
      return shadowAll(c, '[role="menuitem"]').map((i) => i.textContent!.trim());
    };
    const viewer = await renderStory();
    expect(await menuOf(viewer.el)).to.deep.equal(['Download PNG', 'Download SVG']);
    expect(shadowAll(card(viewer.el, 'total-revenue'), '[part="menu-button"]')).to.have.length(0);
    viewer.wrapper.remove();
    const exporter = await renderStory({ token: await testToken({ permissions: 'view,drill,export' }) });
    expect(await menuOf(exporter.el)).to.deep.equal(['Download PNG', 'Download SVG', 'Download CSV', 'Download XLSX']);
    expect(shadowAll(card(exporter.el, 'total-revenue'), '[part="menu-button"]')).to.have.length(1);
    const png = await shadow<InsightChart>(card(exporter.el, 'revenue-by-category'), 'insight-chart').imageUrl('png');
    expect(png.startsWith('data:image/png;base64,')).to.equal(true);
  });
});

describe('<insight-story> component lab', () => {
  it('never shows a filter on a locked param, and renders sanitised markdown', async () => {
    const { el } = await renderStory({ token: await testToken({ story: 'component-lab' }) });
    const bar = shadow(el, 'insight-filter-bar');
    const labels = shadowAll(bar, '[part="label"]').map((l) => l.textContent!.trim());
    expect(labels).to.deep.equal(['Region']);
    expect(JSON.stringify(el.getState())).to.not.contain('tenant');

    const text = card(el, 'unsafe-text');
    await until(() => !!maybe(text, '[part="text"]'), 'markdown');
    const body = shadow(text, '[part="text"]');
    expect(body.querySelector('h2')!.textContent).to.equal('Heading');
    expect(body.querySelector('strong')!.textContent).to.equal('Bold');
    expect(body.querySelector('a[href="https://example.com"]')!.getAttribute('rel')).to.equal('noopener noreferrer');
    expect(body.querySelector('script, iframe')).to.equal(null);
    const img = body.querySelector('img')!;
    expect(img.hasAttribute('onerror')).to.equal(false);
    expect(img.hasAttribute('onload')).to.equal(false);
    expect([...body.querySelectorAll('a')].every((a) => !/^javascript:/i.test(a.getAttribute('href') ?? ''))).to.equal(true);
    await new Promise((r) => setTimeout(r, 100));
    expect((window as { __insightPwned?: unknown }).__insightPwned).to.equal(undefined);
    await expect(el).to.be.accessible();
  });
});
