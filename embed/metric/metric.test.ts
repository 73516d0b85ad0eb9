import { expect, fixture, html } from '@open-wc/testing';
import { demoStory, shadow } from '../testing/fixtures.ts';
import type { InsightMetric } from './metric.component.ts';
import './metric.ts';

const usd = (options: Intl.NumberFormatOptions = {}) => new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD', ...options });

describe('<insight-metric>', () => {
  it('shows a large currency value compact, with the full value as title and for screen readers', async () => {
    const el = await fixture<InsightMetric>(html`<insight-metric .value=${980584.48} format="currency:USD" label="Total revenue"></insight-metric>`);
    const value = shadow(el, '[part="metric-value"]');
    expect(value.getAttribute('title')).to.equal(usd().format(980584.48));
    expect(value.querySelector('[aria-hidden="true"]')!.textContent).to.equal(usd({ notation: 'compact', maximumFractionDigits: 1 }).format(980584.48));
    expect(value.querySelector('.sr-only')!.textContent).to.equal(usd().format(980584.48));
    expect(shadow(el, '[part="metric-label"]').textContent).to.equal('Total revenue');
    await expect(el).to.be.accessible();
  });

  it('shows values below 100,000 in full and follows notation and format', async () => {
    const el = await fixture<InsightMetric>(html`<insight-metric .value=${1500}></insight-metric>`);
    expect(shadow(el, '[part="metric-value"] [aria-hidden]').textContent).to.equal(new Intl.NumberFormat().format(1500));
    el.notation = 'compact';
    el.value = 1500;
    await el.updateComplete;
    expect(shadow(el, '[part="metric-value"] [aria-hidden]').textContent).to.equal(new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 }).format(1500));
    el.format = 'percent';
    el.value = 0.256;
    el.notation = 'auto';
    await el.updateComplete;
    expect(shadow(el, '[part="metric-value"] [aria-hidden]').textContent).to.equal(new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 }).format(0.256));
  });

  it('shows a dash, named for screen readers, when there is no value', async () => {
    const el = await fixture<InsightMetric>(html`<insight-metric label="Orders"></insight-metric>`);
    expect(shadow(el, '[part="metric-value"]').textContent!.replace(/\s+/g, '')).to.equal('–Novalue');
    await expect(el).to.be.accessible();
  });

  it('shows the change against the previous period, coloured by the good direction, with accessible text', async () => {
    const comparison = { value: 1000, label: '2024-01-01 – 2024-12-31' };
    const el = await fixture<InsightMetric>(html`<insight-metric .value=${1123} .comparison=${comparison} format="integer"></insight-metric>`);
    const delta = shadow(el, '[part="metric-delta"]');
    const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 }).format(0.123);
    expect(delta.querySelector('[aria-hidden="true"]')!.textContent!.replace(/\s+/g, ' ').trim()).to.equal(`▲ ${percent}`);
    expect(delta.querySelector('.sr-only')!.textContent).to.equal(`up ${percent} vs previous period (2024-01-01 – 2024-12-31, ${new Intl.NumberFormat().format(1000)})`);
    expect(delta.classList.contains('good')).to.equal(true);
    const green = getComputedStyle(delta).color;

    el.goodDirection = 'down';
    await el.updateComplete;
    expect(delta.classList.contains('bad')).to.equal(true);
    expect(getComputedStyle(delta).color).to.not.equal(green);

    el.value = 900;
    await el.updateComplete;
    expect(shadow(el, '[part="metric-delta"] .sr-only').textContent).to.match(/^down 10% vs previous period/);
    expect(shadow(el, '[part="metric-delta"]').classList.contains('good')).to.equal(true);
    await expect(el).to.be.accessible();
  });

  it('draws a sparkline as inline SVG, and nothing extra without comparison or series', async () => {
    const el = await fixture<InsightMetric>(html`<insight-metric .value=${5} .series=${[1, 3, 2, 5]}></insight-metric>`);
    const path = shadow(el, '[part="sparkline"] path.line').getAttribute('d')!;
    expect(path.split(' ')).to.have.length(4);
    expect(path.startsWith('M1.0,')).to.equal(true);
    expect(shadow(el, '[part="sparkline"]').getAttribute('aria-hidden')).to.equal('true');
    const plain = await fixture<InsightMetric>(html`<insight-metric .value=${5}></insight-metric>`);
    expect(plain.shadowRoot!.querySelector('[part="metric-delta"], [part="sparkline"]')).to.equal(null);
    // A previous value of zero has no percentage change.
    plain.comparison = { value: 0, label: 'before' };
    await plain.updateComplete;
    expect(plain.shadowRoot!.querySelector('[part="metric-delta"]')).to.equal(null);
  });

  it('renders the real total revenue of a tenant', async () => {
    const { client, card } = await demoStory();
    const data = await client.cardData(card('total-revenue').id);
    const total = data.rows[0]![0] as number;
    const el = await fixture<InsightMetric>(html`<insight-metric .value=${total} format="currency:USD"></insight-metric>`);
    expect(shadow(el, 'data').getAttribute('value')).to.equal(String(total));
    expect(total).to.be.greaterThan(0);
  });
});
