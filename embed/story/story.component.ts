import { LitElement, html, nothing, type PropertyDeclarations, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { Task, TaskStatus, initialState } from '@lit/task';
import { createInsightClient, refreshDelayMs, type InsightClient } from '../../sdk/client.ts';
import type { FilterValues, StoryPage, StoryState, StoryView } from '../../sdk/protocol.ts';
import { createCardExporter, type CardExporter } from '../shared/download.ts';
import { coerceDrillValue, describeDrill } from '../shared/drill.ts';
import { errorDetail, isAbortError } from '../shared/errors.ts';
import { emit, type InsightDrillDetail, type InsightFilterChangeDetail, type InsightPageChangeDetail } from '../shared/events.ts';
import { ScrollCue } from '../shared/scroll-cue.ts';
import { fromUrlParam } from './story-state.ts';
import { storyStyles } from './story.styles.ts';

/** What a host saves and restores: the page shown, the filter values set and the drill trail (see `toUrlParam`). */
export type InsightStoryState = StoryState;

/** The `state` attribute: a `toUrlParam()` string or JSON. */
function parseStateAttribute(value: string | null): StoryState | null {
  if (!value) return null;
  const packed = fromUrlParam(value.trim());
  if (packed) return packed;
  try {
    const json = JSON.parse(value) as Partial<StoryState>;
    return json && typeof json.page === 'string' ? { page: json.page, filters: json.filters ?? {}, ...(json.trail ? { trail: json.trail } : {}) } : null;
  } catch {
    return null;
  }
}

/** After a refresh the next one waits at least this long, so a provider handing out short tokens cannot cause a loop. */
const MIN_REFRESH_INTERVAL_MS = 5_000;

const CARD_PARTS = [
  'card',
  'card-header',
  'card-title',
  'card-description',
  'card-body',
  'error: card-error',
  'retry-button',
  'empty: card-empty',
  'reset-filters-button',
  'chart',
  'canvas',
  'data-toggle',
  'data-table',
  'metric',
  'metric-label',
  'metric-value',
  'table',
  'caption',
  'header-cell',
  'sort-button',
  'cell',
  'pager',
  'pager-button',
  'metric-delta',
  'sparkline',
  'drill-hint',
  'menu-button',
  'menu',
  'menu-item',
  'text',
].join(', ');

const FILTER_BAR_PARTS = 'base: filter-bar-base, filter, label: filter-label, control: filter-control, reset-button';

class StoryMismatchError extends Error {
  readonly code = 'ERR_STORY_MISMATCH';
}

/**
 * @summary A whole story: title, pages as tabs, the filter bar and the cards
 * of the page shown, loaded with an embed token from an InsightEngine server.
 *
 * Page and filters survive token changes and refreshes. With a `tokenProvider`
 * the story asks for a new token shortly before the current one expires (and
 * the client asks again if the server refuses one as expired).
 *
 * @example
 * <insight-story server="https://analytics.example.com" token="eyJ..."></insight-story>
 *
 * @event insight-ready - The story loaded. Detail: `{ storyId, pages: [{ key, title }] }`.
 * @event insight-render - A card finished painting. Detail: `{ cardId }`.
 * @event insight-filter-change - The user changed a filter (filter bar, drill, Back, or "Reset filters" on a card that matched no rows). Detail: `{ filters }`. Not fired by `setState()` or `filters`.
 * @event insight-page-change - The user opened another page. Detail: `{ page, previousPage, cause: 'tab' | 'drill' | 'back' }`. Not fired by `setState()`.
 * @event insight-drill - The user chose a mark or row of a drillable card. Detail: `{ cardId, page, filters, datum }`. Cancel it (`preventDefault()`) to stay on the page.
 * @event insight-state-change - After any user change of page, filters or drill trail. Detail: `{ state }` (for `toUrlParam`). Not fired by `setState()`.
 * @event insight-error - The story or a card failed. Detail: `{ code, message, cardId? }`.
 * @event insight-token-expiring - The token expires in about a minute. Detail: `{ expiresAt }` (seconds since the epoch).
 *
 * @csspart base - Everything inside the host.
 * @csspart header - Title and description.
 * @csspart title - The story title.
 * @csspart description - The story description.
 * @csspart tabs - The page tab list.
 * @csspart tab - Each page tab (`tab-selected` on the current one).
 * @csspart tab-selected - The current page tab.
 * @csspart filter-bar - The `<insight-filter-bar>` element.
 * @csspart filter, filter-label, filter-control, reset-button, filter-bar-base - Re-exported from the filter bar.
 * @csspart breadcrumb - The drill-down trail (a `nav`), shown after a drill.
 * @csspart back-button - Returns to the page and filters before the last drill.
 * @csspart crumb - Each earlier page in the trail.
 * @csspart page - The current page (the tab panel).
 * @csspart narrative - The page's narrative text.
 * @csspart ask - The `<insight-ask>` question box, shown when the token grants `ask`.
 * @csspart grid - The grid of cards.
 * @csspart card, card-header, card-title, card-description, card-body, card-error - Re-exported from each card.
 * @csspart retry-button, card-empty, reset-filters-button - Re-exported from each card: Retry on a failed card, the "No data for these filters" message and its Reset.
 * @csspart drill-hint, menu-button, menu, menu-item, text - Re-exported from each card.
 * @csspart chart, canvas, data-toggle, data-table, metric, metric-label, metric-value, metric-delta, sparkline, table, caption, header-cell, sort-button, cell, pager, pager-button - Re-exported card content.
 * @csspart error - The message shown when the story cannot load.
 *
 * @cssproperty --insight-font-family - Font family.
 * @cssproperty --insight-color-text - Text colour.
 * @cssproperty --insight-color-text-muted - Secondary text.
 * @cssproperty --insight-color-background - Background behind the cards.
 * @cssproperty --insight-color-surface - Card and control background.
 * @cssproperty --insight-color-border - Borders and grid lines.
 * @cssproperty --insight-color-accent - Selected tab, focus rings, first chart colour.
 * @cssproperty --insight-color-danger - Error messages.
 * @cssproperty --insight-radius - Corner radius.
 * @cssproperty --insight-spacing - Spacing unit.
 * @cssproperty --insight-chart-palette-1 - Chart series colours 1 to 6 (`--insight-chart-palette-2` ...).
 */
export class InsightStory extends LitElement {
  static override styles = storyStyles;

  static override properties: PropertyDeclarations = {
    story: {},
    token: {},
    server: {},
    page: {},
    theme: { reflect: true },
    tokenProvider: { attribute: false },
    filters: { attribute: false },
    trail: { attribute: false },
    state: { converter: { fromAttribute: parseStateAttribute } },
    _client: { state: true },
  };

  /** Story id or slug. Optional: the token names the story; when set, a token for another story is refused. */
  declare story: string;
  /** Signed embed token. */
  declare token: string;
  /** Base URL of the InsightEngine server (default: this page's origin). */
  declare server: string;
  /** Key of the page to show (default: the first). */
  declare page: string;
  /** `light` or `dark`; without it the story follows `prefers-color-scheme`. */
  declare theme: 'light' | 'dark' | undefined;
  /** Returns a fresh token; called shortly before the token expires and when the server refuses it as expired. */
  declare tokenProvider: (() => Promise<string>) | undefined;
  /** Filter values by filter name. Setting it does not fire `insight-filter-change`. */
  declare filters: FilterValues;
  /** Pages and filters left by drilling, oldest first (Back returns to the last). */
  declare trail: NonNullable<StoryState['trail']>;
  /**
   * State to start from (or to switch to): a `StoryState`, or as an attribute a
   * `toUrlParam()` string or JSON. Applied like `setState()`, without events.
   */
  declare state: StoryState | null;
  declare private _client: InsightClient | null;

  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #focusTab = false;
  #focusBack = false;
  /** The token the client holds now (the provider's last answer), for export downloads. */
  #currentToken = '';
  #exporter: CardExporter | null = null;
  /** Filter names each drill of the trail applied (parallel to `trail`); unknown for a trail set in code. */
  #drilled: string[][] = [];
  /** The page whose tab was last scrolled into view. */
  #revealedPage = '';
  /** The fade on a side of the tab list hiding tabs (narrow screens). */
  readonly #tabsCue = new ScrollCue(this, () => this.renderRoot.querySelector<HTMLElement>('[role="tablist"]'));

  readonly #story = new Task(this, {
    args: () => [this._client, this.story] as const,
    task: async ([client, expected], { signal }): Promise<StoryView | typeof initialState> => {
      if (!client) return initialState;
      const story = await client.story(signal);
      if (expected && story.id !== expected && story.slug !== expected) {
        throw new StoryMismatchError(`The token is for another story than "${expected}"`);
      }
      return story;
    },
    onComplete: (story) => {
      const client = this._client;
      if (client) this.#scheduleRefresh(client);
      // After the render that shows it, so listeners can read state and parts.
      void Promise.resolve()
        .then(() => this.updateComplete)
        .then(() => {
          if (this.#story.value === story) emit(this, 'insight-ready', { storyId: story.id, pages: story.pages.map((p) => ({ key: p.key, title: p.title })) });
        });
    },
    onError: (error) => {
      if (!isAbortError(error)) emit(this, 'insight-error', errorDetail(error));
    },
  });

  constructor() {
    super();
    this.story = '';
    this.token = '';
    this.server = '';
    this.page = '';
    this.theme = undefined;
    this.tokenProvider = undefined;
    this.filters = {};
    this.trail = [];
    this.state = null;
    this._client = null;
  }

  /** The client the story and its cards use (after the first update). */
  get client(): InsightClient | null {
    return this._client;
  }

  /** Resolves with the story once it loaded (rejects if loading failed). */
  get storyComplete(): Promise<StoryView> {
    return this.#story.taskComplete;
  }

  /**
   * The page shown, the filter values set and the drill trail (left out when empty), e.g. for the host's URL.
   * @example url.searchParams.set('insight', toUrlParam(story.getState()));
   */
  getState(): InsightStoryState {
    const state: InsightStoryState = { page: this.#activePage()?.key ?? this.page, filters: { ...this.filters } };
    if (this.trail.length > 0) state.trail = this.trail.map((step) => ({ page: step.page, filters: { ...step.filters } }));
    return state;
  }

  /**
   * Shows a page, sets the filters and/or the drill trail in code; fires no
   * `insight-filter-change`, `insight-page-change` or `insight-state-change`.
   * A new page without a trail starts a fresh trail.
   * @example story.setState(fromUrlParam(params.get('insight') ?? '') ?? { page: 'overview', filters: {} });
   */
  setState(state: Partial<InsightStoryState>): void {
    if (typeof state.page === 'string') {
      this.page = state.page;
      this.trail = state.trail ? [...state.trail] : [];
      this.#drilled = [];
    } else if (state.trail) {
      this.trail = [...state.trail];
      this.#drilled = [];
    }
    if (state.filters) this.filters = { ...state.filters };
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this._client && this.#story.status === TaskStatus.COMPLETE) this.#scheduleRefresh(this._client);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#clearRefresh();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('state') && this.state) this.setState(this.state);
    if (changed.has('server') || changed.has('token') || changed.has('tokenProvider')) {
      this.#clearRefresh();
      // A new token may be another viewer: everything reloads with it; page, filters and trail stay.
      this.#currentToken = this.token;
      const provider = this.tokenProvider;
      const server = this.server || globalThis.location?.origin || '';
      const client =
        this.token || provider
          ? createInsightClient({
              server,
              ...(this.token ? { token: this.token } : {}),
              ...(provider
                ? {
                    tokenProvider: async () => {
                      const token = await provider();
                      if (this._client === client) this.#currentToken = token;
                      return token;
                    },
                  }
                : {}),
            })
          : null;
      this._client = client;
      this.#exporter = client
        ? createCardExporter(
            server,
            () => this.#currentToken || client.refreshToken(),
            provider ? () => client.refreshToken() : undefined,
          )
        : null;
    }
  }

  protected override updated(): void {
    const selected = this.renderRoot.querySelector<HTMLElement>('[role="tab"][aria-selected="true"]');
    if (selected && selected.id !== this.#revealedPage) {
      this.#revealedPage = selected.id;
      this.#revealTab(selected);
    }
    if (this.#focusTab) {
      this.#focusTab = false;
      selected?.focus({ preventScroll: true });
      if (selected) this.#revealTab(selected);
    }
    if (this.#focusBack) {
      this.#focusBack = false;
      (this.renderRoot.querySelector<HTMLElement>('[part="back-button"]') ?? this.renderRoot.querySelector<HTMLElement>('#panel'))?.focus();
    }
  }

  /** Scrolls the tab list (only it, never the page) so `tab` is clear of the edge fades. */
  #revealTab(tab: HTMLElement): void {
    const list = tab.parentElement;
    if (!list || list.scrollWidth <= list.clientWidth) return;
    const fade = 32;
    const box = list.getBoundingClientRect();
    const rect = tab.getBoundingClientRect();
    if (rect.left < box.left + fade) list.scrollLeft -= box.left + fade - rect.left;
    else if (rect.right > box.right - fade) list.scrollLeft += rect.right - (box.right - fade);
    this.#tabsCue.update();
  }

  #clearRefresh(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
  }

  #scheduleRefresh(client: InsightClient, minDelayMs = 0): void {
    this.#clearRefresh();
    const expiresAt = client.expiresAt;
    if (!this.isConnected || client !== this._client || expiresAt === undefined) return;
    const delay = Math.max(minDelayMs, refreshDelayMs(expiresAt, Date.now()));
    this.#refreshTimer = setTimeout(() => void this.#tokenExpiring(client, expiresAt), delay);
  }

  async #tokenExpiring(client: InsightClient, expiresAt: number): Promise<void> {
    this.#refreshTimer = undefined;
    if (client !== this._client || !this.isConnected) return;
    emit(this, 'insight-token-expiring', { expiresAt });
    // Without a provider the host answers the event by setting `token`.
    if (!this.tokenProvider) return;
    try {
      await client.refreshToken();
    } catch (error) {
      if (client === this._client) emit(this, 'insight-error', errorDetail(error));
      return;
    }
    const next = client.expiresAt;
    if (next !== undefined && next > expiresAt) this.#scheduleRefresh(client, MIN_REFRESH_INTERVAL_MS);
  }

  #activePage(): StoryPage | undefined {
    const story = this.#story.value as StoryView | undefined;
    if (!story) return undefined;
    return story.pages.find((p) => p.key === this.page) ?? story.pages[0];
  }

  #selectPage(page: StoryPage, focus: boolean): void {
    const previous = this.#activePage()?.key ?? this.page;
    this.#focusTab = focus;
    if (page.key === previous && this.trail.length === 0) return;
    // A page chosen from the tabs starts over: the drill trail no longer leads here, and the
    // values the drills set belong to the drilled pages only. Other filters keep their values.
    const filters = this.#withoutDrillFilters();
    const filtersChanged = JSON.stringify(filters) !== JSON.stringify(this.filters);
    this.page = page.key;
    this.trail = [];
    this.#drilled = [];
    if (filtersChanged) this.filters = filters;
    this.#userChanged({ page: page.key, previousPage: previous, cause: 'tab' }, filtersChanged);
  }

  /**
   * The filters with every value a drill of the trail set put back to what it was
   * before the first drill. For a trail set in code (the drills are unknown),
   * every filter that differs from before the first drill goes back.
   */
  #withoutDrillFilters(): FilterValues {
    const first = this.trail[0];
    if (!first) return this.filters;
    const names =
      this.#drilled.length === this.trail.length
        ? new Set(this.#drilled.flat())
        : new Set([...Object.keys(this.filters), ...Object.keys(first.filters)].filter((n) => JSON.stringify(this.filters[n]) !== JSON.stringify(first.filters[n])));
    const filters: FilterValues = { ...this.filters };
    for (const name of names) {
      if (Object.hasOwn(first.filters, name)) filters[name] = first.filters[name] ?? null;
      else delete filters[name];
    }
    return filters;
  }

  /** Events for a change the user made; `filtersChanged` adds `insight-filter-change`. */
  #userChanged(page: InsightPageChangeDetail | null, filtersChanged: boolean): void {
    if (page && page.page !== page.previousPage) emit(this, 'insight-page-change', page);
    if (filtersChanged) emit(this, 'insight-filter-change', { filters: { ...this.filters } });
    emit(this, 'insight-state-change', { state: this.getState() });
  }

  #onDrill(event: CustomEvent<InsightDrillDetail>): void {
    // After every listener had its turn: a host that cancels the event handles the drill itself.
    queueMicrotask(() => {
      if (event.defaultPrevented) return;
      const story = this.#story.value as StoryView | undefined;
      const target = story?.pages.find((p) => p.key === event.detail.page);
      if (!story || !target) return;
      const previous = this.#activePage()?.key ?? this.page;
      const applied: FilterValues = Object.create(null);
      for (const [name, value] of Object.entries(event.detail.filters)) {
        applied[name] = coerceDrillValue(story.filters.find((f) => f.name === name), value);
      }
      this.trail = [...this.trail, { page: previous, filters: { ...this.filters } }];
      this.#drilled = this.#drilled.length === this.trail.length - 1 ? [...this.#drilled, Object.keys(applied)] : [];
      this.filters = { ...this.filters, ...applied };
      this.page = target.key;
      this.#focusBack = true;
      this.#userChanged({ page: target.key, previousPage: previous, cause: 'drill' }, Object.keys(applied).length > 0);
    });
  }

  /** Returns to step `index` of the trail (the last one by default): its page and filters. */
  #back(index = this.trail.length - 1): void {
    const step = this.trail[index];
    if (!step) return;
    const previous = this.#activePage()?.key ?? this.page;
    const filtersChanged = JSON.stringify(step.filters) !== JSON.stringify(this.filters);
    this.trail = this.trail.slice(0, index);
    this.#drilled = this.#drilled.slice(0, index);
    this.page = step.page;
    this.filters = { ...step.filters };
    this.#focusBack = true;
    this.#userChanged({ page: step.page, previousPage: previous, cause: 'back' }, filtersChanged);
  }

  #onTabKeydown(event: KeyboardEvent, pages: StoryPage[]): void {
    const current = pages.findIndex((p) => p.key === this.#activePage()?.key);
    const last = pages.length - 1;
    const target = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: last }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const page = pages[(target + pages.length) % pages.length];
    if (page) this.#selectPage(page, true);
  }

  #onFilterChange(event: CustomEvent<InsightFilterChangeDetail>): void {
    // The bar's event goes on to the host (bubbling, composed); the story only keeps the values.
    this.filters = { ...event.detail.filters };
    emit(this, 'insight-state-change', { state: this.getState() });
  }

  /** A card whose filters matched no rows asked for the defaults back: the filter bar's Reset, from the card. */
  #onFiltersReset(): void {
    if (Object.keys(this.filters).length === 0) return;
    this.filters = {};
    this.#userChanged(null, true);
  }

  #renderBreadcrumb(story: StoryView, page: StoryPage | undefined) {
    if (this.trail.length === 0 || !page) return nothing;
    const title = (key: string) => story.pages.find((p) => p.key === key)?.title ?? key;
    const before = this.trail.at(-1)?.filters ?? {};
    const applied = describeDrill(
      Object.fromEntries(Object.entries(this.filters).filter(([name, v]) => JSON.stringify(v) !== JSON.stringify(Object.hasOwn(before, name) ? before[name] : undefined))),
    );
    return html`<nav part="breadcrumb" class="breadcrumb" aria-label="Drill-down path">
      <button type="button" part="back-button" class="back" @click=${() => this.#back()}>
        <span aria-hidden="true">←</span> Back<span class="sr-only"> to ${title(this.trail.at(-1)?.page ?? '')}</span>
      </button>
      <ol>
        ${this.trail.map(
          (step, i) => html`<li><button type="button" part="crumb" class="crumb" @click=${() => this.#back(i)}>${title(step.page)}</button></li>`,
        )}
        <li aria-current="page" class="current">${page.title}${applied ? html`<span class="applied"> · ${applied}</span>` : nothing}</li>
      </ol>
    </nav>`;
  }

  #renderLoading() {
    return html`<div part="base" class="story" aria-busy="true">
      <span class="sr-only" role="status">Loading story…</span>
      <div class="header" aria-hidden="true">
        <span class="skeleton title"></span>
        <span class="skeleton line"></span>
      </div>
      <div class="grid layout-double" aria-hidden="true">
        ${[0, 1, 2, 3].map(() => html`<span class="skeleton card"></span>`)}
      </div>
    </div>`;
  }

  override render() {
    const status = this.#story.status;
    if (status === TaskStatus.ERROR && !isAbortError(this.#story.error)) {
      const { code, message } = errorDetail(this.#story.error);
      return html`<div part="base" class="story">
        <div part="error" class="error" role="alert">
          <strong>This story could not be loaded</strong><span>${message}</span><code>${code}</code>
        </div>
      </div>`;
    }
    const story = this.#story.value as StoryView | undefined;
    if (!story) return status === TaskStatus.INITIAL ? nothing : this.#renderLoading();
    const page = this.#activePage();
    const tabs = story.pages.length > 1;
    return html`
      <div part="base" class="story" aria-busy=${status === TaskStatus.PENDING ? 'true' : 'false'}>
        <header part="header" class="header">
          <h2 part="title" class="title">${story.title}</h2>
          ${story.description ? html`<p part="description" class="description">${story.description}</p>` : nothing}
        </header>
        ${story.filters.length > 0
          ? html`<insight-filter-bar
              part="filter-bar"
              exportparts=${FILTER_BAR_PARTS}
              .filters=${story.filters}
              .values=${this.filters}
              .client=${this._client}
              @insight-filter-change=${this.#onFilterChange}
            ></insight-filter-bar>`
          : nothing}
        ${story.permissions.includes('ask')
          ? html`<insight-ask part="ask" class="ask" .client=${this._client} label="Ask a question about this data"></insight-ask>`
          : nothing}
        ${tabs
          ? html`<div class="scroll-frame tabs-frame">
              <div part="tabs" class="tabs" role="tablist" aria-label="Pages" @keydown=${(e: KeyboardEvent) => this.#onTabKeydown(e, story.pages)}>
                ${story.pages.map((p) => {
                  const selected = p.key === page?.key;
                  return html`<button
                    type="button"
                    role="tab"
                    id=${`tab-${p.id}`}
                    part=${selected ? 'tab tab-selected' : 'tab'}
                    class="tab"
                    aria-selected=${selected ? 'true' : 'false'}
                    aria-controls="panel"
                    tabindex=${selected ? 0 : -1}
                    @click=${() => this.#selectPage(p, false)}
                  >
                    ${p.title}
                  </button>`;
                })}
              </div>
            </div>`
          : nothing}
        ${this.#renderBreadcrumb(story, page)}
        ${page
          ? html`<section
              part="page"
              class="page"
              id="panel"
              tabindex="-1"
              role=${tabs ? 'tabpanel' : nothing}
              aria-labelledby=${tabs ? `tab-${page.id}` : nothing}
              aria-label=${tabs ? nothing : page.title}
            >
              ${page.narrative ? html`<p part="narrative" class="narrative">${page.narrative}</p>` : nothing}
              <div part="grid" class="grid layout-${page.layout}" @insight-drill=${this.#onDrill} @insight-filters-reset=${this.#onFiltersReset}>
                ${repeat(
                  page.cards,
                  (card) => card.id,
                  (card) =>
                    html`<insight-card
                      data-card=${card.key}
                      exportparts=${CARD_PARTS}
                      .card=${card}
                      .client=${this._client}
                      .filters=${this.filters}
                      .storyFilters=${story.filters}
                      .permissions=${story.permissions}
                      .exporter=${this.#exporter}
                      .drillTitle=${card.drill ? (story.pages.find((p) => p.key === card.drill?.page)?.title ?? '') : ''}
                    ></insight-card>`,
                )}
              </div>
            </section>`
          : nothing}
      </div>
    `;
  }
}
