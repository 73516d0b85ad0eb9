import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { createInsightClient } from '../../sdk/client.ts';
import type { StoryCard } from '../../sdk/protocol.ts';
import type { InsightErrorDetail, InsightRenderDetail } from '../shared/events.ts';
import { demoStory, holdLongTimers, shadow, shadowAll, testOutageServer, testServer, testToken, until } from '../testing/fixtures.ts';
import { createCardExporter } from '../shared/download.ts';
import { cardFilters, metricValue, type InsightCard } from './card.component.ts';
import './card.ts';

async function renderCard(card: StoryCard, client: unknown, filters = {}) {
  const renders: InsightRenderDetail[] = [];
  const errors: InsightErrorDetail[] = [];
  const el = await fixture<InsightCard>(html`<insight-card
    .card=${card}
    .client=${client}
    .filters=${filters}
    @insight-render=${(e: CustomEvent<InsightRenderDetail>) => renders.push(e.detail)}
    @insight-error=${(e: CustomEvent<InsightErrorDetail>) => errors.push(e.detail)}
  ></insight-card>`);
  return { el, renders, errors };
}

const metricText = (el: InsightCard) => shadow(shadow(el, 'insight-metric'), '[part="metric-value"]').getAttribute('title');

describe('<insight-card>', () => {
  it('renders a metric card with its title as the heading that names the card', async () => {
    const { client, card } = await demoStory();
    const { el, renders } = await renderCard(card('total-revenue'), client);
    await until(() => renders.length === 1, 'insight-render');
    expect(renders[0]).to.deep.equal({ cardId: card('total-revenue').id });
    const article = shadow(el, 'article');
    const title = shadow(el, 'h3#title');
    expect(title.textContent).to.equal('Total revenue');
    expect(article.getAttribute('aria-labelledby')).to.equal('title');
    expect(article.getAttribute('aria-busy')).to.equal('false');
    expect(metricText(el)).to.match(/^\$[\d,]+\.\d\d$/);
    await expect(el).to.be.accessible();
  });

  it('renders a chart card and reports it once vega has drawn', async () => {
    const { client, card } = await demoStory();
    const { el, renders } = await renderCard(card('revenue-by-region'), client);
    await until(() => renders.length === 1, 'insight-render');
    const chart = shadow(el, 'insight-chart');
    expect(shadowAll(chart, 'svg .mark-rect path')).to.have.length(5);
    expect(renders[0]!.cardId).to.equal(card('revenue-by-region').id);
    await expect(el).to.be.accessible();
  });

  it('renders a table card with 10 rows', async () => {
    const { client, card } = await demoStory();
    const { el, renders } = await renderCard(card('top-customers'), client);
    await until(() => renders.length === 1, 'insight-render');
    expect(shadowAll(shadow(el, 'insight-table'), 'tbody tr')).to.have.length(10);
    await expect(el).to.be.accessible();
  });

  it('renders text cards as plain text paragraphs', async () => {
    const card: StoryCard = {
      id: 'text-1',
      key: 'note',
      type: 'text',
      title: 'Note',
      description: null,
      visualization: null,
      options: { text: 'First <b>paragraph</b>.\n\nSecond <img src=x onerror=alert(1)>' },
      filters: [],
    };
    const { el, renders } = await renderCard(card, null);
    await until(() => renders.length === 1, 'insight-render');
    const paragraphs = shadowAll(el, '.text p');
    expect(paragraphs.map((p) => p.textContent)).to.deep.equal(['First <b>paragraph</b>.', 'Second <img src=x onerror=alert(1)>']);
    expect(el.shadowRoot!.querySelector('b, img')).to.equal(null);
  });

  it('refetches when a filter that applies changes, not for other values', async () => {
    const { client, card } = await demoStory();
    const requests: string[] = [];
    const counting = createInsightClient({
      server: client.server,
      token: await testToken(),
      fetch: (input, init) => (requests.push(String(init?.body ?? '')), fetch(input, init)),
    });
    const { el, renders } = await renderCard(card('total-revenue'), counting);
    await until(() => renders.length === 1, 'first render');
    const all = metricText(el);

    el.filters = { region: 'East' };
    await until(() => renders.length === 2, 'render after filter');
    expect(metricText(el)).to.not.equal(all);
    expect(JSON.parse(requests.at(-1)!)).to.deep.equal({ filters: { region: 'East' } });

    el.filters = { region: 'East', unrelated: 'x' };
    await el.updateComplete;
    expect(requests).to.have.length(2);
    expect(cardFilters({ filters: ['region'] }, { region: 'East', unrelated: 'x' })).to.deep.equal({ region: 'East' });
  });

  it('aborts a stale request when the filters change again', async () => {
    const { card } = await demoStory();
    const signals: AbortSignal[] = [];
    const client = createInsightClient({
      server: await testServer(),
      token: await testToken(),
      fetch: (input, init) => (signals.push(init!.signal!), fetch(input, init)),
    });
    const { el, renders } = await renderCard(card('order-count'), client, { region: 'East' });
    el.filters = { region: 'West' };
    await until(() => renders.length >= 1, 'render');
    expect(signals[0]!.aborted).to.equal(true);
    expect(signals.at(-1)!.aborted).to.equal(false);
    const west = await client.cardData(card('order-count').id, { region: 'West' });
    expect(shadow(shadow(el, 'insight-metric'), 'data').getAttribute('value')).to.equal(String(west.rows[0]![0]));
  });

  it('shows the error code in an alert and fires insight-error when the token lacks the tenant', async () => {
    const { client, card } = await demoStory({ tenant: 'none' });
    const { el, errors } = await renderCard(card('total-revenue'), client);
    await until(() => errors.length === 1, 'insight-error');
    expect(errors[0]).to.include({ code: 'ERR_POLICY_PARAM_MISSING', cardId: card('total-revenue').id });
    await el.updateComplete;
    const alert = shadow(el, '[role="alert"]');
    expect(alert.textContent).to.contain('ERR_POLICY_PARAM_MISSING');
    await expect(el).to.be.accessible();
  });
});

/** Records the links `saveUrl` clicks (instead of downloading), restoring the real click afterwards. */
async function capturingDownloads<T>(run: (links: Array<{ href: string; download: string }>) => Promise<T>): Promise<T> {
  const links: Array<{ href: string; download: string }> = [];
  const original = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
    if (this.download) links.push({ href: this.href, download: this.download });
    else original.call(this);
  };
  try {
    return await run(links);
  } finally {
    HTMLAnchorElement.prototype.click = original;
  }
}

describe('<insight-card> downloads', () => {
  const items = (el: InsightCard) => shadowAll(el, '[role="menuitem"]').map((i) => i.textContent!.trim());

  it('offers PNG and SVG of a chart from a keyboard menu; CSV and XLSX only with the export permission', async () => {
    const { client, card } = await demoStory();
    const { el, renders } = await renderCard(card('revenue-by-region'), client);
    await until(() => renders.length === 1, 'chart drawn');
    const button = shadow<HTMLButtonElement>(el, '[part="menu-button"]');
    expect(button.getAttribute('aria-label')).to.equal('Download Revenue by region');
    expect(button.getAttribute('aria-haspopup')).to.equal('menu');
    expect(items(el)).to.deep.equal(['Download PNG', 'Download SVG']);
    expect(shadow(el, '[role="menu"]').hidden).to.equal(true);

    button.focus();
    await sendKeys({ press: 'ArrowDown' });
    await el.updateComplete;
    expect(button.getAttribute('aria-expanded')).to.equal('true');
    expect(el.shadowRoot!.activeElement!.textContent!.trim()).to.equal('Download PNG');
    await sendKeys({ press: 'ArrowDown' });
    expect(el.shadowRoot!.activeElement!.textContent!.trim()).to.equal('Download SVG');
    await expect(el).to.be.accessible();
    await sendKeys({ press: 'Escape' });
    await el.updateComplete;
    expect(button.getAttribute('aria-expanded')).to.equal('false');
    expect(el.shadowRoot!.activeElement).to.equal(button);

    const svg = await capturingDownloads(async (links) => {
      button.click();
      await el.updateComplete;
      shadowAll<HTMLButtonElement>(el, '[role="menuitem"]')[1]!.click();
      await until(() => links.length === 1, 'SVG download');
      return links[0]!;
    });
    expect(svg.download).to.equal('revenue-by-region.svg');
    const text = await (await fetch(svg.href)).text();
    expect(text).to.contain('<svg').and.contain('mark-rect');

    el.permissions = ['view', 'export'];
    el.exporter = createCardExporter(client.server, () => testToken({ permissions: 'view,export' }));
    await el.updateComplete;
    expect(items(el)).to.deep.equal(['Download PNG', 'Download SVG', 'Download CSV', 'Download XLSX']);
  });

  it('downloads the rows as CSV with the embed token and the card filters', async () => {
    const { client, card } = await demoStory();
    const c = card('revenue-by-region');
    const exportToken = await testToken({ permissions: 'view,export' });
    const requests: string[] = [];
    const exporter = createCardExporter(client.server, () => exportToken);
    const recording: typeof exporter = (...args) => (requests.push(JSON.stringify(args.slice(0, 3))), exporter(...args));
    const { el, renders, errors } = await renderCard(c, client, { region: 'West' });
    el.permissions = ['view', 'export'];
    el.exporter = recording;
    await until(() => renders.length === 1, 'chart drawn');
    const link = await capturingDownloads(async (links) => {
      shadow<HTMLButtonElement>(el, '[part="menu-button"]').click();
      await el.updateComplete;
      shadowAll<HTMLButtonElement>(el, '[role="menuitem"]').find((i) => i.textContent!.includes('CSV'))!.click();
      await until(() => links.length === 1 || errors.length > 0, 'CSV download');
      return links[0];
    });
    expect(errors).to.deep.equal([]);
    expect(requests).to.deep.equal([JSON.stringify([c.id, 'csv', { region: 'West' }])]);
    expect(link!.download).to.equal('revenue-by-region.csv');
    const csv = await (await fetch(link!.href)).text();
    const lines = csv.trim().split(/\r?\n/);
    expect(lines[0]!.toLowerCase()).to.contain('region');
    expect(lines.slice(1).every((l) => l.includes('West'))).to.equal(true);
    expect(lines.length).to.equal(2);
  });
});

describe('<insight-card> empty results', () => {
  it('says "No data for these filters", naming them, instead of drawing empty axes; Reset asks for the defaults', async () => {
    const { client, card, story } = await demoStory();
    const chartCard = card('revenue-by-region');
    const resets: unknown[] = [];
    const renders: unknown[] = [];
    const el = await fixture<InsightCard>(html`<insight-card
      .card=${chartCard}
      .client=${client}
      .filters=${{ region: 'Nowhere', customer: 'nobody at all' }}
      .storyFilters=${story.filters}
      @insight-render=${(e: Event) => renders.push(e)}
      @insight-filters-reset=${(e: CustomEvent) => resets.push(e.detail)}
    ></insight-card>`);
    await until(() => renders.length === 1, 'insight-render of the empty state');
    expect(shadowAll(el, 'insight-chart')).to.have.length(0);
    const empty = shadow(el, '[part="empty"]');
    expect(empty.getAttribute('role')).to.equal('status');
    expect(empty.textContent).to.contain('No data for these filters');
    const named = shadowAll(el, '.active-filters li').map((li) => li.textContent!.replace(/\s+/g, ' ').trim());
    expect(named).to.deep.equal(['Region: Nowhere', 'Customer: nobody at all']);
    // No drill hint and no chart images without rows to drill into or draw.
    expect(chartCard.drill).to.not.equal(null);
    expect(shadowAll(el, '[part="drill-hint"]')).to.have.length(0);
    expect(shadowAll(el, '[part="menu-button"]')).to.have.length(0);
    shadow<HTMLButtonElement>(el, '[part="reset-filters-button"]').click();
    expect(resets).to.deep.equal([{ cardId: chartCard.id }]);
    await expect(el).to.be.accessible();
  });

  it('metrics of no rows agree: a count or sum of nothing is 0, an average of nothing has no value', async () => {
    const { client, card } = await demoStory();
    const filters = { region: 'Nowhere' };
    const revenue = await renderCard(card('total-revenue'), client, filters);
    const orders = await renderCard(card('order-count'), client, filters);
    await until(() => revenue.renders.length === 1 && orders.renders.length === 1, 'both metrics');
    expect(metricText(revenue.el)).to.equal('$0.00');
    expect(metricText(orders.el)).to.equal('0');

    const none = { rowCount: 1, truncated: false, fromCache: false, cacheAgeMs: 0, executionMs: 1 };
    expect(metricValue({ ...none, columns: [{ name: 'n', type: 'number', aggregate: 'count' }], rows: [[0]] }).value).to.equal(0);
    expect(metricValue({ ...none, columns: [{ name: 'r', type: 'number', aggregate: 'sum' }], rows: [[null]] }).value).to.equal(0);
    expect(metricValue({ ...none, columns: [{ name: 'r', type: 'number', aggregate: 'sum' }], rows: [] }).value).to.equal(0);
    expect(metricValue({ ...none, columns: [{ name: 'a', type: 'number', aggregate: 'avg' }], rows: [[null]] }).value).to.equal(null);
    expect(metricValue({ ...none, columns: [{ name: 'm', type: 'number', aggregate: 'max' }], rows: [] }).value).to.equal(null);
    // SQL cards carry no aggregate: what SQL answered stands.
    expect(metricValue({ ...none, columns: [{ name: 'x', type: 'number' }], rows: [[null]] }).value).to.equal(null);
  });
});

describe('<insight-card> failure and recovery', () => {
  let timers: ReturnType<typeof holdLongTimers> | undefined;
  afterEach(() => timers?.restore());

  async function outageCard(mode: 'unavailable' | 'forbidden') {
    const outage = await testOutageServer();
    await outage.setOutage(mode);
    const { card } = await demoStory();
    const exportToken = await testToken({ permissions: 'view,export' });
    const client = createInsightClient({ server: outage.server, token: exportToken });
    // The backoff probe (2 s and more) is held until the test fires it; nothing waits on the clock.
    timers = holdLongTimers(1_000);
    const chartCard = card('revenue-by-region');
    const { el, renders, errors } = await renderCard(chartCard, client);
    el.permissions = ['view', 'export'];
    el.exporter = createCardExporter(outage.server, () => exportToken);
    return { outage, el, renders, errors, chartCard };
  }

  it('a card failed by a database outage shows Retry, disables downloads, probes with backoff and recovers', async () => {
    const { outage, el, renders, errors } = await outageCard('unavailable');
    try {
      await until(() => errors.length === 1, 'insight-error');
      expect(errors[0]!.code).to.equal('ERR_DATABASE_UNAVAILABLE');
      await el.updateComplete;
      expect(shadow(el, '[part="error"]').textContent).to.contain('ERR_DATABASE_UNAVAILABLE');
      expect(shadow<HTMLButtonElement>(el, '[part="retry-button"]').textContent!.trim()).to.equal('Retry');
      expect(shadow<HTMLButtonElement>(el, '[part="menu-button"]').disabled).to.equal(true);
      expect(timers!.delays).to.have.length(1);
      expect(timers!.delays[0]).to.be.within(1500, 2500);
      await expect(el).to.be.accessible();

      // Still down at the first probe: the next one waits twice as long.
      expect(timers!.fire()).to.equal(1);
      await until(() => errors.length === 2, 'the first probe failing');
      await until(() => timers!.delays.length === 1, 'the second probe');
      expect(timers!.delays[0]).to.be.within(3000, 5000);
      expect(await outage.refused()).to.equal(2);

      await outage.setOutage('up');
      expect(timers!.fire()).to.equal(1);
      await until(() => renders.length === 1, 'the card drawn after the server came back');
      expect(shadowAll(el, '[part="error"]')).to.have.length(0);
      expect(shadowAll(shadow(el, 'insight-chart'), 'svg .mark-rect path').length).to.be.greaterThan(0);
      expect(shadow<HTMLButtonElement>(el, '[part="menu-button"]').disabled).to.equal(false);
      // Success ends the probing.
      expect(timers!.delays).to.deep.equal([]);
    } finally {
      await outage.setOutage('up');
    }
  });

  it('tries again at once when the browser comes back online, and with the Retry button', async () => {
    const { outage, el, renders, errors } = await outageCard('unavailable');
    try {
      await until(() => errors.length === 1, 'insight-error');
      await el.updateComplete;
      shadow<HTMLButtonElement>(el, '[part="retry-button"]').click();
      await until(() => errors.length === 2, 'Retry failing while the server is down');
      await outage.setOutage('up');
      window.dispatchEvent(new Event('online'));
      await until(() => renders.length === 1, 'the card drawn after going online');
      expect(timers!.delays).to.deep.equal([]);
    } finally {
      await outage.setOutage('up');
    }
  });

  it('does not probe after a 4xx (Retry still works), nor once the card left the page', async () => {
    const { outage, el, renders, errors } = await outageCard('forbidden');
    try {
      await until(() => errors.length === 1, 'insight-error');
      expect(errors[0]!.code).to.equal('ERR_FORBIDDEN');
      await el.updateComplete;
      expect(timers!.delays).to.deep.equal([]);
      window.dispatchEvent(new Event('online'));
      await el.updateComplete;
      expect(await outage.refused()).to.equal(1);
      await outage.setOutage('up');
      shadow<HTMLButtonElement>(el, '[part="retry-button"]').click();
      await until(() => renders.length === 1, 'the card drawn after Retry');

      // A card that fails and leaves the page stops probing.
      await outage.setOutage('unavailable');
      await el.retry();
      expect(timers!.delays).to.have.length(1);
      el.remove();
      expect(timers!.delays).to.deep.equal([]);
    } finally {
      await outage.setOutage('up');
    }
  });
});
