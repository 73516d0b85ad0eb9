import { LitElement, html, nothing, type PropertyDeclarations, type PropertyValues } from 'lit';
import type { Result as EmbedResult } from 'vega-embed';
import type { CardData, ChartShorthand, DrillTarget } from '../../sdk/protocol.ts';
import { drillFilters, rowDatum } from '../shared/drill.ts';
import { errorDetail } from '../shared/errors.ts';
import { emit } from '../shared/events.ts';
import { columnLabel, formatCell, isNumericColumn } from '../shared/format-value.ts';
import { chartStyles } from './chart.styles.ts';
import { describeChart } from './describe-chart.ts';
import { loadVegaEmbed } from './load-vega-embed.ts';
import { DEFAULT_CHART_THEME, toVegaLite, type ChartTheme } from './to-vega-lite.ts';

/**
 * @summary A chart of a card's data, drawn by Vega-Lite from the card's chart
 * shorthand. vega-embed loads lazily with the first chart on the page.
 *
 * Data without rows draws no axes: the chart says "No data to chart" instead
 * (and still fires `insight-render`).
 *
 * The chart is an image (`role="img"`) named by a summary of what it plots,
 * followed by a table of the same rows: visually hidden but read by screen
 * readers, shown by the "Show data" button. With `drill` set, marks and the
 * table's rows (Enter or Space) drill down.
 *
 * @event insight-render - The chart finished painting. Detail: `{ cardId }` (the `card-id` attribute, '' when unset).
 * @event insight-error - The chart could not be drawn. Detail: `{ code, message, cardId }`.
 * @event insight-drill - With `drill` set, the user clicked a mark or chose a row of the data table (Enter or Space). Detail: `{ cardId, page, filters, datum }`. Cancelable.
 *
 * @csspart chart - The wrapper of the chart and its data table.
 * @csspart canvas - The element vega draws the SVG into (`role="img"`).
 * @csspart data-toggle - The "Show data" button.
 * @csspart data-table - The table alternative of the chart.
 * @csspart empty - "No data to chart", shown instead of axes when the data has no rows.
 *
 * @cssproperty --insight-chart-palette-1 - First series colour (and 2 to 6 for the others).
 * @cssproperty --insight-color-text-muted - Axis labels and titles.
 * @cssproperty --insight-color-border - Grid lines.
 * @cssproperty --insight-font-family - Font of the axes and legends.
 */
export class InsightChart extends LitElement {
  static override styles = chartStyles;

  static override properties: PropertyDeclarations = {
    data: { attribute: false },
    visualization: { attribute: false },
    label: {},
    cardId: { attribute: 'card-id' },
    height: { type: Number },
    drill: { attribute: false },
    showData: { state: true },
    painted: { state: true },
    failure: { state: true },
  };

  declare data: CardData | null;
  declare visualization: ChartShorthand | null;
  /** What the chart is about (usually the card title); starts the chart's text alternative. */
  declare label: string;
  /** Card id reported in `insight-render` and `insight-error`. */
  declare cardId: string;
  /**
   * Plot height in pixels. The width always follows the container (a ResizeObserver):
   * a chart mounted hidden draws once it is shown, and redraws when its container resizes.
   */
  declare height: number;
  /** Where a click on a mark leads; marks and data-table rows become choosable. */
  declare drill: DrillTarget | null;
  declare showData: boolean;
  declare painted: boolean;
  declare failure: string;

  #result: EmbedResult | undefined;
  #paintId = 0;
  #resizeObserver: ResizeObserver | undefined;
  #observedWidth = 0;
  /** Width the view was drawn or last resized at. */
  #appliedWidth = 0;
  /** A paint waits for the first layout that gives the chart a width. */
  #paintWhenSized = false;
  #resizeFrame = 0;

  constructor() {
    super();
    this.data = null;
    this.visualization = null;
    this.label = '';
    this.cardId = '';
    this.height = 240;
    this.drill = null;
    this.showData = false;
    this.painted = false;
    this.failure = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Back on the page after a move: the view was finalized on the way out; it draws once the observer reports a width.
    this.#observeSize();
    if (this.hasUpdated && !this.#result) void this.#paint();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#paintId++;
    this.#finalize();
    this.#resizeObserver?.disconnect();
    this.#resizeObserver = undefined;
    // Back on the page, the observer's first report decides the width again.
    this.#observedWidth = 0;
    this.#paintWhenSized = false;
    cancelAnimationFrame(this.#resizeFrame);
  }

  /** The vega View while a chart is shown (for hosts that want signals or images). */
  get view(): EmbedResult['view'] | undefined {
    return this.#result?.view;
  }

  /**
   * The chart as an image URL (`png` at twice the pixels, or `svg`), e.g. for a download link;
   * rejects before the chart has drawn.
   */
  async imageUrl(type: 'png' | 'svg'): Promise<string> {
    const view = this.#result?.view;
    if (!view) throw new Error('The chart has not been drawn yet');
    // The chart sits on the card's surface; an image file gets that surface behind it (not transparency).
    const probe = this.renderRoot.querySelector<HTMLElement>('.probe');
    let surface = '';
    if (probe) {
      probe.style.color = 'var(--ie-surface)';
      surface = getComputedStyle(probe).color;
    }
    const previous = view.background();
    try {
      if (surface) await view.background(surface).runAsync();
      return await view.toImageURL(type, type === 'png' ? 2 : 1);
    } finally {
      if (surface) await view.background(previous).runAsync();
    }
  }

  protected override firstUpdated(): void {
    this.#observeSize();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('data') || changed.has('visualization') || changed.has('height') || changed.has('drill')) void this.#paint();
  }

  #themeFrame = 0;

  /** The watch element's colours transition when theme tokens change (theme attribute, colour scheme, host variables). */
  #onThemeChange = (): void => {
    cancelAnimationFrame(this.#themeFrame);
    this.#themeFrame = requestAnimationFrame(() => {
      if (this.#result) void this.#paint();
    });
  };

  #finalize(): void {
    this.#result?.finalize();
    this.#result = undefined;
  }

  /**
   * The chart's width comes from a ResizeObserver on its container and from
   * nothing else: a paint waits for the first report of a width above zero
   * (a card mounted hidden, in a collapsed tab or in an iframe not laid out
   * yet), and every later report resizes the view, also one that arrives
   * while vega is still drawing.
   */
  #observeSize(): void {
    const chart = this.renderRoot.querySelector<HTMLElement>('.chart');
    if (!chart || this.#resizeObserver || typeof ResizeObserver === 'undefined') return;
    this.#resizeObserver = new ResizeObserver((entries) => {
      const width = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (width === this.#observedWidth) return;
      this.#observedWidth = width;
      // Next frame: resizing the view inside the observer callback would re-trigger it.
      cancelAnimationFrame(this.#resizeFrame);
      this.#resizeFrame = requestAnimationFrame(() => {
        if (this.#paintWhenSized && this.#observedWidth > 0) void this.#paint();
        else this.#syncWidth();
      });
    });
    this.#resizeObserver.observe(chart);
  }

  /** Gives the view the width last observed (also after a paint that started at another width). */
  #syncWidth(): void {
    const view = this.#result?.view;
    const width = this.#observedWidth;
    if (!view || width <= 0 || width === this.#appliedWidth) return;
    this.#appliedWidth = width;
    void view.width(width).runAsync();
  }

  /** Resolves the `--insight-*` tokens to concrete colours vega can use (`light-dark()` included). */
  #readTheme(): ChartTheme {
    const probe = this.renderRoot.querySelector<HTMLElement>('.probe');
    if (!probe) return DEFAULT_CHART_THEME;
    const resolve = (token: string, fallback: string) => {
      probe.style.color = `var(${token})`;
      return getComputedStyle(probe).color || fallback;
    };
    const d = DEFAULT_CHART_THEME;
    return {
      font: getComputedStyle(this).fontFamily || d.font,
      text: resolve('--ie-text', d.text),
      muted: resolve('--ie-muted', d.muted),
      grid: resolve('--ie-border', d.grid),
      subtle: resolve('--ie-subtle', d.subtle),
      palette: d.palette.map((fallback, i) => resolve(`--ie-palette-${i + 1}`, fallback)),
    };
  }

  async #paint(): Promise<void> {
    const id = ++this.#paintId;
    this.#finalize();
    const { data, visualization } = this;
    // vega marks its container as a graphics document; the image role and summary sit one level up.
    const canvas = this.renderRoot.querySelector<HTMLElement>('.vega');
    // Never drawn at width 0 (vega would keep it) nor from an empty dataset (bare axes, an "Infinite extent").
    const width = this.#observedWidth;
    this.#paintWhenSized = width === 0;
    if (data && data.rows.length === 0 && this.isConnected) {
      // Nothing to draw: the "No data" message is the painted state.
      canvas?.replaceChildren();
      this.failure = '';
      emit(this, 'insight-render', { cardId: this.cardId });
      return;
    }
    if (!data || !visualization || !canvas || !this.isConnected || width === 0) return;
    try {
      const theme = this.#readTheme();
      const spec = toVegaLite(visualization, data, { theme, height: this.height, width, clickable: !!this.drill });
      const embed = await loadVegaEmbed();
      if (id !== this.#paintId) return;
      const result = await embed(canvas, spec, {
        renderer: 'svg',
        actions: false,
        defaultStyle: false,
        tooltip: { theme: isDark(theme.text) ? 'dark' : 'light' },
      });
      if (id !== this.#paintId) {
        // Data changed or the element left the page while vega was drawing.
        result.finalize();
        return;
      }
      this.#result = result;
      this.#appliedWidth = width;
      // The container may have changed size while vega drew.
      this.#syncWidth();
      result.view.addEventListener('click', (_event, item) => {
        const datum = (item as { datum?: unknown } | null | undefined)?.datum;
        if (datum && typeof datum === 'object') this.#drillTo(datum as Record<string, unknown>);
      });
      this.failure = '';
      this.painted = true;
      emit(this, 'insight-render', { cardId: this.cardId });
    } catch (error) {
      if (id !== this.#paintId) return;
      const detail = errorDetail(error);
      this.failure = detail.message;
      emit(this, 'insight-error', { code: 'ERR_CHART_RENDER', message: detail.message, cardId: this.cardId });
    }
  }

  /** Fires `insight-drill` for a chosen datum (nothing when the datum sets no filter, e.g. a click on an axis). */
  #drillTo(datum: Record<string, unknown>): void {
    const drill = this.drill;
    if (!drill) return;
    const filters = drillFilters(drill, datum);
    if (Object.keys(drill.filters).length > 0 && Object.keys(filters).length === 0) return;
    const fields = new Set(this.data?.columns.map((c) => c.name));
    const plain = Object.fromEntries(Object.entries(datum).flatMap(([k, v]) => (fields.has(k) ? [[k, v instanceof Date ? v.toISOString() : v]] : [])));
    emit(this, 'insight-drill', { cardId: this.cardId, page: drill.page, filters, datum: plain }, { cancelable: true });
  }

  #onRowKeydown(event: KeyboardEvent, datum: Record<string, unknown>): void {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    event.preventDefault();
    this.#drillTo(datum);
  }

  override render() {
    const data = this.data;
    const drill = this.drill;
    const empty = data !== null && data.rows.length === 0;
    const summary = data && this.visualization ? describeChart(this.visualization, data, this.label) : this.label || 'Chart';
    return html`
      <div part="chart" class=${drill ? 'chart drillable' : 'chart'} style=${`--ie-chart-height: ${this.height}px`}>
        <span class="probe" aria-hidden="true"></span>
        <span class="watch" aria-hidden="true" @transitionend=${this.#onThemeChange}></span>
        <div part="canvas" class="canvas" role="img" aria-label=${summary} ?hidden=${empty}><div class="vega" aria-hidden="true"></div></div>
        ${this.failure
          ? html`<div class="error" role="alert"><strong>This chart could not be drawn</strong><span>${this.failure}</span></div>`
          : empty
            ? html`<p part="empty" class="empty">No data to chart</p>`
          : this.painted
            ? nothing
            : html`<div class="placeholder skeleton" aria-hidden="true"></div>`}
        ${data
          ? html`
              <div class="toolbar">
                <button
                  type="button"
                  part="data-toggle"
                  class="toggle"
                  aria-expanded=${this.showData ? 'true' : 'false'}
                  aria-controls="data"
                  @click=${() => (this.showData = !this.showData)}
                >
                  ${this.showData ? 'Hide data' : 'Show data'}
                </button>
              </div>
              <div id="data" class=${this.showData ? 'data' : 'data sr-only'}>
                <table part="data-table">
                  <caption class="sr-only">${this.label ? `${this.label}: data` : 'Chart data'}</caption>
                  <thead>
                    <tr>
                      ${data.columns.map((c) => html`<th scope="col" class=${isNumericColumn(c) ? 'num' : ''}>${columnLabel(c)}</th>`)}
                    </tr>
                  </thead>
                  <tbody>
                    ${data.rows.map((row) => {
                      const cells = data.columns.map((c, i) => html`<td class=${isNumericColumn(c) ? 'num' : ''}>${formatCell(row[i], c)}</td>`);
                      if (!drill) return html`<tr>${cells}</tr>`;
                      const datum = rowDatum(data, row);
                      return html`<tr
                        class="drillable"
                        tabindex=${this.showData ? 0 : -1}
                        aria-describedby="drill-hint"
                        @click=${() => this.#drillTo(datum)}
                        @keydown=${(e: KeyboardEvent) => this.#onRowKeydown(e, datum)}
                      >
                        ${cells}
                      </tr>`;
                    })}
                  </tbody>
                </table>
                ${drill ? html`<p id="drill-hint" class="sr-only">Press Enter to drill down into this row.</p>` : nothing}
              </div>
            `
          : nothing}
      </div>
    `;
  }
}

/** Whether a resolved `rgb()` text colour is light, i.e. the theme is dark. */
function isDark(rgb: string): boolean {
  const [r = 0, g = 0, b = 0] = (rgb.match(/[\d.]+/g) ?? []).map(Number);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 140;
}
