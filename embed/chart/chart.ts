import { InsightChart } from './chart.component.ts';

export { InsightChart };

if (!customElements.get('insight-chart')) customElements.define('insight-chart', InsightChart);

declare global {
  interface HTMLElementTagNameMap {
    'insight-chart': InsightChart;
  }
}
