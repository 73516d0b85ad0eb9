/**
 * The model writes SQL, the server decides whether it may run: each reply is
 * checked (and run) by the caller's `run`; a refusal by the guard or an
 * execution error goes back to the model for at most `maxRepairs` corrections.
 * Anything the model cannot fix ends in a failure with a reason, never in
 * unchecked SQL.
 */
import { isInsightError } from '../errors/insight-error.ts';
import { plainExplanation } from './plain-explanation.ts';
import { LlmCallError, parseJsonReply, type ChatMessage, type LlmCallOptions, type LlmClient } from './llm-client.ts';
import { repairMessage } from './sql-prompt.ts';

/** Why the model's SQL was not used; AskResponse.fallbackReason carries it. */
export type FallbackReason = 'timeout' | 'model_error' | 'invalid_reply' | 'no_sql' | 'sql_refused' | 'sql_failed';

export type SqlWriteResult<T> =
  | { status: 'ok'; sql: string; explanation: string; value: T; attempts: number }
  | { status: 'failed'; reason: FallbackReason; attempts: number; explanation?: string };

/** Refusals and execution errors the model can plausibly correct. */
const REFUSALS = new Set(['ERR_SQL_PARSE', 'ERR_SQL_NOT_ALLOWED', 'ERR_SQL_FUNCTION_NOT_ALLOWED', 'ERR_SQL_TABLE_NOT_ALLOWED', 'ERR_VALIDATION']);
const FAILURES = new Set(['ERR_COLUMN_UNKNOWN', 'ERR_QUERY_FAILED', 'ERR_QUERY_INVALID', 'ERR_QUERY_TIMEOUT']);

export const DEFAULT_MAX_REPAIRS = 2;

/**
 * @example
 * const outcome = await writeSql({ llm, messages: buildSqlPrompt(...), run: (sql) => engine.runSql({ ...request, sql }) });
 * if (outcome.status === 'failed') return offline(outcome.reason);
 */
export async function writeSql<T>(input: {
  llm: LlmClient;
  messages: readonly ChatMessage[];
  run: (sql: string) => Promise<T>;
  maxRepairs?: number;
  /** Per call: the caller's signal, and an organisation's own model and time box. */
  call?: LlmCallOptions;
  /** When the whole exchange must be over (ms since the epoch): later calls get what is left of it. */
  deadline?: number;
}): Promise<SqlWriteResult<T>> {
  const messages = [...input.messages];
  const maxAttempts = 1 + (input.maxRepairs ?? DEFAULT_MAX_REPAIRS);
  let reason: FallbackReason = 'invalid_reply';
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let text: string;
    const perCall = input.call?.timeoutMs ?? input.llm.timeoutMs;
    const left = input.deadline === undefined ? perCall : Math.min(perCall, input.deadline - Date.now());
    if (left <= 0) return { status: 'failed', reason: 'timeout', attempts: attempt - 1 };
    try {
      text = await input.llm.completeJson(messages, { ...input.call, timeoutMs: left });
    } catch (error) {
      if (error instanceof LlmCallError) return { status: 'failed', reason: error.reason, attempts: attempt };
      throw error;
    }
    messages.push({ role: 'assistant', content: text.slice(0, 20_000) });
    const reply = parseJsonReply(text);
    const sql = typeof reply?.['sql'] === 'string' ? reply['sql'].trim() : undefined;
    // Shown to viewers verbatim: plain text, bounded.
    const explanation = plainExplanation(reply?.['explanation']);
    if (sql === undefined) {
      reason = 'invalid_reply';
      messages.push(repairMessage('ERR_REPLY', 'the reply was not the JSON object asked for'));
      continue;
    }
    if (sql === '') return { status: 'failed', reason: 'no_sql', attempts: attempt, ...(explanation ? { explanation } : {}) };
    try {
      return { status: 'ok', sql, explanation, value: await input.run(sql), attempts: attempt };
    } catch (error) {
      if (!isInsightError(error) || !(REFUSALS.has(error.code) || FAILURES.has(error.code))) throw error;
      reason = REFUSALS.has(error.code) ? 'sql_refused' : 'sql_failed';
      messages.push(repairMessage(error.code, error.message));
    }
  }
  return { status: 'failed', reason, attempts: maxAttempts };
}
