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

  it('renders the real total revenue of a tenant', async () => {
    const { client, card } = await demoStory();
    const data = await client.cardData(card('total-revenue').id);
    const total = data.rows[0]![0] as number;
    const el = await fixture<InsightMetric>(html`<insight-metric .value=${total} format="currency:USD"></insight-metric>`);
    expect(shadow(el, 'data').getAttribute('value')).to.equal(String(total));
    expect(total).to.be.greaterThan(0);
  });
});
