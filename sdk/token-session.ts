/**
 * The SDK's token: kept, refreshed from the host's `tokenProvider` shortly
 * before it expires (refreshDelayMs), retried with backoff when the provider
 * fails, and handed to every embed so they never see an expired token.
 */
import { refreshDelayMs, tokenExpiry } from './client.ts';

/** First retry after a failed refresh, doubled on each further failure. */
export const RETRY_BASE_MS = 1_000;
/** Retries never wait longer than this. */
export const RETRY_MAX_MS = 30_000;

/**
 * Wait before retry number `attempt` (1 = first retry): 1 s, 2 s, 4 s … capped
 * at 30 s. Pure, like refreshDelayMs.
 */
export function retryDelayMs(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
}

export interface TokenSessionOptions {
  token?: string;
  tokenProvider?: () => Promise<string>;
  /** Called with each new token (after a refresh or `setToken`). */
  onToken?: (token: string) => void;
  /** Called when a refresh failed; `retryInMs` is when the next attempt runs. */
  onRefreshError?: (error: unknown, attempt: number, retryInMs: number) => void;
}

export class TokenSession {
  #token: string | undefined;
  readonly #provider: (() => Promise<string>) | undefined;
  readonly #onToken: ((token: string) => void) | undefined;
  readonly #onRefreshError: TokenSessionOptions['onRefreshError'];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pending: Promise<string> | undefined;
  #failures = 0;
  #destroyed = false;

  constructor(options: TokenSessionOptions) {
    if (!options.token && !options.tokenProvider) throw new TypeError('createInsight needs a token or a tokenProvider');
    this.#token = options.token;
    this.#provider = options.tokenProvider;
    this.#onToken = options.onToken;
    this.#onRefreshError = options.onRefreshError;
    this.#schedule();
  }

  get token(): string | undefined {
    return this.#token;
  }

  /** Whether a refresh or retry is scheduled. */
  get scheduled(): boolean {
    return this.#timer !== undefined;
  }

  /** The current token, asking the provider first when there is none yet. */
  async current(): Promise<string> {
    return this.#token ?? this.refresh();
  }

  /** Sets a token the host obtained itself; refresh is rescheduled from its `exp`. */
  setToken(token: string): void {
    if (this.#destroyed) return;
    this.#token = token;
    this.#failures = 0;
    this.#schedule();
    this.#onToken?.(token);
  }

  /**
   * Asks the provider for a new token now (concurrent callers share one
   * call). On failure the session retries with backoff and the promise rejects.
   */
  refresh(): Promise<string> {
    if (!this.#provider) return Promise.reject(new Error('The token expired and no tokenProvider is set'));
    if (this.#destroyed) return Promise.reject(new Error('The Insight session was destroyed'));
    this.#pending ??= this.#provider().then(
      (token) => {
        this.#pending = undefined;
        if (!this.#destroyed) this.setToken(token);
        return token;
      },
      (error: unknown) => {
        this.#pending = undefined;
        if (!this.#destroyed) {
          this.#failures += 1;
          const wait = retryDelayMs(this.#failures);
          this.#setTimer(wait);
          this.#onRefreshError?.(error, this.#failures, wait);
        }
        throw error;
      },
    );
    return this.#pending;
  }

  destroy(): void {
    this.#destroyed = true;
    this.#clear();
  }

  #schedule(): void {
    this.#clear();
    const exp = this.#token ? tokenExpiry(this.#token) : undefined;
    if (!this.#provider || exp === undefined || this.#destroyed) return;
    this.#setTimer(refreshDelayMs(exp, Date.now()));
  }

  #setTimer(delay: number): void {
    this.#clear();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // The failure is reported through onRefreshError and retried there.
      this.refresh().catch(() => undefined);
    }, delay);
  }

  #clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
