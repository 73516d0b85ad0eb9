import { LitElement, html, nothing, type PropertyDeclarations, type PropertyValues } from 'lit';
import type { CardData, ResultColumn } from '../../sdk/protocol.ts';
import { columnLabel, formatCell, isNumericColumn } from '../shared/format-value.ts';
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

/**
 * @summary A data table of a card's result: caption, column headers from the
 * column labels, values formatted with Intl, sortable by its header buttons.
 *
 * @csspart table - The `<table>`.
 * @csspart caption - The caption.
 * @csspart header-cell - Each column header.
 * @csspart sort-button - The button inside each header that sorts by that column.
 * @csspart cell - Each data cell.
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
    sortIndex: { state: true },
    sortDirection: { state: true },
  };

  declare data: CardData | null;
  /** The caption (accessible name of the table). */
  declare label: string;
  /** Keeps the caption for assistive technology but hides it visually (when a card title shows it already). */
  declare hideCaption: boolean;
  declare locale: string | undefined;
  declare sortIndex: number;
  declare sortDirection: SortDirection;

  constructor() {
    super();
    this.data = null;
    this.label = '';
    this.hideCaption = false;
    this.locale = undefined;
    this.sortIndex = -1;
    this.sortDirection = 'ascending';
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // New data with other columns: the old sort column may not exist any more.
    if (changed.has('data') && this.sortIndex >= (this.data?.columns.length ?? 0)) this.sortIndex = -1;
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
  }

  override render() {
    const data = this.data;
    if (!data) return nothing;
    const sortColumn = data.columns[this.sortIndex];
    const rows = sortColumn ? sortRows(data.rows, this.sortIndex, this.sortDirection, sortColumn) : data.rows;
    return html`
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
            ${rows.map(
              (row) =>
                html`<tr>
                  ${data.columns.map(
                    (column, index) =>
                      html`<td part="cell" class=${isNumericColumn(column) ? 'num' : ''}>${formatCell(row[index], column, this.locale)}</td>`,
                  )}
                </tr>`,
            )}
          </tbody>
        </table>
        ${rows.length === 0 ? html`<p class="empty">No rows match the current filters.</p>` : nothing}
      </div>
    `;
  }
}
