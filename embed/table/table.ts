import { InsightTable } from './table.component.ts';

export { InsightTable };

if (!customElements.get('insight-table')) customElements.define('insight-table', InsightTable);

declare global {
  interface HTMLElementTagNameMap {
    'insight-table': InsightTable;
  }
}
