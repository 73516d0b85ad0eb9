import type { CardData, ChartShorthand } from '../../sdk/protocol.ts';
import { columnLabel, formatNumber } from '../shared/format-value.ts';
import { resolveFields } from './to-vega-lite.ts';

const KIND: Record<ChartShorthand['chartType'], string> = {
  bar: 'Bar chart',
  stacked_bar: 'Stacked bar chart',
  line: 'Line chart',
  area: 'Area chart',
  scatter: 'Scatter plot',
  pie: 'Pie chart',
  donut: 'Donut chart',
  heatmap: 'Heatmap',
};

/**
 * A one-sentence text alternative for a chart: its kind, what it plots and
 * the range of the measure, for the `aria-label` of the chart image.
 * @example describeChart({ chartType: 'bar', x: 'region', y: 'revenue' }, data, 'Revenue by region')
 * // "Revenue by region. Bar chart of Revenue by Region, 5 data points, from $82,335.51 to $245,952.99."
 */
export function describeChart(visualization: ChartShorthand, data: Pick<CardData, 'columns' | 'rows'>, label = ''): string {
  const { x, y, color } = resolveFields(visualization, data.columns);
  const column = (name: string | undefined) => data.columns.find((c) => c.name === name);
  const title = (name: string | undefined) => {
    const c = column(name);
    return c ? columnLabel(c) : (name ?? '');
  };
  const parts = [label ? `${label}.` : ''];
  let sentence = visualization.spec ? 'Chart' : KIND[visualization.chartType] ?? 'Chart';
  if (!visualization.spec && y && x) sentence += ` of ${title(y)} by ${title(x)}`;
  if (!visualization.spec && color) sentence += `, coloured by ${title(color)}`;
  const count = data.rows.length;
  sentence += `, ${count} data ${count === 1 ? 'point' : 'points'}`;
  const yIndex = data.columns.findIndex((c) => c.name === y);
  const yColumn = data.columns[yIndex];
  if (yColumn?.type === 'number' && count > 1) {
    const numbers = data.rows.map((r) => r[yIndex]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (numbers.length > 0) {
      const format = (v: number) => formatNumber(v, yColumn.format);
      sentence += `, from ${format(Math.min(...numbers))} to ${format(Math.max(...numbers))}`;
    }
  }
  parts.push(`${sentence}.`);
  return parts.filter(Boolean).join(' ');
}
