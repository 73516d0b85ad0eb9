import { LitElement, html, nothing, type PropertyDeclarations, type TemplateResult } from 'lit';
import { html as staticHtml, literal } from 'lit/static-html.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { Task, TaskStatus, initialState } from '@lit/task';
import type { InsightClient } from '../../sdk/client.ts';
import type { CardData, EmbedPermission, FilterValues, StoryCard, StoryFilter } from '../../sdk/protocol.ts';
import { downloadName, saveBlob, saveUrl, type CardExporter, type ExportFormat } from '../shared/download.ts';
import { describeFilterValue } from '../shared/drill.ts';
import { errorDetail, isAbortError } from '../shared/errors.ts';
import { emit } from '../shared/events.ts';
import { isRetryable, retryDelayMs } from '../shared/retry.ts';
import type { MetricComparison } from '../metric/metric.component.ts';
import { cardStyles } from './card.styles.ts';
import { renderMarkdown } from './render-markdown.ts';

const HEADINGS = [literal`h1`, literal`h2`, literal`h3`, literal`h4`, literal`h5`, literal`h6`];

/** The filter values that apply to a card, as a stable key: other filters changing does not refetch it. */
export function cardFilters(card: Pick<StoryCard, 'filters'>, filters: FilterValues): FilterValues {
  const out: FilterValues = Object.create(null);
  for (const name of card.filters) if (Object.hasOwn(filters, name)) out[name] = filters[name] ?? null;
  return out;
}

/** Aggregates whose value over no rows is 0: a count of nothing is 0, and so is a sum of nothing. */
const ADDITIVE = new Set(['count', 'count_distinct', 'sum']);

/**
 * The first number of the first row of `rows` (a metric's value, its previous period's value).
 *
 * A filter that matches no rows gives a metric of no rows, which SQL answers
 * unevenly: `count` gives 0 while `sum`, `avg`, `min` and `max` give NULL.
 * Metrics follow one rule instead: a count or a sum of no rows is 0 (no
 * orders, no revenue), an average, minimum or maximum of no rows has no
 * value (`null`: "–", read out as "No value"). The aggregate comes with the
 * column (`aggregate`); a column without one (SQL cards) keeps what SQL said.
 */
function firstNumber(columns: CardData['columns'], rows: unknown[][]): number | null {
  const row = rows[0] ?? [];
  const index = columns.findIndex((c, i) => c.type === 'number' || typeof row[i] === 'number');
  const raw = index >= 0 ? row[index] : undefined;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : null;
  if (value === null && raw == null && ADDITIVE.has(columns[index]?.aggregate ?? '')) return 0;
  return value;
}

/** The figure a metric card shows: the first number of the first row (see `firstNumber` for a metric of no rows). */
export function metricValue(data: CardData): { value: number | null; format: string | undefined } {
  const row = data.rows[0] ?? [];
  const index = data.columns.findIndex((c, i) => c.type === 'number' || typeof row[i] === 'number');
  return { value: firstNumber(data.columns, data.rows), format: data.columns[index]?.format };
}

/** The previous period of a metric card's data, when the server sent one. */
export function metricComparison(data: CardData): MetricComparison | null {
  if (!data.comparison) return null;
  return { value: firstNumber(data.columns, data.comparison.rows), label: data.comparison.label };
}

/** The sparkline values of a metric card's data (`[periodStart, value]` rows), when the server sent them. */
export function metricSeries(data: CardData): number[] | null {
  if (!data.series) return null;
  return data.series.rows.map((r) => Number(r[1])).filter((v) => Number.isFinite(v));
}

/** True when a chart or table card's query matched no rows (it shows the empty state, never empty axes). */
export function isEmptyResult(data: Pick<CardData, 'rows'>): boolean {
  return data.rows.length === 0;
}

/** The filters that narrow a card now, for its empty state: label and value text ("Region", "West"). */
export function activeFilters(card: Pick<StoryCard, 'filters'>, definitions: readonly StoryFilter[], values: FilterValues): Array<{ name: string; label: string; text: string }> {
  const out: Array<{ name: string; label: string; text: string }> = [];
  for (const name of card.filters) {
    const filter = definitions.find((f) => f.name === name);
    // A value the user set, or the filter's default when none is set (what the server applies).
    const value = Object.hasOwn(values, name) ? values[name] : filter?.defaultValue;
    const text = describeFilterValue(value ?? null);
    if (text) out.push({ name, label: filter?.label ?? name, text });
  }
  return out;
}

/** What a mark of a chart is called in the drill hint. */
const MARK_NAMES: Record<string, string> = { bar: 'bar', stacked_bar: 'bar', line: 'point', area: 'point', scatter: 'point', pie: 'slice', donut: 'slice', heatmap: 'cell' };

/**
 * @summary One card of a story: its title and its content (chart, metric,
 * table or text), fetched through the client with the filters that apply to it.
 *
 * @event insight-render - The card's content is painted (for charts, once vega has drawn). Detail: `{ cardId }`.
 * @event insight-error - The card's data could not be loaded. Detail: `{ code, message, cardId }`.
 * @event insight-drill - From the chart or table of a card with a drill target. Detail: `{ cardId, page, filters, datum }`.
 * @event insight-filters-reset - The user chose "Reset filters" in the empty state of a card whose filters matched no rows. Detail: `{ cardId }`. `<insight-story>` answers by setting every filter back to its default.
 *
 * A card whose filters match no rows says so ("No data for these filters",
 * naming them) instead of drawing empty axes. A card that failed to load shows
 * a Retry button; when the failure may heal by itself (network error, 5xx,
 * 503 `ERR_DATABASE_UNAVAILABLE`) it also tries again when the browser comes
 * back online and after 2 s, 4 s, 8 s … (at most a minute apart, jittered)
 * until it loads or leaves the page. Downloads stay disabled until it has data.
 *
 * @csspart card - The card box (an `<article>` named by its title).
 * @csspart card-header - Title and description.
 * @csspart card-title - The title heading.
 * @csspart card-description - The description under the title.
 * @csspart card-body - The content area.
 * @csspart error - The error message of a card that failed.
 * @csspart retry-button - The Retry button of a card that failed.
 * @csspart empty - The "No data for these filters" message of a card whose filters matched no rows.
 * @csspart reset-filters-button - The "Reset filters" button in the empty state.
 * @csspart drill-hint - "Select a bar to open …" on a card that drills down.
 * @csspart menu-button - The button opening the card's download menu.
 * @csspart menu - The download menu.
 * @csspart menu-item - Each entry of the menu.
 * @csspart text - The rendered markdown of a text card.
 * @csspart chart, canvas, data-toggle, data-table - Re-exported from `<insight-chart>`.
 * @csspart metric, metric-label, metric-value, metric-delta, sparkline - Re-exported from `<insight-metric>`.
 * @csspart table, caption, header-cell, sort-button, cell, pager, pager-button - Re-exported from `<insight-table>`.
 *
 * @cssproperty --insight-color-surface - Card background.
 * @cssproperty --insight-color-border - Card border.
 * @cssproperty --insight-radius - Corner radius.
 * @cssproperty --insight-spacing - Padding unit.
 */
export class InsightCard extends LitElement {
  static override styles = cardStyles;

  static override properties: PropertyDeclarations = {
    card: { attribute: false },
    client: { attribute: false },
    filters: { attribute: false },
    headingLevel: { type: Number, attribute: 'heading-level' },
    permissions: { attribute: false },
    exporter: { attribute: false },
    drillTitle: { attribute: false },
    storyFilters: { attribute: false },
    _menuOpen: { state: true },
    _busy: { state: true },
  };

  declare card: StoryCard | null;
  declare client: InsightClient | null;
  /** Story filter values; only those named in `card.filters` are sent. */
  declare filters: FilterValues;
  /** Level of the title heading (default 3, under a story title at 2). */
  declare headingLevel: number;
  /** The token's permissions; `export` adds CSV and XLSX downloads to the menu. */
  declare permissions: readonly EmbedPermission[];
  /** Fetches the card's CSV or XLSX export (set by `<insight-story>`). */
  declare exporter: CardExporter | null;
  /** Title of the page a drill opens, for the hint. */
  declare drillTitle: string;
  /** The story's filter definitions (set by `<insight-story>`), so the empty state can name the filters that apply. */
  declare storyFilters: readonly StoryFilter[];
  declare private _menuOpen: boolean;
  declare private _busy: string;

  #renderedFor: unknown;
  /** Automatic retries since the last success (the backoff step). */
  #retryAttempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  /** Markdown of a text card (`options.markdown`) as sanitised HTML; marked and DOMPurify load with the first one. */
  readonly #markdown = new Task(this, {
    args: () => [this.card?.type === 'text' && typeof this.card.options['markdown'] === 'string' ? this.card.options['markdown'] : null] as const,
    task: async ([markdown]) => (markdown === null ? null : renderMarkdown(markdown)),
  });

  readonly #data = new Task(this, {
    args: () => [this.client, this.card, JSON.stringify(this.card ? cardFilters(this.card, this.filters) : {})] as const,
    task: async ([client, card, filters], { signal }): Promise<CardData | null | typeof initialState> => {
      if (!card) return initialState;
      if (card.type === 'text') return null;
      if (!client) return initialState;
      return client.cardData(card.id, JSON.parse(filters) as FilterValues, signal);
    },
    onComplete: () => {
      this.#retryAttempt = 0;
      this.#clearRetry();
    },
    onError: (error) => {
      if (isAbortError(error)) return;
      emit(this, 'insight-error', { ...errorDetail(error), cardId: this.card?.id ?? '' });
      this.#scheduleRetry(error);
    },
  });

  constructor() {
    super();
    this.card = null;
    this.client = null;
    this.filters = {};
    this.headingLevel = 3;
    this.permissions = [];
    this.exporter = null;
    this.drillTitle = '';
    this.storyFilters = [];
    this._menuOpen = false;
    this._busy = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('online', this.#onOnline);
    // A request aborted when the card left the page is made again when it returns.
    if (this.hasUpdated && isAbortError(this.#data.error)) void this.#data.run();
    // A card that failed before it left goes on probing.
    else if (this.#data.status === TaskStatus.ERROR) this.#scheduleRetry(this.#data.error);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('online', this.#onOnline);
    this.#clearRetry();
    this.#data.abort();
  }

  /** Loads the card's data again now (what the Retry button does); resolves once that request settles. */
  async retry(): Promise<void> {
    this.#clearRetry();
    await this.#data.run().catch(() => undefined);
  }

  #failed(): boolean {
    return this.#data.status === TaskStatus.ERROR && !isAbortError(this.#data.error);
  }

  #clearRetry(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** The next automatic probe of a failure that may heal (not of a 4xx: that needs a new token, filters or permissions). */
  #scheduleRetry(error: unknown): void {
    this.#clearRetry();
    if (!this.isConnected || !isRetryable(error)) return;
    const delay = retryDelayMs(this.#retryAttempt++);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.isConnected && this.#failed()) void this.#data.run();
    }, delay);
  }

  /** The browser is back online: a card that failed on the network tries at once. */
  #onOnline = (): void => {
    if (this.#failed() && isRetryable(this.#data.error)) void this.retry();
  };

  #resetFilters(card: StoryCard): void {
    emit(this, 'insight-filters-reset', { cardId: card.id });
  }

  /** Resolves with the card's data once the current request settles. */
  get dataComplete(): Promise<CardData | null> {
    return this.#data.taskComplete.then((v) => v ?? null);
  }

  protected override updated(): void {
    // Charts report their own paint (after vega draws); other types are painted with this update.
    const card = this.card;
    if (!card || this.#data.status !== TaskStatus.COMPLETE) return;
    // A chart card without rows shows the empty state instead of a chart: painted with this update too.
    const value = this.#data.value;
    if (card.type === 'chart' && !(value && isEmptyResult(value))) return;
    if (card.type === 'text' && this.#markdown.status !== TaskStatus.COMPLETE && this.#markdown.status !== TaskStatus.ERROR) return;
    // What was painted: the data, or for a text card the card and its rendered markdown.
    const painted = card.type === 'text' ? `${card.id}\n${String(this.#markdown.value ?? '')}` : this.#data.value;
    if (this.#renderedFor === painted) return;
    this.#renderedFor = painted;
    const child = this.renderRoot.querySelector<HTMLElement & { updateComplete?: Promise<unknown> }>('insight-metric, insight-table');
    void Promise.resolve(child?.updateComplete).then(() =>
      requestAnimationFrame(() => {
        if (this.#renderedFor === painted && this.isConnected) emit(this, 'insight-render', { cardId: card.id });
      }),
    );
  }

  #heading(text: string): TemplateResult {
    const tag = HEADINGS[Math.min(6, Math.max(1, Math.round(this.headingLevel) || 3)) - 1] ?? literal`h3`;
    return staticHtml`<${tag} id="title" part="card-title" class="title">${text}</${tag}>`;
  }

  #content(card: StoryCard, data: CardData | null): TemplateResult | typeof nothing {
    switch (card.type) {
      case 'text': {
        if (typeof card.options['markdown'] === 'string') {
          const rendered = this.#markdown.value;
          if (this.#markdown.status === TaskStatus.ERROR) return html`<div class="error" role="alert"><strong>This text could not be shown</strong></div>`;
          return typeof rendered === 'string'
            ? html`<div part="text" class="text markdown">${unsafeHTML(rendered)}</div>`
            : html`<div class="skeleton-rows">${[0, 1, 2].map(() => html`<span class="skeleton row"></span>`)}</div>`;
        }
        const text = typeof card.options['text'] === 'string' ? card.options['text'] : (card.description ?? '');
        // Plain text only: paragraphs from blank lines, every character escaped by lit.
        const paragraphs = text.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
        return html`<div class="text">${paragraphs.map((p) => html`<p>${p}</p>`)}</div>`;
      }
      case 'metric': {
        if (!data) return nothing;
        const { value, format } = metricValue(data);
        const cardFormat = typeof card.options['format'] === 'string' ? card.options['format'] : undefined;
        const good = card.options['goodDirection'] === 'down' ? 'down' : 'up';
        return html`<insight-metric
          exportparts="metric, metric-label, metric-value, metric-delta, sparkline"
          .value=${value}
          .format=${cardFormat ?? format}
          .comparison=${metricComparison(data)}
          .series=${metricSeries(data)}
          .goodDirection=${good}
        ></insight-metric>`;
      }
      case 'table': {
        const pageSize = card.options['pageSize'];
        return data
          ? html`<insight-table
              exportparts="table, caption, header-cell, sort-button, cell, pager, pager-button"
              hide-caption
              card-id=${card.id}
              .label=${card.title}
              .data=${data}
              .drill=${card.drill ?? null}
              .pageSize=${typeof pageSize === 'number' && Number.isInteger(pageSize) && pageSize >= 0 ? pageSize : 10}
            ></insight-table>`
          : nothing;
      }
      case 'chart':
        return data && card.visualization
          ? html`<insight-chart
              exportparts="chart, canvas, data-toggle, data-table"
              card-id=${card.id}
              .label=${card.title}
              .visualization=${card.visualization}
              .data=${data}
              .drill=${card.drill ?? null}
            ></insight-chart>`
          : nothing;
    }
  }

  #drillHint(card: StoryCard): TemplateResult | typeof nothing {
    const value = this.#data.value;
    // Nothing to choose on a card that failed or matched no rows.
    if (!card.drill || (card.type !== 'chart' && card.type !== 'table') || this.#failed() || (value && isEmptyResult(value))) return nothing;
    const mark = card.type === 'table' ? 'row' : (MARK_NAMES[card.visualization?.chartType ?? ''] ?? 'mark');
    const target = this.drillTitle ? `open ${this.drillTitle}` : 'drill down';
    return html`<p part="drill-hint" class="drill-hint"><span aria-hidden="true">↳</span> Select a ${mark} to ${target}</p>`;
  }

  /** Download entries for this card: images of a drawn chart, and the rows when the token may export. */
  #menuItems(card: StoryCard): Array<{ key: string; label: string }> {
    const items: Array<{ key: string; label: string }> = [];
    const value = this.#data.value;
    if (card.type === 'chart' && value && !isEmptyResult(value)) items.push({ key: 'png', label: 'Download PNG' }, { key: 'svg', label: 'Download SVG' });
    if (card.type !== 'text' && this.exporter && this.permissions.includes('export')) {
      items.push({ key: 'csv', label: 'Download CSV' }, { key: 'xlsx', label: 'Download XLSX' });
    }
    return items;
  }

  #menuButton(): HTMLButtonElement | null {
    return this.renderRoot.querySelector<HTMLButtonElement>('.menu-button');
  }

  async #toggleMenu(open: boolean, focus: 'first' | 'last' | 'button' | 'none' = 'first'): Promise<void> {
    this._menuOpen = open;
    await this.updateComplete;
    if (open) {
      const items = [...this.renderRoot.querySelectorAll<HTMLElement>('[role="menuitem"]')];
      (focus === 'last' ? items.at(-1) : items[0])?.focus();
    } else if (focus === 'button') {
      this.#menuButton()?.focus();
    }
  }

  #onMenuKeydown(event: KeyboardEvent): void {
    const items = [...this.renderRoot.querySelectorAll<HTMLElement>('[role="menuitem"]')];
    const index = items.indexOf(this.renderRoot.querySelector<HTMLElement>('[role="menuitem"]:focus') ?? (null as never));
    const move = (to: number) => items[(to + items.length) % items.length]?.focus();
    switch (event.key) {
      case 'ArrowDown':
        move(index + 1);
        break;
      case 'ArrowUp':
        move(index - 1);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(items.length - 1);
        break;
      case 'Escape':
        void this.#toggleMenu(false, 'button');
        break;
      case 'Tab':
        this._menuOpen = false;
        return;
      default:
        return;
    }
    event.preventDefault();
  }

  #onMenuFocusOut(event: FocusEvent): void {
    const next = event.relatedTarget as Node | null;
    if (!next || !this.renderRoot.querySelector('.menu-wrap')?.contains(next)) this._menuOpen = false;
  }

  async #download(card: StoryCard, key: string): Promise<void> {
    void this.#toggleMenu(false, 'button');
    this._busy = key;
    try {
      if (key === 'png' || key === 'svg') {
        const chart = this.renderRoot.querySelector('insight-chart');
        if (!chart) return;
        saveUrl(await chart.imageUrl(key), downloadName(card.title, key));
      } else if (this.exporter) {
        const blob = await this.exporter(card.id, key as ExportFormat, cardFilters(card, this.filters));
        saveBlob(blob, downloadName(card.title, key));
      }
    } catch (error) {
      emit(this, 'insight-error', { ...errorDetail(error), cardId: card.id });
    } finally {
      this._busy = '';
    }
  }

  #menu(card: StoryCard): TemplateResult | typeof nothing {
    const items = this.#menuItems(card);
    if (items.length === 0) return nothing;
    return html`<div class="menu-wrap" @focusout=${this.#onMenuFocusOut} @keydown=${this.#onMenuKeydown}>
      <button
        type="button"
        part="menu-button"
        class="menu-button"
        aria-label=${`Download ${card.title}`}
        aria-haspopup="menu"
        aria-expanded=${this._menuOpen ? 'true' : 'false'}
        aria-controls="menu"
        ?disabled=${this._busy !== '' || !this.#data.value || this.#failed()}
        @click=${() => void this.#toggleMenu(!this._menuOpen)}
        @keydown=${(e: KeyboardEvent) => {
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            e.stopPropagation();
            void this.#toggleMenu(true, e.key === 'ArrowUp' ? 'last' : 'first');
          }
        }}
      >
        <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
          <path d="M8 2.5v7m0 0-3-3m3 3 3-3M3 11.5v1.5h10v-1.5" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
      </button>
      <div id="menu" part="menu" class="menu" role="menu" aria-label=${`Download ${card.title}`} ?hidden=${!this._menuOpen}>
        ${items.map(
          (item) =>
            html`<button type="button" role="menuitem" part="menu-item" tabindex="-1" @click=${() => void this.#download(card, item.key)}>${item.label}</button>`,
        )}
      </div>
    </div>`;
  }

  /** "No data for these filters", naming them, with a Reset that asks the story for the default filters. */
  #empty(card: StoryCard): TemplateResult {
    const active = activeFilters(card, this.storyFilters, this.filters);
    return html`<div part="empty" class="empty" role="status">
      <strong>${active.length > 0 ? 'No data for these filters' : 'No data to show'}</strong>
      ${active.length > 0
        ? html`<ul class="active-filters" aria-label="Filters applied">
              ${active.map((f) => html`<li><span class="filter-label">${f.label}:</span> ${f.text}</li>`)}
            </ul>
            <button type="button" part="reset-filters-button" class="reset" @click=${() => this.#resetFilters(card)}>Reset filters</button>`
        : nothing}
    </div>`;
  }

  #skeleton(card: StoryCard): TemplateResult {
    if (card.type === 'metric') return html`<span class="skeleton metric"></span>`;
    if (card.type === 'chart') return html`<span class="skeleton chart"></span>`;
    return html`<div class="skeleton-rows">${[0, 1, 2, 3, 4].map(() => html`<span class="skeleton row"></span>`)}</div>`;
  }

  override render() {
    const card = this.card;
    if (!card) return nothing;
    const status = this.#data.status;
    const pending = status === TaskStatus.PENDING || (status === TaskStatus.INITIAL && card.type !== 'text');
    const data = (this.#data.value ?? null) as CardData | null;
    let body: TemplateResult | typeof nothing;
    if (this.#failed()) {
      const { code, message } = errorDetail(this.#data.error);
      body = html`<div part="error" class="error" role="alert">
        <strong>This card could not be loaded</strong><span>${message}</span><code>${code}</code>
        <button type="button" part="retry-button" class="retry" @click=${() => void this.retry()}>Retry</button>
      </div>`;
    } else if (data && (card.type === 'chart' || card.type === 'table') && isEmptyResult(data)) {
      body = this.#empty(card);
    } else if (data || card.type === 'text') {
      body = this.#content(card, data);
    } else {
      body = this.#skeleton(card);
    }
    return html`
      <article part="card" class="card type-${card.type} ${card.drill ? 'drillable' : ''}" aria-labelledby="title" aria-busy=${pending ? 'true' : 'false'}>
        <header part="card-header">
          <div class="heading-row">${this.#heading(card.title)} ${this.#menu(card)}</div>
          ${card.description ? html`<p part="card-description" class="description">${card.description}</p>` : nothing}
          ${this.#drillHint(card)}
        </header>
        <div part="card-body" class="body ${pending && data ? 'refreshing' : ''}">${body}</div>
      </article>
    `;
  }
}
