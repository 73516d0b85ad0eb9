/**
 * The language model behind the `openai` client: any OpenAI-compatible server
 * (OPENAI_BASE_URL), used only when OPENAI_API_KEY is set. Every call is
 * time-boxed; a slow or failing model is reported as such so the caller can
 * fall back to the offline engine instead of keeping a viewer waiting.
 */
import OpenAI from 'openai';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export type LlmFailure = 'timeout' | 'model_error';

/** A model call that did not produce text: why, without the provider's wording (which may echo the prompt). */
export class LlmCallError extends Error {
  readonly reason: LlmFailure;
  constructor(reason: LlmFailure, options?: { cause?: unknown }) {
    super(reason === 'timeout' ? 'The model did not answer in time' : 'The model could not be reached or refused the request', options);
    this.name = 'LlmCallError';
    this.reason = reason;
  }
}

export interface LlmCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  model?: string;
}

export interface LlmClient {
  readonly model: string;
  readonly timeoutMs: number;
  /**
   * One chat completion asking for a JSON object; resolves to the reply text.
   * Throws LlmCallError. `model` and `timeoutMs` override the server's (an organisation's own settings).
   */
  completeJson(messages: readonly ChatMessage[], options?: LlmCallOptions): Promise<string>;
}

export interface LlmSettings {
  apiKey: string | undefined;
  baseUrl: string | undefined;
  model: string;
  timeoutMs: number;
}

/**
 * @example
 * const llm = createLlmClient(config.openai); // null without OPENAI_API_KEY
 * const text = await llm?.completeJson([{ role: 'user', content: 'Reply {"ok":true}' }]);
 */
export function createLlmClient(settings: LlmSettings): LlmClient | null {
  if (!settings.apiKey) return null;
  // Retries would multiply the time a viewer waits; the caller's repair loop and fallback decide instead.
  const client = new OpenAI({ apiKey: settings.apiKey, ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}), maxRetries: 0, timeout: settings.timeoutMs });
  return {
    model: settings.model,
    timeoutMs: settings.timeoutMs,
    async completeJson(messages, options = {}) {
      const timeoutMs = Math.max(1, options.timeoutMs ?? settings.timeoutMs);
      const timer = AbortSignal.timeout(timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timer]) : timer;
      try {
        const completion = await client.chat.completions.create(
          { model: options.model ?? settings.model, messages: messages.map((m) => ({ role: m.role, content: m.content })), temperature: 0, response_format: { type: 'json_object' } },
          { signal, timeout: timeoutMs, maxRetries: 0 },
        );
        const text = completion.choices[0]?.message?.content;
        if (typeof text !== 'string') throw new LlmCallError('model_error');
        return text;
      } catch (error) {
        if (error instanceof LlmCallError) throw error;
        if (timer.aborted || error instanceof OpenAI.APIConnectionTimeoutError) throw new LlmCallError('timeout', { cause: error });
        throw new LlmCallError('model_error', { cause: error });
      }
    },
  };
}

/**
 * The JSON object in a model reply: tolerates a Markdown code fence or text
 * around it, as some models add them even when asked for JSON only.
 */
export function parseJsonReply(text: string): Record<string, unknown> | null {
  const attempts = [text, text.replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, ''), text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)];
  for (const candidate of attempts) {
    try {
      const value: unknown = JSON.parse(candidate);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // try the next form
    }
  }
  return null;
}
