/**
 * Browser client of the embed API. The components talk to the server only
 * through this; host apps can use it directly for custom UIs.
 */
import type { AskRequest, AskResponse, AskSuggestionsResponse, CardData, FilterValues, FilterValuesResponse, Problem, StoryView } from './protocol.ts';

export interface InsightClientOptions {
  /** Base URL of the InsightEngine server, e.g. `https://analytics.example.com`. */
  server: string;
  /** A signed embed token. */
  token?: string;
  /** Called for a fresh token before the current one expires or after it was refused as expired. */
  tokenProvider?: () => Promise<string>;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** An error answered by the server, with its stable `code` (e.g. `ERR_TOKEN_EXPIRED`). */
export class InsightApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly problem: Problem | undefined;

  constructor(status: number, code: string, message: string, problem?: Problem) {
    super(message);
    this.name = 'InsightApiError';
    this.status = status;
    this.code = code;
    this.problem = problem;
  }
}

/** Seconds-since-epoch `exp` of a JWT, without verifying it (the server verifies). */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long to wait before refreshing a token: at 80% of its remaining life,
 * at least 60 s before expiry, never negative. Pure, so it is tested without clocks.
 */
export function refreshDelayMs(expSeconds: number, nowMs: number): number {
  const remaining = expSeconds * 1000 - nowMs;
  return Math.max(0, Math.min(remaining * 0.8, remaining - 60_000));
}

export class InsightClient {
  readonly server: string;
  private token: string | undefined;
  private readonly tokenProvider: (() => Promise<string>) | undefined;
  private readonly fetchImpl: typeof fetch;
  private pendingToken: Promise<string> | undefined;

  constructor(options: InsightClientOptions) {
    if (!options.token && !options.tokenProvider) throw new TypeError('createInsightClient needs a token or a tokenProvider');
    this.server = options.server.replace(/\/+$/, '');
    this.token = options.token;
    this.tokenProvider = options.tokenProvider;
    this.fetchImpl = options.fetch ?? ((...args) => globalThis.fetch(...args));
  }

  /** The current token's expiry in seconds since the epoch. */
  get expiresAt(): number | undefined {
    return this.token ? tokenExpiry(this.token) : undefined;
  }

  setToken(token: string): void {
    this.token = token;
  }

  /** Fetches a fresh token from the tokenProvider (concurrent callers share one call). */
  async refreshToken(): Promise<string> {
    if (!this.tokenProvider) throw new InsightApiError(401, 'ERR_TOKEN_EXPIRED', 'The token expired and no tokenProvider is set');
    this.pendingToken ??= this.tokenProvider().finally(() => (this.pendingToken = undefined));
    this.token = await this.pendingToken;
    return this.token;
  }

  story(signal?: AbortSignal): Promise<StoryView> {
    return this.request<StoryView>('GET', '/api/embed/story', undefined, signal);
  }

  cardData(cardId: string, filters: FilterValues = {}, signal?: AbortSignal): Promise<CardData> {
    return this.request<CardData>('POST', `/api/embed/cards/${encodeURIComponent(cardId)}/data`, { filters }, signal);
  }

  filterValues(filterId: string, search = '', signal?: AbortSignal): Promise<FilterValuesResponse> {
    const query = search ? `?search=${encodeURIComponent(search)}` : '';
    return this.request<FilterValuesResponse>('GET', `/api/embed/filters/${encodeURIComponent(filterId)}/values${query}`, undefined, signal);
  }

  /**
   * Asks a question in plain language (needs the token permission `ask`). The
   * answer is either rows with the SQL that produced them, or a clarification.
   * @example
   * const answer = await insight.ask('revenue by region');
   * if (answer.status === 'clarify') console.log(answer.clarification?.suggestions);
   */
  ask(question: string, options: { dataset?: string; signal?: AbortSignal } = {}): Promise<AskResponse> {
    const body: AskRequest = { question, ...(options.dataset ? { dataset: options.dataset } : {}) };
    return this.request<AskResponse>('POST', '/api/embed/ask', body, options.signal);
  }

  /** Example questions the token's datasets can answer. */
  askSuggestions(signal?: AbortSignal): Promise<AskSuggestionsResponse> {
    return this.request<AskSuggestionsResponse>('GET', '/api/embed/ask/suggestions', undefined, signal);
  }

  private async request<T>(method: string, path: string, body: unknown, signal: AbortSignal | undefined, retried = false): Promise<T> {
    const token = this.token ?? (await this.refreshToken());
    const response = await this.fetchImpl(this.server + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
    if (response.ok) return (await response.json()) as T;
    let problem: Problem | undefined;
    try {
      problem = (await response.json()) as Problem;
    } catch {
      problem = undefined;
    }
    const code = problem?.code ?? 'ERR_HTTP';
    if (!retried && code === 'ERR_TOKEN_EXPIRED' && this.tokenProvider) {
      await this.refreshToken();
      return this.request<T>(method, path, body, signal, true);
    }
    throw new InsightApiError(response.status, code, problem?.detail ?? problem?.title ?? response.statusText, problem);
  }
}

/**
 * @example
 * const insight = createInsightClient({ server: 'https://analytics.example.com', tokenProvider: () => fetch('/token').then((r) => r.text()) });
 * const story = await insight.story();
 */
export function createInsightClient(options: InsightClientOptions): InsightClient {
  return new InsightClient(options);
}
