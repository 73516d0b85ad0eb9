import { InsightMetric } from './metric.component.ts';

export { InsightMetric };

if (!customElements.get('insight-metric')) customElements.define('insight-metric', InsightMetric);

declare global {
  interface HTMLElementTagNameMap {
    'insight-metric': InsightMetric;
  }
}
