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

/**
 * The test server behind a proxy a test can take down: `setOutage('unavailable')`
 * answers card data with 503 ERR_DATABASE_UNAVAILABLE, `'forbidden'` with 403,
 * `'up'` forwards again. Resolves with how many card data requests it refused.
 */
export async function testOutageServer(): Promise<{ server: string; setOutage(mode: 'up' | 'unavailable' | 'forbidden'): Promise<void>; refused(): Promise<number> }> {
  const res = await fetch('/__insight/config');
  const server = ((await res.json()) as { outageServer: string }).outageServer;
  return {
    server,
    setOutage: async (mode) => void (await fetch(`${server}/__outage/${mode}`, { method: 'POST' })),
    refused: async () => ((await (await fetch(`${server}/__outage`)).json()) as { failed: number }).failed,
  };
}

/** A real token from the test server; `expired: true` gives one that expired two minutes ago. */
export async function testToken(
  options: { tenant?: number | 'none'; story?: string; expiresIn?: number; permissions?: string; expired?: boolean } = {},
): Promise<string> {
  const query = new URLSearchParams(Object.entries(options).map(([k, v]) => [k, String(v)]));
  const res = await fetch(`/__insight/token?${query}`);
  return ((await res.json()) as { token: string }).token;
}

/**
 * A wait longer than any real work on a busy machine: it only names a hang
 * (`what`) before the test's own timeout (web-test-runner.config.mjs) ends it.
 */
export const HANG_MS = 60_000;

/** Resolves when `predicate` holds, polling each animation frame; rejects naming `what` after HANG_MS. */
export async function until(predicate: () => boolean, what = 'condition'): Promise<void> {
  const started = performance.now();
  while (!predicate()) {
    if (performance.now() - started > HANG_MS) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => requestAnimationFrame(() => r(undefined)));
  }
}

/**
 * Holds every timer set for `minDelayMs` or more (a token refresh minutes
 * away) until the test fires it; shorter timers run as usual. A refresh is
 * then tested by when it is due, not by how fast a busy machine gets there.
 */
export function holdLongTimers(minDelayMs = 60_000) {
  const realSet = window.setTimeout;
  const realClear = window.clearTimeout;
  const held = new Map<number, { run: () => void; delay: number }>();
  let nextId = 1_000_000_000;
  window.setTimeout = ((handler: TimerHandler, delay = 0, ...args: unknown[]) => {
    if (typeof handler !== 'function' || delay < minDelayMs) return realSet(handler, delay, ...args);
    const id = nextId++;
    held.set(id, { run: () => (handler as (...a: unknown[]) => void)(...args), delay });
    return id;
  }) as typeof window.setTimeout;
  window.clearTimeout = ((id?: number) => {
    if (id === undefined || !held.delete(id)) realClear(id);
  }) as typeof window.clearTimeout;
  return {
    /** Delays of the timers held now, in the order they were set. */
    get delays(): number[] {
      return [...held.values()].map((t) => t.delay);
    },
    /** Runs every held timer as if its time had come; returns how many ran. */
    fire(): number {
      const due = [...held.values()];
      held.clear();
      for (const timer of due) timer.run();
      return due.length;
    },
    restore(): void {
      window.setTimeout = realSet;
      window.clearTimeout = realClear;
    },
  };
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
