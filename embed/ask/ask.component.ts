import { LitElement, html, nothing, type PropertyDeclarations, type PropertyValues, type TemplateResult } from 'lit';
import { Task, TaskStatus } from '@lit/task';
import { createInsightClient, type InsightClient } from '../../sdk/client.ts';
import type { AskResponse, CardData } from '../../sdk/protocol.ts';
import { errorDetail, isAbortError } from '../shared/errors.ts';
import { emit } from '../shared/events.ts';
import { askStyles } from './ask.styles.ts';
import { copyText } from './copy-text.ts';
import { matchQuestions, type QuestionOption } from './match-questions.ts';
import { questionFromChips } from './question-from-chips.ts';

/** The placeholder while suggestions load, and when the server has none. */
const NEUTRAL_PLACEHOLDER = 'Ask a question about this data';

/** Recent questions kept for the suggestion list. */
const HISTORY_SIZE = 20;
/** How long the copy button says "Copied". */
const COPIED_MS = 2_000;

const CHART_PARTS = 'chart, canvas, data-toggle, data-table';
const TABLE_PARTS = 'table, caption, header-cell, sort-button, cell';

class MissingClientError extends Error {
  readonly code = 'ERR_CLIENT';
}

/** An answer's rows in the shape `<insight-chart>` and `<insight-table>` draw. */
function answerData(answer: AskResponse): CardData {
  return {
    columns: answer.columns,
    rows: answer.rows,
    rowCount: answer.rowCount,
    truncated: answer.truncated,
    fromCache: false,
    cacheAgeMs: 0,
    executionMs: answer.executionMs,
  };
}

/** The message of a failed question; a token without `ask` gets words for the viewer rather than for the developer. */
function errorText(error: { code: string; message: string }): string {
  return error.code === 'ERR_FORBIDDEN' ? 'Asking questions is not enabled for this view.' : error.message;
}

/** Why the AI engine was not used, in the viewer's words (the server sends a stable reason code). */
export function fallbackText(reason: string): string {
  switch (reason) {
    case 'timeout':
      return 'The AI engine took too long, so the offline engine answered.';
    case 'model_error':
      return 'The AI engine is unavailable, so the offline engine answered.';
    case 'invalid_reply':
    case 'no_sql':
      return 'The AI engine gave no usable query, so the offline engine answered.';
    case 'sql_refused':
      return 'The AI engine wrote a query that is not allowed, so the offline engine answered.';
    case 'sql_failed':
      return 'The AI engine wrote a query that failed, so the offline engine answered.';
    default:
      return `The offline engine answered (${reason}).`;
  }
}

/**
 * @summary A question box for plain-language questions about the token's
 * datasets: the answer shows as a chart or a table, with the SQL that ran,
 * what was understood (removable chips) and which engine answered.
 *
 * Needs the token permission `ask`. Works inside `<insight-story>` (pass its
 * `client`) or alone with `server` and `token`.
 *
 * @example
 * <insight-ask server="https://analytics.example.com" token="eyJ..."></insight-ask>
 *
 * @event insight-ask - A question was answered or needs clarifying. Detail: `{ question, status, engine, rowCount }`.
 * @event insight-error - The question could not be answered. Detail: `{ code, message }` (e.g. `ERR_FORBIDDEN` without `ask`).
 * @event insight-render - The answer's chart finished painting (from `<insight-chart>`). Detail: `{ cardId: '' }`.
 *
 * @csspart base - Everything inside the host.
 * @csspart form - The question form.
 * @csspart label - The label of the question box.
 * @csspart input - The question box.
 * @csspart submit-button - The "Ask" button.
 * @csspart cancel-button - The "Cancel" button shown while asking.
 * @csspart listbox - The list of suggested and recent questions.
 * @csspart option - Each suggested question (`option-active` on the highlighted one).
 * @csspart option-active - The highlighted suggestion.
 * @csspart error - The message shown when a question fails.
 * @csspart answer - The answer area.
 * @csspart explanation - The one-line explanation of the answer.
 * @csspart chips - The list of what was understood.
 * @csspart chip - Each understood part of the question.
 * @csspart chip-remove - The button removing a chip (asks again without those words).
 * @csspart engine-badge - "offline" or "AI".
 * @csspart fallback-reason - Why the AI engine was not used, when so.
 * @csspart clarification - The message of a question that needs clarifying.
 * @csspart unknown-word - Each word that was not understood.
 * @csspart suggestion-button - Each question offered instead.
 * @csspart empty - The message of an answer without rows.
 * @csspart row-count - The number of rows (and whether the result was cut off).
 * @csspart sql - The collapsible SQL (`<details>`).
 * @csspart sql-summary - Its summary line.
 * @csspart sql-code - The SQL text.
 * @csspart copy-button - The button copying the SQL.
 * @csspart chart, canvas, data-toggle, data-table - Re-exported from `<insight-chart>`.
 * @csspart table, caption, header-cell, sort-button, cell - Re-exported from `<insight-table>`.
 *
 * @cssproperty --insight-font-family - Font family.
 * @cssproperty --insight-color-text - Text colour.
 * @cssproperty --insight-color-text-muted - Secondary text.
 * @cssproperty --insight-color-surface - Background of the box.
 * @cssproperty --insight-color-subtle - Chips, code and hover backgrounds.
 * @cssproperty --insight-color-border - Borders.
 * @cssproperty --insight-color-accent - Ask button, highlighted suggestion, focus rings.
 * @cssproperty --insight-color-accent-text - Text on the accent colour.
 * @cssproperty --insight-color-danger - Error messages.
 * @cssproperty --insight-radius - Corner radius.
 * @cssproperty --insight-spacing - Spacing unit.
 * @cssproperty --insight-chart-palette-1 - Chart series colours 1 to 6.
 */
export class InsightAsk extends LitElement {
  static override styles = askStyles;

  static override properties: PropertyDeclarations = {
    server: {},
    token: {},
    datasetName: { attribute: 'dataset' },
    label: {},
    placeholder: {},
    question: {},
    theme: { reflect: true },
    tokenProvider: { attribute: false },
    client: { attribute: false },
    _ownClient: { state: true },
    _open: { state: true },
    _active: { state: true },
    _history: { state: true },
    _copy: { state: true },
    _announcement: { state: true },
    _followSystem: { state: true },
  };

  /** Base URL of the InsightEngine server (default: this page's origin). Not needed when `client` is set. */
  declare server: string;
  /** Signed embed token with the permission `ask`. Not needed when `client` is set. */
  declare token: string;
  /** Dataset name to ask about (attribute `dataset`); default: the datasets of the token's story. */
  declare datasetName: string;
  /** Visible label of the question box. */
  declare label: string;
  /**
   * Example shown in the empty question box. Default: the first question the
   * server suggests for the datasets the token can ask about (fetched once per
   * token), or "Ask a question about this data" when it suggests none.
   */
  declare placeholder: string;
  /** The text in the question box. Setting it does not ask. */
  declare question: string;
  /** `light` or `dark`; without it the box follows the surrounding page or story (or `prefers-color-scheme`). */
  declare theme: 'light' | 'dark' | undefined;
  /** Returns a fresh token when the server refuses the current one as expired. */
  declare tokenProvider: (() => Promise<string>) | undefined;
  /** A client to share, e.g. `<insight-story>`'s `client`; wins over `server`/`token`. */
  declare client: InsightClient | null;
  declare private _ownClient: InsightClient | null;
  declare private _open: boolean;
  declare private _active: number;
  declare private _history: string[];
  declare private _copy: 'idle' | 'copied' | 'failed';
  declare private _announcement: string;
  declare private _followSystem: boolean;

  /** The answer on screen: kept while the next question runs and after a cancel. */
  #shown: AskResponse | null = null;
  #copyTimer: ReturnType<typeof setTimeout> | undefined;
  #focusInput = false;
  #askId = 0;
  /** Set while the box is focused in code, so the suggestion list only opens for the viewer's own focus. */
  #focusingInCode = false;

  readonly #suggestions = new Task(this, {
    args: () => [this.#client()] as const,
    task: async ([client], { signal }): Promise<string[]> => (client ? (await client.askSuggestions(signal)).suggestions : []),
    // Suggestions are a convenience: without them (or without `ask`) the box still works and asking reports the error.
  });

  readonly #answer = new Task<[InsightClient | null, string, string], AskResponse>(this, {
    autoRun: false,
    task: async ([client, question, dataset], { signal }) => {
      if (!client) throw new MissingClientError('Set a token, a tokenProvider or a client to ask questions');
      return client.ask(question, { ...(dataset ? { dataset } : {}), signal });
    },
    onComplete: (answer) => {
      this.#shown = answer;
      this._announcement = this.#describe(answer);
      // After the render that shows it, so listeners find the answer in the DOM.
      void Promise.resolve()
        .then(() => this.updateComplete)
        .then(() => {
          if (this.#shown !== answer) return;
          emit(this, 'insight-ask', { question: answer.question, status: answer.status, engine: answer.engine, rowCount: answer.status === 'answered' ? answer.rowCount : 0 });
        });
    },
    onError: (error) => {
      if (isAbortError(error)) return;
      this.#shown = null;
      const detail = errorDetail(error);
      this._announcement = '';
      emit(this, 'insight-error', detail);
    },
  });

  constructor() {
    super();
    this.server = '';
    this.token = '';
    this.datasetName = '';
    this.label = 'Ask a question about your data';
    this.placeholder = '';
    this.question = '';
    this.theme = undefined;
    this.tokenProvider = undefined;
    this.client = null;
    this._ownClient = null;
    this._open = false;
    this._active = -1;
    this._history = [];
    this._copy = 'idle';
    this._announcement = '';
    this._followSystem = false;
  }

  /** The answer shown, or null. */
  get answer(): AskResponse | null {
    return this.#shown;
  }

  /** Whether a question is being answered. */
  get busy(): boolean {
    return this.#answer.status === TaskStatus.PENDING;
  }

  /**
   * Asks `question` (default: the text in the box) and shows the answer. Resolves
   * with the answer, or null when it failed (reported by `insight-error` and
   * the alert) or was cancelled.
   * @example await document.querySelector('insight-ask').ask('orders by month');
   */
  async ask(question: string = this.question): Promise<AskResponse | null> {
    const text = question.trim().replace(/\s+/g, ' ');
    if (!text) return null;
    this.question = text;
    this._open = false;
    this._active = -1;
    this._copy = 'idle';
    this._announcement = 'Asking…';
    this._history = [text, ...this._history.filter((q) => q.toLowerCase() !== text.toLowerCase())].slice(0, HISTORY_SIZE);
    const id = ++this.#askId;
    await this.#answer.run([this.#client(), text, this.datasetName]);
    // A newer question may have replaced this one meanwhile (and aborted it).
    return id === this.#askId && this.#answer.status === TaskStatus.COMPLETE ? (this.#answer.value ?? null) : null;
  }

  /** Stops the question being answered (its request is aborted); the previous answer stays. */
  cancel(): void {
    if (!this.busy) return;
    this.#answer.abort();
    this._announcement = 'Question cancelled.';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Inside a story or a page that sets a colour scheme the box inherits it; on a plain page it follows the system.
    const root = this.getRootNode();
    const parent = this.parentElement ?? (root instanceof ShadowRoot ? root.host : null);
    this._followSystem = !parent || getComputedStyle(parent).colorScheme === 'normal';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#answer.abort();
    clearTimeout(this.#copyTimer);
    this.#copyTimer = undefined;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('server') || changed.has('token') || changed.has('tokenProvider')) {
      this._ownClient =
        this.token || this.tokenProvider
          ? createInsightClient({
              server: this.server || globalThis.location?.origin || '',
              ...(this.token ? { token: this.token } : {}),
              ...(this.tokenProvider ? { tokenProvider: this.tokenProvider } : {}),
            })
          : null;
    }
  }

  protected override updated(changed: PropertyValues): void {
    if (this.#focusInput) {
      this.#focusInput = false;
      this.#focusingInCode = true;
      this.renderRoot.querySelector<HTMLInputElement>('input')?.focus();
      this.#focusingInCode = false;
    }
    if (changed.has('_active')) this.renderRoot.querySelector('[part~="option-active"]')?.scrollIntoView({ block: 'nearest' });
  }

  #client(): InsightClient | null {
    return this.client ?? this._ownClient;
  }

  #placeholder(): string {
    if (this.placeholder) return this.placeholder;
    const first = this.#suggestions.value?.[0];
    return first ? `e.g. ${first}` : NEUTRAL_PLACEHOLDER;
  }

  #describe(answer: AskResponse): string {
    if (answer.status === 'clarify') return answer.clarification?.message ?? 'The question needs clarifying.';
    const rows = answer.rowCount === 1 ? '1 row' : `${answer.rowCount} rows`;
    return `${answer.explanation} ${rows}.`.trim();
  }

  #options(): QuestionOption[] {
    return matchQuestions(this.question, this._history, this.#suggestions.value ?? []);
  }

  #askAgain(question: string): void {
    this.#focusInput = true;
    void this.ask(question);
  }

  #onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    if (this.question.trim()) void this.ask();
  }

  #onInput(event: InputEvent): void {
    this.question = (event.target as HTMLInputElement).value;
    this._open = true;
    this._active = -1;
  }

  #onKeydown(event: KeyboardEvent, options: QuestionOption[]): void {
    const count = options.length;
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowUp': {
        if (count === 0) return;
        event.preventDefault();
        const down = event.key === 'ArrowDown';
        if (!this._open || this._active < 0) this._active = down ? 0 : count - 1;
        else this._active = (this._active + (down ? 1 : -1) + count) % count;
        this._open = true;
        return;
      }
      case 'Enter': {
        if (event.isComposing) return;
        const option = this._open ? options[this._active] : undefined;
        if (!option) return; // the form submits what is typed
        event.preventDefault();
        void this.ask(option.text);
        return;
      }
      case 'Escape':
        if (!this.question && !this._open) return;
        event.preventDefault();
        this.question = '';
        this._open = false;
        this._active = -1;
        return;
    }
  }

  async #copySql(sql: string): Promise<void> {
    clearTimeout(this.#copyTimer);
    try {
      await copyText(sql, this.renderRoot as ShadowRoot);
      this._copy = 'copied';
      this._announcement = 'SQL copied to the clipboard.';
    } catch {
      this._copy = 'failed';
      this._announcement = 'The SQL could not be copied; select it to copy it by hand.';
    }
    this.#copyTimer = setTimeout(() => {
      this.#copyTimer = undefined;
      this._copy = 'idle';
    }, COPIED_MS);
  }

  #renderListbox(options: QuestionOption[]): TemplateResult {
    const open = this._open && options.length > 0;
    return html`<ul part="listbox" id="suggestions" class="listbox" role="listbox" aria-label="Suggested questions" ?hidden=${!open}>
      ${open
        ? options.map((option, index) => {
            const active = index === this._active;
            return html`<li
              id=${`suggestion-${index}`}
              part=${active ? 'option option-active' : 'option'}
              class="option"
              role="option"
              aria-selected=${active ? 'true' : 'false'}
              @mousedown=${(e: MouseEvent) => e.preventDefault()}
              @click=${() => void this.ask(option.text)}
            >
              <span class="option-text">${option.text}</span>
              ${option.source === 'recent' ? html`<span class="option-source">Recent</span>` : nothing}
            </li>`;
          })
        : nothing}
    </ul>`;
  }

  #renderResult(answer: AskResponse): TemplateResult {
    if (answer.rows.length === 0) return html`<p part="empty" class="empty">No rows match this question.</p>`;
    const data = answerData(answer);
    return answer.visualization
      ? html`<insight-chart exportparts=${CHART_PARTS} .label=${answer.question} .visualization=${answer.visualization} .data=${data}></insight-chart>`
      : html`<insight-table exportparts=${TABLE_PARTS} hide-caption .label=${answer.question} .data=${data}></insight-table>`;
  }

  #renderClarification(answer: AskResponse): TemplateResult {
    const clarification = answer.clarification ?? { message: 'The question needs clarifying.', unknownWords: [], suggestions: [] };
    return html`<div part="clarification" class="clarification">
      <p class="clarify-message">${clarification.message}</p>
      ${clarification.unknownWords.length > 0
        ? html`<p class="unknown">
            Not understood:
            ${clarification.unknownWords.map((word, i) => html`${i > 0 ? ', ' : ''}<mark part="unknown-word">${word}</mark>`)}
          </p>`
        : nothing}
      ${clarification.suggestions.length > 0
        ? html`<div class="did-you-mean" role="group" aria-labelledby="did-you-mean">
            <span id="did-you-mean" class="did-you-mean-label">Did you mean</span>
            <ul class="suggestion-list">
              ${clarification.suggestions.map(
                (suggestion) =>
                  html`<li>
                    <button type="button" part="suggestion-button" class="suggestion" @click=${() => this.#askAgain(suggestion)}>${suggestion}</button>
                  </li>`,
              )}
            </ul>
          </div>`
        : nothing}
    </div>`;
  }

  #renderAnswer(answer: AskResponse, busy: boolean): TemplateResult {
    const removable = answer.understood.length > 1 && !busy;
    const copyText = this._copy === 'copied' ? 'Copied' : this._copy === 'failed' ? 'Copy failed' : 'Copy SQL';
    return html`<section part="answer" class="answer ${busy ? 'stale' : ''}" aria-label="Answer">
      <div class="meta">
        ${answer.explanation && answer.status === 'answered' ? html`<p part="explanation" class="explanation">${answer.explanation}</p>` : nothing}
        <span
          part="engine-badge"
          class="badge engine-${answer.engine}"
          title=${answer.engine === 'llm' ? 'Answered by the AI engine' : 'Answered by the offline engine'}
          >${answer.engine === 'llm' ? 'AI' : 'offline'}</span
        >
        ${answer.fallbackReason
          ? html`<span part="fallback-reason" class="fallback" data-reason=${answer.fallbackReason}>${fallbackText(answer.fallbackReason)}</span>`
          : nothing}
      </div>
      ${answer.understood.length > 0
        ? html`<ul part="chips" class="chips" aria-label="Understood">
            ${answer.understood.map(
              (chip, index) =>
                html`<li part="chip" class="chip kind-${chip.kind}" title=${`From “${chip.text}”`}>
                  <span class="chip-label">${chip.label}</span>
                  ${removable
                    ? html`<button
                        type="button"
                        part="chip-remove"
                        class="chip-remove"
                        aria-label=${`Remove ${chip.label} and ask again`}
                        @click=${() => this.#askAgain(questionFromChips(answer.understood, index))}
                      >
                        <span aria-hidden="true">×</span>
                      </button>`
                    : nothing}
                </li>`,
            )}
          </ul>`
        : nothing}
      ${answer.status === 'clarify'
        ? this.#renderClarification(answer)
        : html`<div class="result">${this.#renderResult(answer)}</div>
            <p part="row-count" class="row-count">
              ${answer.rowCount === 1 ? '1 row' : `${answer.rowCount} rows`}${answer.truncated ? ' (only the first rows are shown)' : ''}
            </p>`}
      ${answer.sql
        ? html`<details part="sql" class="sql">
            <summary part="sql-summary">SQL</summary>
            <pre part="sql-code" class="code"><code>${answer.sql}</code></pre>
            <button type="button" part="copy-button" class="copy ${this._copy}" @click=${() => void this.#copySql(answer.sql)}>
              ${this._copy === 'copied' ? html`<span aria-hidden="true">✓ </span>` : nothing}${copyText}
            </button>
          </details>`
        : nothing}
    </section>`;
  }

  override render() {
    const status = this.#answer.status;
    const busy = status === TaskStatus.PENDING;
    const failed = status === TaskStatus.ERROR && !isAbortError(this.#answer.error);
    const options = this.#options();
    const open = this._open && options.length > 0;
    const active = open && this._active >= 0 && this._active < options.length ? `suggestion-${this._active}` : undefined;
    const scheme = this.theme ? '' : this._followSystem ? 'system' : '';
    const error = failed ? errorDetail(this.#answer.error) : undefined;
    const answer = failed ? null : this.#shown;
    return html`
      <div part="base" class="ask ${scheme}" aria-busy=${busy ? 'true' : 'false'}>
        <form part="form" class="form" role="search" aria-label="Ask a question" @submit=${this.#onSubmit}>
          <label part="label" class="label" for="question">${this.label}</label>
          <div class="row">
            <div class="combo">
              <input
                part="input"
                id="question"
                type="text"
                name="question"
                autocomplete="off"
                enterkeyhint="go"
                spellcheck="false"
                role="combobox"
                aria-autocomplete="list"
                aria-controls="suggestions"
                aria-expanded=${open ? 'true' : 'false'}
                aria-activedescendant=${active ?? nothing}
                placeholder=${this.#placeholder()}
                .value=${this.question}
                @input=${this.#onInput}
                @keydown=${(e: KeyboardEvent) => this.#onKeydown(e, options)}
                @focus=${() => (this._open = !this.#focusingInCode)}
                @blur=${() => (this._open = false)}
              />
              ${this.#renderListbox(options)}
            </div>
            <button part="submit-button" class="submit" type="submit" ?disabled=${busy}>Ask</button>
            ${busy ? html`<button part="cancel-button" class="cancel" type="button" @click=${() => this.cancel()}>Cancel</button>` : nothing}
          </div>
        </form>
        <div class="sr-only" role="status" aria-live="polite">${this._announcement}</div>
        ${busy && !answer ? html`<div class="pending" aria-hidden="true"><span class="skeleton line"></span><span class="skeleton block"></span></div>` : nothing}
        ${busy ? html`<p class="asking">Asking…</p>` : nothing}
        ${status === TaskStatus.ERROR && !failed ? html`<p class="cancelled">Question cancelled.</p>` : nothing}
        ${error
          ? html`<div part="error" class="error" role="alert">
              <strong>This question could not be answered</strong><span>${errorText(error)}</span><code>${error.code}</code>
            </div>`
          : nothing}
        ${answer ? this.#renderAnswer(answer, busy) : nothing}
      </div>
    `;
  }
}
