import { InsightApiError } from '../../sdk/client.ts';
import type { InsightErrorDetail } from './events.ts';

/** True for the rejection of an aborted fetch (a stale request, not a failure to show). */
export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException ? error.name === 'AbortError' : (error as { name?: unknown } | null)?.name === 'AbortError';
}

/** The code and message to show and to put in `insight-error` for any thrown value. */
export function errorDetail(error: unknown): InsightErrorDetail {
  if (error instanceof InsightApiError) return { code: error.code, message: error.message };
  if (error instanceof TypeError) return { code: 'ERR_NETWORK', message: 'The analytics server could not be reached' };
  if (error instanceof Error) return { code: (error as { code?: string }).code ?? 'ERR_CLIENT', message: error.message };
  return { code: 'ERR_CLIENT', message: String(error) };
}
