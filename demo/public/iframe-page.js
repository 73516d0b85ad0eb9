// Page (c): the story in an iframe served by the InsightEngine server, a
// different origin from this page. embedIframe puts the token in the URL
// fragment and sizes the frame from the frame's `insight:resize` messages.
import { createInsight } from '%INSIGHT_URL%/static/insight-sdk.js';
import { INSIGHT_URL, setupHost, tokenFor } from './host.js';

let tenant = new URL(location.href).searchParams.get('tenant') ?? '1';
const container = document.getElementById('frame');
const heightNote = document.getElementById('height');
const insight = createInsight({ server: INSIGHT_URL, tokenProvider: () => tokenFor(tenant) });
let frame;

async function embed(theme, state) {
  frame?.destroy();
  frame = await insight.embedIframe(container, { story: 'retail-overview', theme, ...(state ? { page: state.page, filters: state.filters } : {}) });
  frame.on('resize', ({ height }) => (heightNote.textContent = `frame height ${height}px`));
  window.insightDemo = { insight, frame };
}

const host = await setupHost({
  onTenant: async (next) => {
    tenant = next;
    insight.setToken(await tokenFor(next));
  },
  // CSS variables do not cross into another document: the frame is embedded again with the theme, keeping its state.
  onTheme: (theme) => embed(theme, frame?.getState()),
});
tenant = host.tenant();
await embed(host.theme());

document.getElementById('page-overview').addEventListener('click', () => frame.setState({ page: 'overview' }));
document.getElementById('page-customers').addEventListener('click', () => frame.setState({ page: 'customers' }));
