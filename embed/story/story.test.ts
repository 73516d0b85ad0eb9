import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { InsightErrorDetail, InsightFilterChangeDetail, InsightReadyDetail, InsightRenderDetail, InsightTokenExpiringDetail } from '../shared/events.ts';
import { refreshDelayMs, tokenExpiry } from '../../sdk/client.ts';
import { holdLongTimers, shadow, shadowAll, testServer, testToken, until } from '../testing/fixtures.ts';
import type { InsightStory } from './story.component.ts';
import './story.ts';

interface Log {
  ready: InsightReadyDetail[];
  render: InsightRenderDetail[];
  filter: InsightFilterChangeDetail[];
  error: InsightErrorDetail[];
  expiring: InsightTokenExpiringDetail[];
}

function listen(el: EventTarget): Log {
  const log: Log = { ready: [], render: [], filter: [], error: [], expiring: [] };
  el.addEventListener('insight-ready', (e) => log.ready.push((e as CustomEvent<InsightReadyDetail>).detail));
  el.addEventListener('insight-render', (e) => log.render.push((e as CustomEvent<InsightRenderDetail>).detail));
  el.addEventListener('insight-filter-change', (e) => log.filter.push((e as CustomEvent<InsightFilterChangeDetail>).detail));
  el.addEventListener('insight-error', (e) => log.error.push((e as CustomEvent<InsightErrorDetail>).detail));
  el.addEventListener('insight-token-expiring', (e) => log.expiring.push((e as CustomEvent<InsightTokenExpiringDetail>).detail));
  return log;
}

/** A story in a wrapper (so events fired before the fixture settles are caught), waiting until it is ready. */
async function renderStory(options: { token?: string; tenant?: number; style?: string; wait?: 'ready' | 'none' } = {}) {
  const server = await testServer();
  const token = options.token ?? (await testToken({ tenant: options.tenant ?? 1 }));
  const wrapper = await fixture<HTMLDivElement>(html`<div style=${options.style ?? 'width: 1000px'}></div>`);
  const el = document.createElement('insight-story');
  const log = listen(el);
  el.server = server;
  el.token = token;
  wrapper.append(el);
  if (options.wait !== 'none') await until(() => log.ready.length > 0 || log.error.length > 0, 'insight-ready');
  return { el, log, wrapper };
}

/** Running animations and transitions in `host`'s shadow tree and every shadow tree inside it. */
function animationsIn(host: Element): Animation[] {
  const root = host.shadowRoot;
  if (!root) return [];
  return [...root.getAnimations(), ...[...root.querySelectorAll('*')].flatMap(animationsIn)];
}

const cards = (el: InsightStory) => shadowAll(el, 'insight-card');
const card = (el: InsightStory, key: string) => shadow(el, `insight-card[data-card="${key}"]`);
const maybeCard = (el: InsightStory, key: string) => el.shadowRoot?.querySelector(`insight-card[data-card="${key}"]`) ?? null;
const tabs = (el: InsightStory) => shadowAll<HTMLButtonElement>(el, '[role="tab"]');

/** The full value of a metric card, e.g. "$980,584.48", once painted. */
function metric(el: InsightStory, key = 'total-revenue'): string | null {
  const metricEl = maybeCard(el, key)?.shadowRoot?.querySelector('insight-metric');
  return metricEl?.shadowRoot?.querySelector('[part="metric-value"]')?.getAttribute('title') ?? null;
}

async function metricSettled(el: InsightStory, key = 'total-revenue', not?: string | null): Promise<string> {
  await until(() => {
    const value = metric(el, key);
    const article = maybeCard(el, key)?.shadowRoot?.querySelector('article');
    return !!value && value !== not && article?.getAttribute('aria-busy') === 'false';
  }, `metric ${key}`);
  return metric(el, key)!;
}

describe('<insight-story>', () => {
  it('renders the demo story with real data: title, tabs, cards, painted charts', async () => {
    const { el, log } = await renderStory();
    expect(log.ready).to.have.length(1);
    expect(log.ready[0]!.pages).to.deep.equal([
      { key: 'overview', title: 'Overview' },
      { key: 'customers', title: 'Customers' },
      { key: 'products', title: 'Products' },
      { key: 'region-detail', title: 'Region detail' },
    ]);
    expect(log.ready[0]!.storyId).to.be.a('string').and.not.equal('');
    expect(shadow(el, '[part="title"]').textContent).to.equal('Retail overview');
    expect(shadow(el, '[part="description"]').textContent).to.contain('Revenue, orders and customers');
    expect(shadow(el, '[role="tablist"]')).to.exist;
    expect(tabs(el).map((t) => t.textContent!.trim())).to.deep.equal(['Overview', 'Customers', 'Products', 'Region detail']);
    expect(tabs(el).map((t) => t.getAttribute('aria-selected'))).to.deep.equal(['true', 'false', 'false', 'false']);
    expect(shadow(el, '[role="tabpanel"]').getAttribute('aria-labelledby')).to.equal(tabs(el)[0]!.id);
    expect(shadow(el, '[part="narrative"]').textContent).to.contain('How much you sold');
    expect(cards(el)).to.have.length(4);

    // Every card of the page reports its paint; charts only once vega drew the SVG.
    await until(() => new Set(log.render.map((r) => r.cardId)).size === 4, 'insight-render for 4 cards');
    for (const key of ['revenue-by-month', 'revenue-by-category']) {
      const chart = shadow(card(el, key), 'insight-chart');
      const svg = shadow(chart, 'svg');
      expect(svg.querySelectorAll('path').length, key).to.be.greaterThan(3);
    }
    expect(metric(el)).to.match(/^\$[\d,]+\.\d\d$/);
    expect(log.error).to.deep.equal([]);
  });

  it('offers the question box only when the token grants ask, answering with the viewer rows', async () => {
    const without = await renderStory();
    expect(without.el.shadowRoot?.querySelector('insight-ask')).to.equal(null);

    const { el } = await renderStory({ token: await testToken({ tenant: 2, permissions: 'view,drill,ask' }) });
    const ask = shadow(el, 'insight-ask') as HTMLElement & { ask(q: string): Promise<{ status: string; rows: unknown[][]; columns: Array<{ name: string }> } | null> };
    expect(ask.getAttribute('part')).to.equal('ask');
    const answer = await ask.ask('revenue by region');
    expect(answer?.status).to.equal('answered');
    expect(answer?.columns.map((c) => c.name)).to.include('region');
    // The same figures the story's own revenue-by-region card shows tenant 2.
    const { client, card: storyCard } = await (await import('../testing/fixtures.ts')).demoStory({ tenant: 2 });
    const data = await client.cardData(storyCard('revenue-by-region').id, {});
    const byRegion = (rows: unknown[][]) => Object.fromEntries(rows.map((r) => [String(r[0]), Math.round(Number(r[1]))]));
    expect(byRegion(answer!.rows)).to.deep.equal(byRegion(data.rows));
  });

  it('shows a loading skeleton while the story loads', async () => {
    const { el, log } = await renderStory({ wait: 'none' });
    await el.updateComplete;
    if (log.ready.length === 0) {
      expect(shadow(el, '[part="base"]').getAttribute('aria-busy')).to.equal('true');
      expect(shadowAll(el, '.skeleton').length).to.be.greaterThan(0);
    }
    await until(() => log.ready.length === 1, 'ready');
    expect(shadow(el, '[part="base"]').getAttribute('aria-busy')).to.equal('false');
  });

  it('exposes parts through the nested shadow roots', async () => {
    const style = document.createElement('style');
    style.textContent = `
      insight-story::part(card-title) { color: rgb(1, 2, 3); }
      insight-story::part(metric-value) { color: rgb(4, 5, 6); }
      insight-story::part(filter-control) { border-color: rgb(7, 8, 9); }`;
    document.head.append(style);
    try {
      const { el } = await renderStory();
      await metricSettled(el);
      const revenue = card(el, 'total-revenue');
      expect(getComputedStyle(shadow(revenue, '[part="card-title"]')).color).to.equal('rgb(1, 2, 3)');
      expect(getComputedStyle(shadow(shadow(revenue, 'insight-metric'), '[part="metric-value"]')).color).to.equal('rgb(4, 5, 6)');
      expect(getComputedStyle(shadow(shadow(el, 'insight-filter-bar'), 'select')).borderTopColor).to.equal('rgb(7, 8, 9)');
    } finally {
      style.remove();
    }
  });

  it('refuses a token for another story than its story attribute', async () => {
    const server = await testServer();
    const wrapper = await fixture<HTMLDivElement>(html`<div></div>`);
    const el = document.createElement('insight-story');
    const log = listen(el);
    el.story = 'some-other-story';
    el.server = server;
    el.token = await testToken();
    wrapper.append(el);
    await until(() => log.error.length === 1, 'insight-error');
    expect(log.error[0]!.code).to.equal('ERR_STORY_MISMATCH');
    await el.updateComplete;
    expect(shadow(el, '[role="alert"]').textContent).to.contain('ERR_STORY_MISMATCH');
  });

  it('lays out a double page in two columns when wide and one when narrow', async () => {
    const { el, wrapper } = await renderStory({ style: 'width: 1000px' });
    const grid = shadow(el, '[part="grid"]');
    expect(getComputedStyle(grid).gridTemplateColumns.split(' ')).to.have.length(2);
    wrapper.style.width = '500px';
    await new Promise((r) => requestAnimationFrame(r));
    expect(getComputedStyle(grid).gridTemplateColumns.split(' ')).to.have.length(1);
  });

  it('is accessible', async () => {
    const { el, log } = await renderStory();
    await until(() => new Set(log.render.map((r) => r.cardId)).size === 4, 'all cards');
    await expect(el).to.be.accessible();
  });

  it('switches pages by click and by arrow keys', async () => {
    const { el, log } = await renderStory();
    const [overview, customers] = tabs(el);
    customers!.click();
    await el.updateComplete;
    expect(customers!.getAttribute('aria-selected')).to.equal('true');
    expect(customers!.tabIndex).to.equal(0);
    expect(overview!.tabIndex).to.equal(-1);
    expect(el.getState().page).to.equal('customers');
    await until(() => !!card(el, 'top-customers').shadowRoot?.querySelector('insight-table')?.shadowRoot?.querySelector('tbody tr'), 'table');
    const table = shadow(card(el, 'top-customers'), 'insight-table');
    expect(shadowAll(table, 'tbody tr')).to.have.length(10);
    expect(cards(el).map((c) => c.dataset['card'])).to.deep.equal(['top-customers', 'revenue-by-region', 'revenue-by-segment', 'region-segment-heatmap']);

    // With the keyboard: ArrowLeft goes back, End to the last, ArrowRight wraps around to the first.
    tabs(el)[1]!.focus();
    await sendKeys({ press: 'ArrowLeft' });
    await el.updateComplete;
    expect(el.getState().page).to.equal('overview');
    expect(el.shadowRoot!.activeElement).to.equal(tabs(el)[0]);
    await sendKeys({ press: 'End' });
    await el.updateComplete;
    expect(el.getState().page).to.equal('region-detail');
    await sendKeys({ press: 'ArrowRight' });
    await el.updateComplete;
    expect(el.getState().page).to.equal('overview');
    await sendKeys({ press: 'ArrowRight' });
    await el.updateComplete;
    expect(el.getState().page).to.equal('customers');
    expect(tabs(el)[1]!.getAttribute('aria-selected')).to.equal('true');
    expect(el.shadowRoot!.activeElement).to.equal(tabs(el)[1]);
    await until(() => shadowAll(card(el, 'top-customers').shadowRoot?.querySelector('insight-table') ?? el, 'tbody tr').length === 10, 'table rows');
    expect(log.filter).to.deep.equal([]);
  });

  it('refetches on a filter change in the filter bar and fires insight-filter-change', async () => {
    const { el, log } = await renderStory();
    const all = await metricSettled(el);
    const bar = shadow(el, 'insight-filter-bar');
    const region = shadowAll<HTMLSelectElement>(bar, 'select').find((s) => s.labels[0]?.textContent === 'Region')!;
    await until(() => region.options.length > 1, 'region options');
    region.value = 'East';
    region.dispatchEvent(new Event('change', { bubbles: true }));
    expect(log.filter).to.deep.equal([{ filters: { region: 'East' } }]);
    const east = await metricSettled(el, 'total-revenue', all);
    expect(east).to.not.equal(all);
    expect(el.getState()).to.deep.equal({ page: 'overview', filters: { region: 'East' } });
  });

  it('setState() changes page and filters without insight-filter-change; getState() round-trips', async () => {
    const { el, log } = await renderStory();
    const all = await metricSettled(el);
    el.setState({ filters: { region: 'West' } });
    const west = await metricSettled(el, 'total-revenue', all);
    expect(west).to.not.equal(all);
    expect(shadowAll<HTMLSelectElement>(shadow(el, 'insight-filter-bar'), 'select').some((s) => s.value === 'West')).to.equal(true);

    el.setState({ page: 'customers', filters: { region: 'North', period: { from: '2024-01-01', to: '2024-12-31' } } });
    await el.updateComplete;
    const state = el.getState();
    expect(state).to.deep.equal({ page: 'customers', filters: { region: 'North', period: { from: '2024-01-01', to: '2024-12-31' } } });
    expect(tabs(el)[1]!.getAttribute('aria-selected')).to.equal('true');

    const other = document.createElement('insight-story');
    other.server = el.server;
    other.token = el.token;
    other.setState(state);
    const otherLog = listen(other);
    el.after(other);
    await until(() => otherLog.ready.length === 1, 'second story ready');
    expect(other.getState()).to.deep.equal(state);
    expect(log.filter).to.deep.equal([]);
    expect(otherLog.filter).to.deep.equal([]);
    other.remove();
  });

  it('shows other numbers for another tenant, also when the token changes', async () => {
    const { el } = await renderStory({ tenant: 1 });
    const tenant1 = await metricSettled(el);
    el.token = await testToken({ tenant: 2 });
    const tenant2 = await metricSettled(el, 'total-revenue', tenant1);
    expect(tenant2).to.not.equal(tenant1);
  });

  it('keeps two stories with different tenants apart on one page', async () => {
    const server = await testServer();
    const [t1, t2] = await Promise.all([testToken({ tenant: 1 }), testToken({ tenant: 2 })]);
    const wrapper = await fixture<HTMLDivElement>(html`<div>
      <insight-story id="a" .server=${server} .token=${t1}></insight-story>
      <insight-story id="b" .server=${server} .token=${t2}></insight-story>
    </div>`);
    const a = wrapper.querySelector<InsightStory>('#a')!;
    const b = wrapper.querySelector<InsightStory>('#b')!;
    const [va, vb] = await Promise.all([metricSettled(a), metricSettled(b)]);
    expect(va).to.not.equal(vb);
    expect(await metricSettled(a, 'order-count')).to.not.equal(await metricSettled(b, 'order-count'));
  });

  it('reports an expired token in an alert and insight-error', async () => {
    const { el, log } = await renderStory({ token: await testToken({ expired: true }) });
    expect(log.error).to.have.length(1);
    expect(log.error[0]!.code).to.equal('ERR_TOKEN_EXPIRED');
    await el.updateComplete;
    const alert = shadow(el, '[role="alert"]');
    expect(alert.textContent).to.contain('ERR_TOKEN_EXPIRED');
    expect(log.ready).to.have.length(0);
    await expect(el).to.be.accessible();
  });

  it('reports a token with a bad signature', async () => {
    const token = await testToken();
    const [header, payload, signature] = token.split('.');
    const forged = `${header}.${payload}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
    const { el, log } = await renderStory({ token: forged });
    expect(log.error.map((e) => e.code)).to.deep.equal(['ERR_TOKEN_SIGNATURE']);
    await el.updateComplete;
    expect(shadow(el, '[role="alert"]').textContent).to.contain('ERR_TOKEN_SIGNATURE');
  });

  it('shows ERR_POLICY_PARAM_MISSING on the cards for a token without the tenant param', async () => {
    const { el, log } = await renderStory({ token: await testToken({ tenant: 'none' }) });
    await until(() => log.error.length === 4, 'four card errors');
    expect(new Set(log.error.map((e) => e.code))).to.deep.equal(new Set(['ERR_POLICY_PARAM_MISSING']));
    expect(log.error.every((e) => typeof e.cardId === 'string' && e.cardId !== '')).to.equal(true);
    await until(() => cards(el).every((c) => !!c.shadowRoot?.querySelector('[role="alert"]')), 'card alerts');
    expect(shadow(cards(el)[0]!, '[role="alert"]').textContent).to.contain('ERR_POLICY_PARAM_MISSING');
  });

  it('applies --insight-color-accent set on a host wrapper inside the shadow roots', async () => {
    const { el } = await renderStory({ style: 'width: 1000px; --insight-color-accent: rgb(255, 0, 0)' });
    const selected = shadow(el, '[part~="tab-selected"]');
    expect(getComputedStyle(selected).borderBottomColor).to.equal('rgb(255, 0, 0)');
  });

  it('follows theme="dark" and theme="light"', async () => {
    const { el } = await renderStory();
    const surface = () => getComputedStyle(shadow(card(el, 'total-revenue'), '[part="card"]')).backgroundColor;
    el.theme = 'light';
    await el.updateComplete;
    expect(surface()).to.equal('rgb(255, 255, 255)');
    el.theme = 'dark';
    await el.updateComplete;
    expect(el.getAttribute('theme')).to.equal('dark');
    expect(surface()).to.equal('rgb(20, 23, 31)');
    // Colours of tabs and controls ease over 120 ms; check contrast once every transition finished.
    // (A transition cut short by the next change is cancelled: its `finished` rejects, hence allSettled.)
    for (let running = animationsIn(el); running.length > 0; running = animationsIn(el)) await Promise.allSettled(running.map((a) => a.finished));
    await expect(el).to.be.accessible();
  });

  it('uses the tokenProvider when the token expires soon, keeping page and filters', async () => {
    const server = await testServer();
    // The refresh timer is held and fired by the test: "soon" is when it is due, not how fast the machine is.
    const timers = holdLongTimers();
    try {
      let calls = 0;
      let provided = '';
      const wrapper = await fixture<HTMLDivElement>(html`<div></div>`);
      const el = document.createElement('insight-story');
      const log = listen(el);
      el.server = server;
      const token = await testToken({ expiresIn: 600 });
      const exp = tokenExpiry(token)!;
      el.token = token;
      el.tokenProvider = async () => {
        calls++;
        provided = await testToken({ expiresIn: 900 });
        return provided;
      };
      el.setState({ page: 'customers', filters: { region: 'East' } });
      const appended = Date.now();
      wrapper.append(el);
      await until(() => log.ready.length === 1, 'ready');
      // One refresh, due when refreshDelayMs says for the moment the story loaded.
      expect(timers.delays).to.have.length(1);
      expect(timers.delays[0]).to.be.within(refreshDelayMs(exp, Date.now()), refreshDelayMs(exp, appended));
      expect(calls).to.equal(0);
      expect(timers.fire()).to.equal(1);
      await until(() => log.expiring.length === 1 && calls === 1, 'insight-token-expiring and provider call');
      expect(log.expiring[0]!.expiresAt).to.equal(exp);
      expect(el.getState()).to.deep.equal({ page: 'customers', filters: { region: 'East' } });
      expect(log.ready).to.have.length(1);
      // The provider's token becomes the client's; the next refresh waits for it to near expiry.
      await until(() => el.client?.expiresAt === tokenExpiry(provided) && timers.delays.length === 1, 'new token in use, next refresh held');
      expect(log.expiring).to.have.length(1);
      el.remove();
    } finally {
      timers.restore();
    }
  });

  it('recovers from an expired token with the tokenProvider', async () => {
    const server = await testServer();
    const wrapper = await fixture<HTMLDivElement>(html`<div></div>`);
    const el = document.createElement('insight-story');
    const log = listen(el);
    el.server = server;
    el.token = await testToken({ expired: true });
    el.tokenProvider = () => testToken();
    wrapper.append(el);
    await until(() => log.ready.length === 1, 'ready');
    expect(log.error).to.deep.equal([]);
    await metricSettled(el);
  });

  it('clears its refresh timer when removed', async () => {
    const server = await testServer();
    const timers = holdLongTimers();
    try {
      let calls = 0;
      const wrapper = await fixture<HTMLDivElement>(html`<div></div>`);
      const el = document.createElement('insight-story');
      const log = listen(el);
      el.server = server;
      el.token = await testToken({ expiresIn: 600 });
      el.tokenProvider = async () => (calls++, testToken());
      wrapper.append(el);
      await until(() => log.ready.length === 1, 'ready');
      expect(timers.delays).to.have.length(1);
      el.remove();
      expect(timers.delays).to.deep.equal([]);
      // Back on the page, it schedules again.
      wrapper.append(el);
      expect(timers.delays).to.have.length(1);
      el.remove();
      expect(timers.fire()).to.equal(0);
      expect(log.expiring).to.deep.equal([]);
      expect(calls).to.equal(0);
    } finally {
      timers.restore();
    }
  });
});

describe('<insight-story> empty results', () => {
  it('a card whose filters match no rows names them; its Reset puts every filter back to its default', async () => {
    const { el, log } = await renderStory();
    el.filters = { region: 'Nowhere' };
    const chartCard = card(el, 'revenue-by-month');
    await until(() => !!chartCard.shadowRoot?.querySelector('[part="empty"]'), 'the empty state');
    expect(chartCard.shadowRoot!.querySelector('.active-filters')!.textContent!.replace(/\s+/g, ' ')).to.contain('Region: Nowhere');
    // The metric next to it agrees: no revenue.
    await until(() => metric(el) === '$0.00', 'a revenue of $0.00');
    shadow<HTMLButtonElement>(chartCard, '[part="reset-filters-button"]').click();
    expect(el.filters).to.deep.equal({});
    expect(log.filter.at(-1)).to.deep.equal({ filters: {} });
    await until(() => !!chartCard.shadowRoot?.querySelector('insight-chart')?.view, 'the chart drawn with the default filters');
    expect(el.getState().filters).to.deep.equal({});
  });
});
