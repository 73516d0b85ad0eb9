import { InsightFilterBar } from './filter-bar.component.ts';

export { InsightFilterBar };

if (!customElements.get('insight-filter-bar')) customElements.define('insight-filter-bar', InsightFilterBar);

declare global {
  interface HTMLElementTagNameMap {
    'insight-filter-bar': InsightFilterBar;
  }
}
