/**
 * When a failed card tries again by itself: only for failures that time can
 * heal (the server or its database briefly down, the network gone), after
 * 2 s, 4 s, 8 s … capped at a minute, each delay jittered so the cards of many
 * viewers do not come back in one wave.
 */
import { InsightApiError } from '../../sdk/client.ts';
import { isAbortError } from './errors.ts';

export const RETRY_BASE_MS = 2_000;
export const RETRY_CAP_MS = 60_000;

/**
 * Delay before probe number `attempt` (0 for the first): `2 s × 2^attempt`,
 * capped at 60 s, then scaled by a factor in [0.75, 1.25) from `random()`.
 * @example retryDelayMs(0, () => 0.5) // 2000
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, Math.min(attempt, 16)));
  return Math.round(base * (0.75 + random() * 0.5));
}

/**
 * A failure worth trying again without the user: a network error (fetch's
 * TypeError, `ERR_NETWORK`), any 5xx answer (503 `ERR_DATABASE_UNAVAILABLE`
 * among them) or a 408/429. A 4xx such as `ERR_FORBIDDEN` or an expired token
 * stays failed until something changes (the Retry button still tries).
 */
export function isRetryable(error: unknown): boolean {
  if (isAbortError(error)) return false;
  if (error instanceof InsightApiError) return error.status >= 500 || error.status === 408 || error.status === 429 || error.code === 'ERR_NETWORK';
  return error instanceof TypeError;
}
