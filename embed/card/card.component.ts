import { LitElement, html, nothing, type PropertyDeclarations, type TemplateResult } from 'lit';
import { html as staticHtml, literal } from 'lit/static-html.js';
import { Task, TaskStatus, initialState } from '@lit/task';
import type { InsightClient } from '../../sdk/client.ts';
import type { CardData, FilterValues, StoryCard } from '../../sdk/protocol.ts';
import { errorDetail, isAbortError } from '../shared/errors.ts';
import { emit } from '../shared/events.ts';
import { cardStyles } from './card.styles.ts';

const HEADINGS = [literal`h1`, literal`h2`, literal`h3`, literal`h4`, literal`h5`, literal`h6`];

/** The filter values that apply to a card, as a stable key: other filters changing does not refetch it. */
export function cardFilters(card: Pick<StoryCard, 'filters'>, filters: FilterValues): FilterValues {
  const out: FilterValues = {};
  for (const name of card.filters) if (Object.hasOwn(filters, name)) out[name] = filters[name] ?? null;
  return out;
}

/** The figure a metric card shows: the first number of the first row. */
export function metricValue(data: CardData): { value: number | null; format: string | undefined } {
  const row = data.rows[0] ?? [];
  const index = data.columns.findIndex((c, i) => c.type === 'number' || typeof row[i] === 'number');
  const raw = index >= 0 ? row[index] : undefined;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : null;
  return { value, format: data.columns[index]?.format };
}

/**
 * @summary One card of a story: its title and its content (chart, metric,
 * table or text), fetched through the client with the filters that apply to it.
 *
 * @event insight-render - The card's content is painted (for charts, once vega has drawn). Detail: `{ cardId }`.
 * @event insight-error - The card's data could not be loaded. Detail: `{ code, message, cardId }`.
 *
 * @csspart card - The card box (an `<article>` named by its title).
 * @csspart card-header - Title and description.
 * @csspart card-title - The title heading.
 * @csspart card-description - The description under the title.
 * @csspart card-body - The content area.
 * @csspart error - The error message of a card that failed.
 * @csspart chart, canvas, data-toggle, data-table - Re-exported from `<insight-chart>`.
 * @csspart metric, metric-label, metric-value - Re-exported from `<insight-metric>`.
 * @csspart table, caption, header-cell, sort-button, cell - Re-exported from `<insight-table>`.
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
  };

  declare card: StoryCard | null;
  declare client: InsightClient | null;
  /** Story filter values; only those named in `card.filters` are sent. */
  declare filters: FilterValues;
  /** Level of the title heading (default 3, under a story title at 2). */
  declare headingLevel: number;

  #renderedFor: unknown;

  readonly #data = new Task(this, {
    args: () => [this.client, this.card, JSON.stringify(this.card ? cardFilters(this.card, this.filters) : {})] as const,
    task: async ([client, card, filters], { signal }): Promise<CardData | null | typeof initialState> => {
      if (!card) return initialState;
      if (card.type === 'text') return null;
      if (!client) return initialState;
      return client.cardData(card.id, JSON.parse(filters) as FilterValues, signal);
    },
    onError: (error) => {
      if (!isAbortError(error)) emit(this, 'insight-error', { ...errorDetail(error), cardId: this.card?.id ?? '' });
    },
  });

  constructor() {
    super();
    this.card = null;
    this.client = null;
    this.filters = {};
    this.headingLevel = 3;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // A request aborted when the card left the page is made again when it returns.
    if (this.hasUpdated && isAbortError(this.#data.error)) void this.#data.run();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#data.abort();
  }

  /** Resolves with the card's data once the current request settles. */
  get dataComplete(): Promise<CardData | null> {
    return this.#data.taskComplete.then((v) => v ?? null);
  }

  protected override updated(): void {
    // Charts report their own paint (after vega draws); other types are painted with this update.
    const card = this.card;
    if (!card || card.type === 'chart' || this.#data.status !== TaskStatus.COMPLETE) return;
    const value = this.#data.value;
    if (this.#renderedFor === value) return;
    this.#renderedFor = value;
    const child = this.renderRoot.querySelector<HTMLElement & { updateComplete?: Promise<unknown> }>('insight-metric, insight-table');
    void Promise.resolve(child?.updateComplete).then(() =>
      requestAnimationFrame(() => {
        if (this.#renderedFor === value && this.isConnected) emit(this, 'insight-render', { cardId: card.id });
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
        const text = typeof card.options['text'] === 'string' ? card.options['text'] : (card.description ?? '');
        // Plain text only: paragraphs from blank lines, every character escaped by lit.
        const paragraphs = text.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
        return html`<div class="text">${paragraphs.map((p) => html`<p>${p}</p>`)}</div>`;
      }
      case 'metric': {
        if (!data) return nothing;
        const { value, format } = metricValue(data);
        const cardFormat = typeof card.options['format'] === 'string' ? card.options['format'] : undefined;
        return html`<insight-metric exportparts="metric, metric-label, metric-value" .value=${value} .format=${cardFormat ?? format}></insight-metric>`;
      }
      case 'table':
        return data
          ? html`<insight-table exportparts="table, caption, header-cell, sort-button, cell" hide-caption .label=${card.title} .data=${data}></insight-table>`
          : nothing;
      case 'chart':
        return data && card.visualization
          ? html`<insight-chart
              exportparts="chart, canvas, data-toggle, data-table"
              card-id=${card.id}
              .label=${card.title}
              .visualization=${card.visualization}
              .data=${data}
            ></insight-chart>`
          : nothing;
    }
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
    if (status === TaskStatus.ERROR && !isAbortError(this.#data.error)) {
      const { code, message } = errorDetail(this.#data.error);
      body = html`<div part="error" class="error" role="alert">
        <strong>This card could not be loaded</strong><span>${message}</span><code>${code}</code>
      </div>`;
    } else if (data || card.type === 'text') {
      body = this.#content(card, data);
    } else {
      body = this.#skeleton(card);
    }
    return html`
      <article part="card" class="card type-${card.type}" aria-labelledby="title" aria-busy=${pending ? 'true' : 'false'}>
        <header part="card-header">
          ${this.#heading(card.title)}
          ${card.description ? html`<p part="card-description" class="description">${card.description}</p>` : nothing}
        </header>
        <div part="card-body" class="body ${pending && data ? 'refreshing' : ''}">${body}</div>
      </article>
    `;
  }
}
