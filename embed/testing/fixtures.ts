/** Browser-side helpers for component tests: the test server's URL and real tokens. */
export async function testServer(): Promise<string> {
  const res = await fetch('/__insight/config');
  return ((await res.json()) as { server: string }).server;
}

/** A test server whose AI engine is a local OpenAI-compatible model (questions with "unreachable" get a 503 from it). */
export async function testAiServer(): Promise<string> {
  const res = await fetch('/__insight/config');
  return ((await res.json()) as { aiServer: string }).aiServer;
}

/** A real token from the test server; `expired: true` gives one that expired two minutes ago. */
export async function testToken(
  options: { tenant?: number | 'none'; story?: string; expiresIn?: number; permissions?: string; expired?: boolean } = {},
): Promise<string> {
  const query = new URLSearchParams(Object.entries(options).map(([k, v]) => [k, String(v)]));
  const res = await fetch(`/__insight/token?${query}`);
  return ((await res.json()) as { token: string }).token;
}

/** Resolves when `predicate` holds, polling each animation frame, or rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const started = performance.now();
  while (!predicate()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => requestAnimationFrame(() => r(undefined)));
  }
}

/** A client of the test server and the demo story as a token for `tenant` sees it. */
export async function demoStory(options: { tenant?: number | 'none' } = {}) {
  const { createInsightClient } = await import('../../sdk/client.ts');
  const client = createInsightClient({ server: await testServer(), token: await testToken(options) });
  const story = await client.story();
  const card = (key: string) => {
    const found = story.pages.flatMap((p) => p.cards).find((c) => c.key === key);
    if (!found) throw new Error(`no card ${key}`);
    return found;
  };
  return { client, story, card };
}

/** The first element matching `selector` inside `host`'s shadow root (throws when missing). */
export function shadow<E extends Element = HTMLElement>(host: Element, selector: string): E {
  const found = host.shadowRoot?.querySelector<E>(selector);
  if (!found) throw new Error(`${host.localName} has no ${selector}`);
  return found;
}

/** All elements matching `selector` inside `host`'s shadow root. */
export function shadowAll<E extends Element = HTMLElement>(host: Element, selector: string): E[] {
  return [...(host.shadowRoot?.querySelectorAll<E>(selector) ?? [])];
}
