/**
 * `createInsight`: the SDK's entry for host pages. One token session shared by
 * every embed the host creates (stories in the page, iframes) and by direct
 * API calls, refreshed before it expires; each embed returns a handle with
 * `destroy()`, and `destroy()` on the instance ends them all.
 */
import { InsightClient } from './client.ts';
import { Emitter } from './emitter.ts';
import type { EmbedHandle, EmbedOptions, MountedEmbed } from './embed-handle.ts';
import { mountIframe } from './embed-iframe.ts';
import { mountStory } from './embed-story.ts';
import { componentsUrl, loadComponents, type ComponentsSource } from './load-components.ts';
import type { AskResponse, CardData, FilterValues } from './protocol.ts';
import { TokenSession } from './token-session.ts';

export interface InsightOptions {
  /** Base URL of the InsightEngine server, e.g. `https://analytics.example.com`. */
  server: string;
  /** A signed embed token (give a `tokenProvider` too, or the host must call `setToken` before it expires). */
  token?: string;
  /** Returns a fresh token from the host's backend; called before the token expires and when the server refuses it as expired. */
  tokenProvider?: () => Promise<string>;
  /** The embed script URL or a loader for it (default: `{server}/static/insight-embed.js`). */
  components?: ComponentsSource;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** Typed events of the instance (`insight.on(type, listener)`). */
export interface InsightEventMap {
  /** A new token is in use (refresh or `setToken`). */
  token: { expiresAt: number | undefined };
  /** A refresh failed; the next attempt runs after `retryInMs` (backoff 1 s, 2 s, 4 s … 30 s). */
  'token-error': { error: unknown; attempt: number; retryInMs: number };
}

export interface Insight {
  /** The embed API client the instance uses (story, cardData, filterValues, ask). */
  readonly client: InsightClient;
  /** Renders a story with `<insight-story>` inside `element`. */
  embedStory(element: HTMLElement, options: EmbedOptions): Promise<EmbedHandle>;
  /** Renders a story in an iframe inside `element`; its height follows the content. */
  embedIframe(element: HTMLElement, options: EmbedOptions): Promise<EmbedHandle>;
  /** Asks a question in plain language (the token needs the `ask` permission). */
  ask(question: string, options?: { dataset?: string; signal?: AbortSignal }): Promise<AskResponse>;
  /** Data of one card of the token's story. */
  cardData(cardId: string, filters?: FilterValues, signal?: AbortSignal): Promise<CardData>;
  /** Uses a token the host obtained itself (e.g. after its user switched tenant). */
  setToken(token: string): void;
  on<K extends keyof InsightEventMap>(type: K, listener: (detail: InsightEventMap[K]) => void): () => void;
  /** Ends every embed and clears every timer and listener of the instance. */
  destroy(): void;
}

/**
 * @example
 * const insight = createInsight({
 *   server: 'https://analytics.example.com',
 *   tokenProvider: () => fetch('/api/insight-token').then((r) => r.json()).then((b) => b.token),
 * });
 * const story = await insight.embedStory(document.querySelector('#report'), { story: 'retail-overview' });
 * story.on('state', (state) => history.replaceState(null, '', `#${encodeURIComponent(JSON.stringify(state))}`));
 * story.setFilters({ region: 'West' });
 */
export function createInsight(options: InsightOptions): Insight {
  const server = options.server.replace(/\/+$/, '');
  const events = new Emitter<InsightEventMap>();
  const embeds = new Set<MountedEmbed>();
  let destroyed = false;

  const session = new TokenSession({
    ...(options.token ? { token: options.token } : {}),
    ...(options.tokenProvider ? { tokenProvider: options.tokenProvider } : {}),
    onToken: (token) => {
      client.setToken(token);
      for (const embed of embeds) embed.setToken(token);
      events.emit('token', { expiresAt: client.expiresAt });
    },
    onRefreshError: (error, attempt, retryInMs) => events.emit('token-error', { error, attempt, retryInMs }),
  });

  const client = new InsightClient({
    server,
    ...(options.token ? { token: options.token } : {}),
    // The client asks again when the server says "expired"; the session shares that call.
    ...(options.tokenProvider ? { tokenProvider: () => session.refresh() } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  const onTokenExpired = () => {
    if (options.tokenProvider) session.refresh().catch(() => undefined);
  };

  async function mount(element: HTMLElement, embedOptions: EmbedOptions, kind: 'story' | 'iframe'): Promise<EmbedHandle> {
    if (destroyed) throw new Error('This Insight instance was destroyed');
    if (kind === 'story') await loadComponents(options.components ?? componentsUrl(server));
    const token = await session.current();
    if (destroyed) throw new Error('This Insight instance was destroyed');
    const context = { server, token, onTokenExpired };
    const embed = kind === 'story' ? mountStory(element, embedOptions, context) : mountIframe(element, embedOptions, context);
    embeds.add(embed);
    const destroy = embed.destroy;
    return Object.assign(Object.create(embed) as MountedEmbed, {
      destroy() {
        embeds.delete(embed);
        destroy.call(embed);
      },
    });
  }

  return {
    client,
    embedStory: (element, embedOptions) => mount(element, embedOptions, 'story'),
    embedIframe: (element, embedOptions) => mount(element, embedOptions, 'iframe'),
    ask: (question, askOptions) => client.ask(question, askOptions),
    cardData: (cardId, filters, signal) => client.cardData(cardId, filters, signal),
    setToken: (token) => session.setToken(token),
    on: (type, listener) => events.on(type, listener),
    destroy() {
      destroyed = true;
      session.destroy();
      for (const embed of [...embeds]) embed.destroy();
      embeds.clear();
      events.clear();
    },
  };
}
