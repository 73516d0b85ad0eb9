/**
 * The limits of an execution end up spliced into SQL text (`SET LOCAL
 * statement_timeout = 300`, `LIMIT 1001`, `sql_select_limit`) because those
 * statements take no bind parameters. Checking them here, once, is what makes
 * that splicing safe for every connector.
 */
import { InsightError } from '../errors/insight-error.ts';
import type { ExecuteOptions } from './connector.ts';

/** PostgreSQL's statement_timeout is an int4 of milliseconds. */
const MAX_TIMEOUT_MS = 2_147_483_647;

export interface CheckedExecuteOptions {
  timeoutMs: number;
  maxRows: number;
}

/**
 * Returns the limits as safe integers or throws ERR_VALIDATION. A zero or
 * missing timeout is refused rather than read as "no timeout": every statement
 * that reaches a customer database runs under one.
 *
 * @example
 * const { timeoutMs, maxRows } = checkExecuteOptions({ timeoutMs: 5000, maxRows: 1000 });
 */
export function checkExecuteOptions(options: ExecuteOptions): CheckedExecuteOptions {
  const { timeoutMs, maxRows } = options;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new InsightError('ERR_VALIDATION', `timeoutMs must be an integer between 1 and ${MAX_TIMEOUT_MS}`);
  }
  // One row past the cap is fetched to detect truncation, so keep cap + 1 exact.
  if (!Number.isInteger(maxRows) || maxRows < 0 || maxRows >= Number.MAX_SAFE_INTEGER) {
    throw new InsightError('ERR_VALIDATION', 'maxRows must be a non-negative integer');
  }
  return { timeoutMs, maxRows };
}
