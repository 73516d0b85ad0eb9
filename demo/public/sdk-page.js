// Page (b): the host uses the SDK only. createInsight keeps one token session
// (refreshed before expiry through the tokenProvider); embedStory renders the
// story into a container and returns a handle.
import { createInsight } from '%INSIGHT_URL%/static/insight-sdk.js';
import { INSIGHT_URL, setupHost, tokenFor } from './host.js';

let tenant = new URL(location.href).searchParams.get('tenant') ?? '1';
const insight = createInsight({ server: INSIGHT_URL, tokenProvider: () => tokenFor(tenant) });
const host = await setupHost({
  onTenant: async (next) => {
    tenant = next;
    // The story keeps its page and filters and reloads with the other tenant's rows.
    insight.setToken(await tokenFor(next));
  },
  onTheme: (theme) => story.element.setAttribute('theme', theme),
});
tenant = host.tenant();

const story = await insight.embedStory(document.getElementById('story'), { story: 'retail-overview', theme: host.theme() });
const stateBox = document.getElementById('state');
story.on('state', (state) => (stateBox.textContent = JSON.stringify(state, null, 2)));
story.on('error', (error) => (stateBox.textContent = `error ${error.code}: ${error.message}`));

// Region buttons call setFilters; the values come from the embed API, as this viewer may see them.
const view = await insight.client.story();
const regionFilter = view.filters.find((f) => f.name === 'region');
const regions = regionFilter ? (await insight.client.filterValues(regionFilter.id)).values : [];
const group = document.getElementById('regions');
const buttons = [];
for (const value of [null, ...regions]) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = value === null ? 'All regions' : String(value);
  button.dataset.region = value === null ? '' : String(value);
  button.setAttribute('aria-pressed', String(value === null));
  button.addEventListener('click', () => {
    story.setFilters({ ...story.getState().filters, region: value });
    for (const b of buttons) b.setAttribute('aria-pressed', String(b === button));
  });
  buttons.push(button);
  group.append(button);
}

// For the browser tests and for poking around in the console.
window.insightDemo = { insight, story };
