import { expect, fixture, html } from '@open-wc/testing';
import { createInsightClient } from '../../sdk/client.ts';
import type { StoryCard } from '../../sdk/protocol.ts';
import type { InsightErrorDetail, InsightRenderDetail } from '../shared/events.ts';
import { demoStory, shadow, shadowAll, testServer, testToken, until } from '../testing/fixtures.ts';
import { cardFilters, type InsightCard } from './card.component.ts';
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
    await until(() => renders.length === 1, 10_000, 'insight-render');
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
    await until(() => renders.length === 1, 15_000, 'insight-render');
    const chart = shadow(el, 'insight-chart');
    expect(shadowAll(chart, 'svg .mark-rect path')).to.have.length(5);
    expect(renders[0]!.cardId).to.equal(card('revenue-by-region').id);
    await expect(el).to.be.accessible();
  });

  it('renders a table card with 10 rows', async () => {
    const { client, card } = await demoStory();
    const { el, renders } = await renderCard(card('top-customers'), client);
    await until(() => renders.length === 1, 10_000, 'insight-render');
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
    await until(() => renders.length === 1, 5_000, 'insight-render');
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
    await until(() => renders.length === 1, 10_000, 'first render');
    const all = metricText(el);

    el.filters = { region: 'East' };
    await until(() => renders.length === 2, 10_000, 'render after filter');
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
    await until(() => renders.length >= 1, 10_000, 'render');
    expect(signals[0]!.aborted).to.equal(true);
    expect(signals.at(-1)!.aborted).to.equal(false);
    const west = await client.cardData(card('order-count').id, { region: 'West' });
    expect(shadow(shadow(el, 'insight-metric'), 'data').getAttribute('value')).to.equal(String(west.rows[0]![0]));
  });

  it('shows the error code in an alert and fires insight-error when the token lacks the tenant', async () => {
    const { client, card } = await demoStory({ tenant: 'none' });
    const { el, errors } = await renderCard(card('total-revenue'), client);
    await until(() => errors.length === 1, 10_000, 'insight-error');
    expect(errors[0]).to.include({ code: 'ERR_POLICY_PARAM_MISSING', cardId: card('total-revenue').id });
    await el.updateComplete;
    const alert = shadow(el, '[role="alert"]');
    expect(alert.textContent).to.contain('ERR_POLICY_PARAM_MISSING');
    await expect(el).to.be.accessible();
  });
});
