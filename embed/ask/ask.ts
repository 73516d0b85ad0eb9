import { InsightAsk } from './ask.component.ts';
import '../chart/chart.ts';
import '../table/table.ts';

export { InsightAsk };

if (!customElements.get('insight-ask')) customElements.define('insight-ask', InsightAsk);

declare global {
  interface HTMLElementTagNameMap {
    'insight-ask': InsightAsk;
  }
}
