// The host page's own script: pick a tenant, fetch a token for it from the
// host backend, and hand it to the <insight-story> tag.
const story = document.getElementById('story');
const tenantSelect = document.getElementById('tenant');
const themeButton = document.getElementById('theme');

async function tokenFor(tenant) {
  const res = await fetch(`/api/token?tenant=${encodeURIComponent(tenant)}`);
  if (!res.ok) throw new Error(`token request failed: ${res.status}`);
  return (await res.json()).token;
}

async function showTenant(tenant) {
  story.tokenProvider = () => tokenFor(tenant);
  story.token = await tokenFor(tenant);
  const url = new URL(location.href);
  url.searchParams.set('tenant', tenant);
  history.replaceState(null, '', url);
}

const tenants = await (await fetch('/api/tenants')).json();
for (const t of tenants) tenantSelect.append(new Option(t.name, String(t.id)));
tenantSelect.value = new URL(location.href).searchParams.get('tenant') ?? '1';
tenantSelect.addEventListener('change', () => showTenant(tenantSelect.value));
await showTenant(tenantSelect.value);

themeButton.addEventListener('click', () => {
  const dark = document.documentElement.classList.toggle('dark');
  themeButton.setAttribute('aria-pressed', String(dark));
  story.setAttribute('theme', dark ? 'dark' : 'light');
});
