import { LitElement, html, nothing, type PropertyDeclarations, type PropertyValues } from 'lit';
import type { CardData, DrillTarget, ResultColumn } from '../../sdk/protocol.ts';
import { drillFilters, rowDatum } from '../shared/drill.ts';
import { emit } from '../shared/events.ts';
import { columnLabel, formatCell, isNumericColumn } from '../shared/format-value.ts';
import { ScrollCue } from '../shared/scroll-cue.ts';
import { tableStyles } from './table.styles.ts';

export type SortDirection = 'ascending' | 'descending';

/** Rows in display order: numbers by value, text by a natural collation, empty values last. */
export function sortRows(rows: readonly unknown[][], index: number, direction: SortDirection, column: Pick<ResultColumn, 'type'>): unknown[][] {
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  const sign = direction === 'ascending' ? 1 : -1;
  const isEmpty = (v: unknown) => v === null || v === undefined || v === '';
  return rows
    .map((row, position) => ({ row, position }))
    .sort((a, b) => {
      const x = a.row[index];
      const y = b.row[index];
      if (isEmpty(x) || isEmpty(y)) return isEmpty(x) === isEmpty(y) ? a.position - b.position : isEmpty(x) ? 1 : -1;
      const order = isNumericColumn(column) ? Number(x) - Number(y) : collator.compare(String(x), String(y));
      return order === 0 ? a.position - b.position : order * sign;
    })
    .map(({ row }) => row);
}

/** Rows per page when no `page-size` is set. */
export const DEFAULT_PAGE_SIZE = 25;

/**
 * @summary A data table of a card's result: caption, column headers from the
 * column labels, values formatted with Intl, sortable by its header buttons
 * (over the rows returned), paged when there are more rows than `page-size`.
 *
 * @event insight-drill - With `drill` set, the user clicked a row or pressed Enter or Space on it. Detail: `{ cardId, page, filters, datum }`. Cancelable.
 *
 * @csspart table - The `<table>`.
 * @csspart caption - The caption.
 * @csspart header-cell - Each column header.
 * @csspart sort-button - The button inside each header that sorts by that column.
 * @csspart cell - Each data cell.
 * @csspart pager - The paging controls.
 * @csspart pager-button - Previous and Next.
 *
 * @cssproperty --insight-color-border - Row separators.
 * @cssproperty --insight-color-text-muted - Header text.
 * @cssproperty --insight-color-accent - Focus ring.
 */
export class InsightTable extends LitElement {
  static override styles = tableStyles;

  static override properties: PropertyDeclarations = {
    data: { attribute: false },
    label: {},
    hideCaption: { type: Boolean, attribute: 'hide-caption' },
    locale: {},
    pageSize: { type: Number, attribute: 'page-size' },
    cardId: { attribute: 'card-id' },
    drill: { attribute: false },
    pageIndex: { state: true },
    sortIndex: { state: true },
    sortDirection: { state: true },
  };

  declare data: CardData | null;
  /** The caption (accessible name of the table). */
  declare label: string;
  /** Keeps the caption for assistive technology but hides it visually (when a card title shows it already). */
  declare hideCaption: boolean;
  declare locale: string | undefined;
  /** Rows per page (default 25); 0 shows every row. */
  declare pageSize: number;
  /** Card id reported in `insight-drill`. */
  declare cardId: string;
  /** Where a chosen row leads; rows become focusable and clickable. */
  declare drill: DrillTarget | null;
  /** The page of rows shown, from 0. */
  declare pageIndex: number;
  declare sortIndex: number;
  declare sortDirection: SortDirection;

  constructor() {
    super();
    this.data = null;
    this.label = '';
    this.hideCaption = false;
    this.locale = undefined;
    this.pageSize = DEFAULT_PAGE_SIZE;
    this.cardId = '';
    this.drill = null;
    this.pageIndex = 0;
    this.sortIndex = -1;
    this.sortDirection = 'ascending';
  }

  /** The fade on a side hiding columns; it also makes a table wider than its card a focusable region. */
  readonly #cue = new ScrollCue(
    this,
    () => this.renderRoot.querySelector<HTMLElement>('.scroll'),
    (overflow, scroll) => this.#markScrollable(scroll, overflow.start || overflow.end),
  );

  /** A table wider than its card scrolls sideways; then its scroll area is a named, focusable region so keyboards can scroll it. */
  #markScrollable(scroll: HTMLElement, scrollable: boolean): void {
    if (scrollable) {
      scroll.setAttribute('tabindex', '0');
      scroll.setAttribute('role', 'region');
      scroll.setAttribute('aria-label', this.label ? `${this.label} (scrolls sideways)` : 'Table (scrolls sideways)');
    } else {
      scroll.removeAttribute('tabindex');
      scroll.removeAttribute('role');
      scroll.removeAttribute('aria-label');
    }
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // New data with other columns: the old sort column may not exist any more.
    if (changed.has('data') && this.sortIndex >= (this.data?.columns.length ?? 0)) this.sortIndex = -1;
    // Other rows (new filters) start at the first page; so does a page that no longer exists.
    if (changed.has('data') || changed.has('pageSize')) this.pageIndex = 0;
    const pages = this.#pageCount();
    if (this.pageIndex >= pages) this.pageIndex = Math.max(0, pages - 1);
  }

  #pageCount(): number {
    const rows = this.data?.rows.length ?? 0;
    return this.pageSize > 0 ? Math.max(1, Math.ceil(rows / this.pageSize)) : 1;
  }

  #drillTo(row: readonly unknown[]): void {
    const drill = this.drill;
    const data = this.data;
    if (!drill || !data) return;
    const datum = rowDatum(data, row);
    emit(this, 'insight-drill', { cardId: this.cardId, page: drill.page, filters: drillFilters(drill, datum), datum }, { cancelable: true });
  }

  #onRowKeydown(event: KeyboardEvent, row: readonly unknown[]): void {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    event.preventDefault();
    this.#drillTo(row);
  }

  private sortBy(index: number): void {
    const column = this.data?.columns[index];
    if (!column) return;
    if (this.sortIndex === index) {
      this.sortDirection = this.sortDirection === 'ascending' ? 'descending' : 'ascending';
    } else {
      this.sortIndex = index;
      // Numbers read best largest first; text alphabetically.
      this.sortDirection = isNumericColumn(column) ? 'descending' : 'ascending';
    }
    this.pageIndex = 0;
  }

  override render() {
    const data = this.data;
    if (!data) return nothing;
    const sortColumn = data.columns[this.sortIndex];
    const sorted = sortColumn ? sortRows(data.rows, this.sortIndex, this.sortDirection, sortColumn) : data.rows;
    const pages = this.#pageCount();
    const size = this.pageSize > 0 ? this.pageSize : sorted.length;
    const first = this.pageIndex * size;
    const rows = pages > 1 ? sorted.slice(first, first + size) : sorted;
    const drill = this.drill;
    return html`
      <div class="scroll-frame">
        <div class="scroll">
          <table part="table">
            ${this.label ? html`<caption part="caption" class=${this.hideCaption ? 'sr-only' : ''}>${this.label}</caption>` : nothing}
            <thead>
              <tr>
                ${data.columns.map((column, index) => {
                  const sorted = index === this.sortIndex;
                  return html`<th
                    scope="col"
                    part="header-cell"
                    class=${isNumericColumn(column) ? 'num' : ''}
                    aria-sort=${sorted ? this.sortDirection : nothing}
                  >
                    <button type="button" part="sort-button" @click=${() => this.sortBy(index)}>
                      ${columnLabel(column)}<span class="sort-icon" aria-hidden="true"
                        >${sorted ? (this.sortDirection === 'ascending' ? '▲' : '▼') : '▼'}</span
                      >
                    </button>
                  </th>`;
                })}
              </tr>
            </thead>
            <tbody>
              ${rows.map((row) => {
                const cells = data.columns.map(
                  (column, index) => html`<td part="cell" class=${isNumericColumn(column) ? 'num' : ''}>${formatCell(row[index], column, this.locale)}</td>`,
                );
                return drill
                  ? html`<tr
                      class="drillable"
                      tabindex="0"
                      aria-describedby="drill-hint"
                      @click=${() => this.#drillTo(row)}
                      @keydown=${(e: KeyboardEvent) => this.#onRowKeydown(e, row)}
                    >
                      ${cells}
                    </tr>`
                  : html`<tr>${cells}</tr>`;
              })}
            </tbody>
          </table>
          ${sorted.length === 0 ? html`<p class="empty">No rows match the current filters.</p>` : nothing}
          ${drill ? html`<p id="drill-hint" class="sr-only">Press Enter to drill down into this row.</p>` : nothing}
        </div>
      </div>
      ${pages > 1
        ? html`<nav part="pager" class="pager" aria-label=${this.label ? `${this.label}: pages` : 'Table pages'}>
            <button type="button" part="pager-button" ?disabled=${this.pageIndex === 0} @click=${() => (this.pageIndex -= 1)}>
              <span aria-hidden="true">‹</span> Previous
            </button>
            <span class="range" role="status"
              >${first + 1}–${Math.min(first + size, sorted.length)} of ${sorted.length}</span
            >
            <button type="button" part="pager-button" ?disabled=${this.pageIndex >= pages - 1} @click=${() => (this.pageIndex += 1)}>
              Next <span aria-hidden="true">›</span>
            </button>
          </nav>`
        : nothing}
    `;
  }
}
