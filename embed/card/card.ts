import { InsightCard } from './card.component.ts';
import '../chart/chart.ts';
import '../metric/metric.ts';
import '../table/table.ts';

export { InsightCard };

if (!customElements.get('insight-card')) customElements.define('insight-card', InsightCard);

declare global {
  interface HTMLElementTagNameMap {
    'insight-card': InsightCard;
  }
}
