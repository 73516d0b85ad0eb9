// Page (d): the host owns the filter bar and drives two embedded stories at
// once through setFilters (the stories' own filter bars are hidden with
// ::part(filter-bar) in host.css).
import { createInsight } from '%INSIGHT_URL%/static/insight-sdk.js';
import { INSIGHT_URL, setupHost, tokenFor } from './host.js';

let tenant = new URL(location.href).searchParams.get('tenant') ?? '1';
const insight = createInsight({ server: INSIGHT_URL, tokenProvider: () => tokenFor(tenant) });
const regionSelect = document.getElementById('region');
const periodSelect = document.getElementById('period');

async function fillRegions() {
  const view = await insight.client.story();
  const filter = view.filters.find((f) => f.name === 'region');
  const { values } = filter ? await insight.client.filterValues(filter.id) : { values: [] };
  const current = regionSelect.value;
  regionSelect.replaceChildren(new Option('All regions', ''), ...values.map((v) => new Option(String(v), String(v))));
  regionSelect.value = values.map(String).includes(current) ? current : '';
}

const host = await setupHost({
  onTenant: async (next) => {
    tenant = next;
    insight.setToken(await tokenFor(next));
    await fillRegions();
  },
  onTheme: (theme) => {
    for (const story of [revenue, customers]) story.element.setAttribute('theme', theme);
  },
});
tenant = host.tenant();

const [revenue, customers] = await Promise.all([
  insight.embedStory(document.getElementById('story-a'), { story: 'retail-overview', page: 'overview', theme: host.theme() }),
  insight.embedStory(document.getElementById('story-b'), { story: 'retail-overview', page: 'customers', theme: host.theme() }),
]);
await fillRegions();

function applyFilters() {
  const filters = {
    region: regionSelect.value || null,
    period: periodSelect.value ? { preset: periodSelect.value } : null,
  };
  for (const story of [revenue, customers]) story.setFilters(filters);
}
regionSelect.addEventListener('change', applyFilters);
periodSelect.addEventListener('change', applyFilters);

window.insightDemo = { insight, stories: [revenue, customers] };
