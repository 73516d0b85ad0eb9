import { expect, fixture, html } from '@open-wc/testing';
import * as entry from './index.ts';
import { demoStory, until } from './testing/fixtures.ts';

const vegaRequested = () => performance.getEntriesByType('resource').some((e) => /\/node_modules\/vega/.test(e.name));

describe('embed entry', () => {
  it('defines every element and exports the public names', () => {
    for (const tag of ['insight-story', 'insight-filter-bar', 'insight-card', 'insight-chart', 'insight-metric', 'insight-table']) {
      expect(customElements.get(tag), tag).to.be.a('function');
    }
    expect(customElements.get('insight-story')).to.equal(entry.InsightStory);
    expect(entry.createInsightClient).to.be.a('function');
    expect(entry.InsightApiError).to.be.a('function');
  });

  it('loads vega only when the first chart renders', async () => {
    expect(vegaRequested(), 'vega loaded before any chart').to.equal(false);
    const { client, card } = await demoStory();
    const c = card('revenue-by-category');
    const data = await client.cardData(c.id);
    const el = await fixture<entry.InsightChart>(html`<insight-chart .visualization=${c.visualization} .data=${data}></insight-chart>`);
    await until(() => !!el.view, 15_000, 'chart view');
    expect(vegaRequested()).to.equal(true);
  });
});
