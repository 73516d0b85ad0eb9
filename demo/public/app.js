// Page (a): the host page's own script: pick a tenant, fetch a token for it
// from the host backend, and hand it to the <insight-story> tag. Dark mode is
// the host's: its CSS variables feed the story's --insight-* properties.
import { setupHost, tokenFor } from './host.js';

const story = document.getElementById('story');

async function showTenant(tenant) {
  story.tokenProvider = () => tokenFor(tenant);
  story.token = await tokenFor(tenant);
}

// The host's variables set the colours; `theme` lets the story's own defaults (chart palette) follow too.
const host = await setupHost({ onTenant: showTenant, onTheme: (theme) => story.setAttribute('theme', theme) });
story.setAttribute('theme', host.theme());
await showTenant(host.tenant());
