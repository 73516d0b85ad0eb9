// What every page of the host app shares: the tenant switcher (each tenant a
// different signed-in customer), tokens from the host backend, the dark-mode
// toggle and the navigation.
export const INSIGHT_URL = '%INSIGHT_URL%';

export async function tokenFor(tenant) {
  const res = await fetch(`/api/token?tenant=${encodeURIComponent(tenant)}`);
  if (!res.ok) throw new Error(`token request failed: ${res.status}`);
  return (await res.json()).token;
}

/** Fills the tenant select, restores tenant and theme from the URL, and calls back on changes. */
export async function setupHost({ onTenant, onTheme } = {}) {
  const tenantSelect = document.getElementById('tenant');
  const themeButton = document.getElementById('theme');
  for (const link of document.querySelectorAll('nav a')) {
    if (link.getAttribute('href') === location.pathname) link.setAttribute('aria-current', 'page');
  }
  const tenants = await (await fetch('/api/tenants')).json();
  for (const t of tenants) tenantSelect.append(new Option(t.name, String(t.id)));
  const url = new URL(location.href);
  tenantSelect.value = url.searchParams.get('tenant') ?? '1';
  const remember = (key, value) => {
    const next = new URL(location.href);
    next.searchParams.set(key, value);
    history.replaceState(null, '', next);
    // Keep the choice when moving to another demo page.
    for (const link of document.querySelectorAll('nav a')) link.search = next.search;
  };
  remember('tenant', tenantSelect.value);
  tenantSelect.addEventListener('change', async () => {
    remember('tenant', tenantSelect.value);
    await onTenant?.(tenantSelect.value);
  });
  const applyTheme = (dark) => {
    document.documentElement.classList.toggle('dark', dark);
    themeButton.setAttribute('aria-pressed', String(dark));
    remember('theme', dark ? 'dark' : 'light');
  };
  applyTheme(url.searchParams.get('theme') === 'dark');
  themeButton.addEventListener('click', async () => {
    applyTheme(!document.documentElement.classList.contains('dark'));
    await onTheme?.(document.documentElement.classList.contains('dark') ? 'dark' : 'light');
  });
  return { tenant: () => tenantSelect.value, theme: () => (document.documentElement.classList.contains('dark') ? 'dark' : 'light') };
}
