import { expect, fixture, html } from '@open-wc/testing';
import * as entry from './index.ts';
import { demoStory, until } from './testing/fixtures.ts';

// Every script and module the page requested: what the timing buffer held at load, then each new one
// as it comes (the buffer keeps only so many entries).
const requested = performance.getEntriesByType('resource').map((e) => e.name);
new PerformanceObserver((list) => requested.push(...list.getEntries().map((e) => e.name))).observe({ type: 'resource' });
const vegaRequested = () => [...requested, ...performance.getEntriesByType('resource').map((e) => e.name)].some((name) => /\/node_modules\/vega/.test(name));

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
    await until(() => !!el.view, 'chart view');
    // Observer entries arrive after the module did: wait for the request to show, however long it took.
    await until(vegaRequested, 'vega request observed');
  });
});
