/**
 * Compiles a card's chart shorthand (`chartType`, `x`, `y`, `color`) and its
 * data into a Vega-Lite spec. Pure: no DOM, no vega import, so the decision of
 * what a chart shows is tested without rendering and vega stays lazy.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CardData, ChartShorthand, ResultColumn } from '../../sdk/protocol.ts';
import { columnLabel, parseNumberFormat } from '../shared/format-value.ts';

/** Resolved colours and font the chart is drawn with (read from the `--insight-*` properties). */
export interface ChartTheme {
  font: string;
  text: string;
  muted: string;
  grid: string;
  /** Low end of sequential scales (heatmaps). */
  subtle: string;
  palette: string[];
}

export const DEFAULT_CHART_THEME: ChartTheme = {
  font: 'ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  text: '#0f172a',
  muted: '#5b6474',
  grid: '#e4e7ec',
  subtle: '#eef0fb',
  palette: ['#4f46e5', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6'],
};

export type FieldType = 'temporal' | 'quantitative' | 'nominal';

export interface ToVegaLiteOptions {
  theme?: ChartTheme;
  /** Plot height in pixels (the width follows the container). */
  height?: number;
  /** Total width in pixels; by default vega follows the container's width. */
  width?: number;
  /** Marks can be clicked (drill-down): a pointer cursor over them. */
  clickable?: boolean;
}

/** Vega-Lite type of a result column: temporal for dates, quantitative for numbers, nominal otherwise. */
export function fieldType(column: Pick<ResultColumn, 'type'> | undefined): FieldType {
  if (column?.type === 'date' || column?.type === 'datetime') return 'temporal';
  if (column?.type === 'number') return 'quantitative';
  return 'nominal';
}

/**
 * d3-format specifier for axis labels of a column format, e.g. `currency:USD` -> `$,.0f`.
 * Other currencies have no d3 symbol in the default locale; their code goes in the axis title.
 */
export function axisFormat(format: string | null | undefined): string | undefined {
  const parsed = parseNumberFormat(format);
  switch (parsed.kind) {
    case 'currency':
      return parsed.currency === 'USD' ? '$,.0f' : ',.0f';
    case 'percent':
      return '.0%';
    case 'integer':
      return ',.0f';
    case 'number':
      return parsed.decimals === undefined ? undefined : `,.${parsed.decimals}f`;
  }
}

/** Like {@link axisFormat} but with cents, for tooltips. */
export function tooltipFormat(format: string | null | undefined): string | undefined {
  const parsed = parseNumberFormat(format);
  if (parsed.kind === 'currency') return parsed.currency === 'USD' ? '$,.2f' : ',.2f';
  if (parsed.kind === 'percent') return '.1%';
  return axisFormat(format) ?? ',.2~f';
}

/** Rows (arrays in column order) as the objects Vega-Lite reads. */
export function toValues(data: Pick<CardData, 'columns' | 'rows'>): Array<Record<string, unknown>> {
  return data.rows.map((row) => Object.fromEntries(data.columns.map((column, i) => [column.name, row[i] ?? null])));
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

type Json = Record<string, unknown>;

/**
 * The calendar unit of a date field's values (periods a query grouped by), so
 * bars span their month or quarter instead of standing as slivers on a time axis.
 */
export function dateUnit(values: Array<Record<string, unknown>>, field: string): 'year' | 'yearquarter' | 'yearmonth' | 'yearmonthdate' {
  const days = values.map((v) => v[field]).filter((v): v is string => typeof v === 'string' && DATE_ONLY.test(v));
  if (days.length === 0 || days.length !== values.length) return 'yearmonthdate';
  if (days.some((d) => !d.endsWith('-01'))) return 'yearmonthdate';
  const months = days.map((d) => d.slice(5, 7));
  if (months.every((m) => m === '01') && new Set(days).size > 1) return 'year';
  return months.every((m) => ['01', '04', '07', '10'].includes(m)) && new Set(months).size > 1 ? 'yearquarter' : 'yearmonth';
}

function titleOf(column: ResultColumn | undefined, field: string): string {
  const title = column ? columnLabel(column) : field;
  const parsed = parseNumberFormat(column?.format);
  return parsed.kind === 'currency' && parsed.currency !== 'USD' ? `${title} (${parsed.currency})` : title;
}

/** The fields a shorthand draws, filled in from the columns where it leaves them out. */
export function resolveFields(visualization: ChartShorthand, columns: readonly ResultColumn[]): { x?: string; y?: string; color?: string } {
  const names = new Set(columns.map((c) => c.name));
  const known = (field: string | undefined) => (field && names.has(field) ? field : undefined);
  const x = known(visualization.x) ?? columns.find((c) => c.type !== 'number')?.name ?? columns[0]?.name;
  const y = known(visualization.y) ?? columns.find((c) => c.type === 'number' && c.name !== x)?.name;
  const color = known(visualization.color);
  return { x, y, color };
}

/**
 * @example
 * const spec = toVegaLite({ chartType: 'bar', x: 'category', y: 'revenue' }, cardData);
 * await vegaEmbed(element, spec, { renderer: 'svg', actions: false });
 */
export function toVegaLite(visualization: ChartShorthand, data: Pick<CardData, 'columns' | 'rows'>, options: ToVegaLiteOptions = {}): TopLevelSpec {
  const theme = options.theme ?? DEFAULT_CHART_THEME;
  const height = options.height ?? 240;
  const byName = new Map(data.columns.map((c) => [c.name, c]));
  const values = toValues(data);

  // Dates without a time are calendar days: parse them in local time so axis
  // ticks and tooltips show the same day in every time zone.
  const parse: Record<string, string> = {};
  for (const column of data.columns) {
    if (fieldType(column) !== 'temporal') continue;
    const allDays = values.every((v) => v[column.name] === null || (typeof v[column.name] === 'string' && DATE_ONLY.test(v[column.name] as string)));
    parse[column.name] = allDays ? "date:'%Y-%m-%d'" : 'date';
  }

  const base: Json = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: Object.keys(parse).length > 0 ? { values, format: { parse } } : { values },
    width: options.width ?? 'container',
    height,
    autosize: { type: 'fit', contains: 'padding', resize: true },
    config: themeConfig(theme, options.clickable ?? false),
  };

  if (visualization.spec) {
    const { data: _ignored, config, ...spec } = visualization.spec as Json;
    return {
      ...base,
      ...spec,
      config: { ...(base['config'] as Json), ...((config as Json | undefined) ?? {}) },
    } as unknown as TopLevelSpec;
  }

  const { x, y, color } = resolveFields(visualization, data.columns);
  const xColumn = x ? byName.get(x) : undefined;
  const yColumn = y ? byName.get(y) : undefined;
  const colorColumn = color ? byName.get(color) : undefined;

  const channel = (field: string | undefined, column: ResultColumn | undefined, extra: Json = {}): Json | undefined => {
    if (!field) return undefined;
    const type = fieldType(column);
    const format = type === 'quantitative' ? axisFormat(column?.format) : undefined;
    return {
      field,
      type,
      title: titleOf(column, field),
      ...(type === 'nominal' ? { sort: null } : {}),
      ...(format ? { axis: { format } } : {}),
      ...extra,
    };
  };

  const tooltip = [
    [x, xColumn],
    [y, yColumn],
    [color, colorColumn],
  ]
    .filter((pair): pair is [string, ResultColumn | undefined] => typeof pair[0] === 'string')
    .filter(([field], i, all) => all.findIndex(([f]) => f === field) === i)
    .map(([field, column]) => {
      const type = fieldType(column);
      const format = type === 'quantitative' ? tooltipFormat(column?.format) : type === 'temporal' ? '%b %-d, %Y' : undefined;
      return { field, type, title: titleOf(column, field), ...(format ? { format } : {}) };
    });

  const few = data.rows.length <= 12;
  const nominalX = fieldType(xColumn) === 'nominal';
  const xAxis = (enc: Json | undefined): Json | undefined =>
    enc && nominalX && few
      ? {
          ...enc,
          // Upright labels while they fit; slanted on narrow cards (phones) so category names never overlap.
          axis: {
            ...((enc['axis'] as Json | undefined) ?? {}),
            labelAngle: { expr: `width / ${data.rows.length} < 72 ? -40 : 0` },
            labelAlign: { expr: `width / ${data.rows.length} < 72 ? 'right' : 'center'` },
            labelLimit: 110,
          },
        }
      : enc;
  const colorEnc = color ? channel(color, colorColumn, { legend: { orient: 'bottom', title: null } }) : undefined;

  let mark: Json;
  let encoding: Json;
  switch (visualization.chartType) {
    case 'bar':
    case 'stacked_bar': {
      const horizontal = fieldType(xColumn) === 'quantitative' && fieldType(yColumn) !== 'quantitative';
      mark = { type: 'bar', cornerRadiusEnd: 3, ...(nominalX && few && !colorEnc ? { width: { band: 0.7 } } : {}) };
      // Side-by-side bars are not a stack; saying so keeps them plain rects (rounded ends on a stack need a clip group per bar).
      const unstacked = visualization.chartType === 'bar' ? { stack: null } : {};
      // Periods as discrete bands: one bar per month or quarter, labelled by it, with no tick past the last period.
      const periods = x ? new Set(values.map((v) => String(v[x]))).size : 0;
      const unit =
        fieldType(xColumn) === 'temporal' && x
          ? {
              type: 'ordinal',
              timeUnit: dateUnit(values, x),
              axis: { labelAngle: { expr: `width / ${periods} < 52 ? -40 : 0` }, labelAlign: { expr: `width / ${periods} < 52 ? 'right' : 'center'` } },
            }
          : {};
      encoding = horizontal
        ? { x: channel(x, xColumn, unstacked), y: channel(y, yColumn) }
        : { x: xAxis(channel(x, xColumn, unit)), y: channel(y, yColumn, unstacked) };
      if (colorEnc) {
        encoding['color'] = colorEnc;
        // Plain bars with a colour field sit side by side; stacked bars pile up.
        if (visualization.chartType === 'bar') encoding[horizontal ? 'yOffset' : 'xOffset'] = { field: color };
      }
      break;
    }
    case 'line':
      mark = { type: 'line', interpolate: 'monotone', strokeWidth: 2, point: data.rows.length <= 60 ? { size: 28, filled: true } : false };
      encoding = { x: xAxis(channel(x, xColumn)), y: channel(y, yColumn), ...(colorEnc ? { color: colorEnc } : {}) };
      break;
    case 'area':
      mark = { type: 'area', interpolate: 'monotone', line: { strokeWidth: 2 }, fillOpacity: 0.18 };
      encoding = { x: xAxis(channel(x, xColumn)), y: channel(y, yColumn), ...(colorEnc ? { color: colorEnc } : {}) };
      break;
    case 'scatter':
      mark = { type: 'point', filled: true, size: 56, opacity: 0.8 };
      encoding = {
        x: channel(x, xColumn, { scale: { zero: false } }),
        y: channel(y, yColumn, { scale: { zero: false } }),
        ...(colorEnc ? { color: colorEnc } : {}),
      };
      break;
    case 'pie':
    case 'donut': {
      // x names the slices, y sizes them.
      const radius = Math.floor(height / 2) - 8;
      mark = { type: 'arc', outerRadius: radius, stroke: null, ...(visualization.chartType === 'donut' ? { innerRadius: Math.round(radius * 0.58), padAngle: 0.01 } : {}) };
      encoding = {
        theta: { field: y, type: 'quantitative', stack: true, title: titleOf(yColumn, y ?? '') },
        color: { field: color ?? x, type: 'nominal', sort: null, title: null, legend: { orient: 'right' } },
      };
      break;
    }
    case 'heatmap': {
      // Cells at (x, y) coloured by a measure: the `color` field or the first other number.
      const measure = color ?? data.columns.find((c) => c.type === 'number' && c.name !== x && c.name !== y)?.name;
      const measureColumn = measure ? byName.get(measure) : undefined;
      const discrete = (field: string | undefined, column: ResultColumn | undefined): Json | undefined => {
        if (!field) return undefined;
        const type = fieldType(column);
        return {
          field,
          type: 'ordinal',
          title: titleOf(column, field),
          ...(type === 'temporal' ? { timeUnit: 'yearmonthdate' } : {}),
          ...(type === 'nominal' ? { sort: null } : {}),
        };
      };
      mark = { type: 'rect', cornerRadius: 2 };
      const columnsCount = new Set(values.map((v) => String(x ? v[x] : ''))).size;
      const xEnc = discrete(x, xColumn);
      encoding = {
        // Upright column labels while they fit; slanted on narrow cards.
        x: xEnc
          ? {
              ...xEnc,
              axis: {
                labelAngle: { expr: `width / ${columnsCount} < 80 ? -40 : 0` },
                labelAlign: { expr: `width / ${columnsCount} < 80 ? 'right' : 'center'` },
                labelLimit: 120,
              },
            }
          : undefined,
        y: discrete(y, yColumn),
        ...(measure
          ? {
              color: {
                field: measure,
                type: 'quantitative',
                title: titleOf(measureColumn, measure),
                scale: { range: [theme.subtle, theme.palette[0] ?? theme.text] },
                legend: { orient: 'bottom', ...(axisFormat(measureColumn?.format) ? { format: axisFormat(measureColumn?.format) } : {}) },
              },
            }
          : {}),
      };
      if (measure && !tooltip.some((t) => t.field === measure)) {
        tooltip.push({ field: measure, type: 'quantitative', title: titleOf(measureColumn, measure), format: tooltipFormat(measureColumn?.format) ?? ',.2~f' });
      }
      break;
    }
  }

  // Channels without a field (a shorthand naming no y, say) are left out rather than sent empty.
  const cleaned = Object.fromEntries(Object.entries(encoding).filter(([, v]) => v !== undefined));
  return { ...base, mark, encoding: { ...cleaned, tooltip } } as unknown as TopLevelSpec;
}

function themeConfig(theme: ChartTheme, clickable: boolean): Json {
  return {
    background: 'transparent',
    font: theme.font,
    padding: 4,
    // The chart's container carries role="img" and a summary; marks need no ARIA of their own.
    aria: false,
    view: { stroke: null },
    range: { category: theme.palette },
    mark: { color: theme.palette[0], aria: false, ...(clickable ? { cursor: 'pointer' } : {}) },
    axis: {
      labelColor: theme.muted,
      titleColor: theme.muted,
      labelFontSize: 11,
      titleFontSize: 11,
      titleFontWeight: 500,
      labelPadding: 6,
      titlePadding: 10,
      gridColor: theme.grid,
      domainColor: theme.grid,
      tickColor: theme.grid,
      labelLimit: 140,
      aria: false,
    },
    axisX: { grid: false, tickSize: 4, labelSeparation: 8 },
    axisY: { domain: false, ticks: false, gridDash: [3, 3], labelFlush: false },
    axisBand: { domain: true },
    legend: { aria: false, labelColor: theme.text, titleColor: theme.muted, labelFontSize: 11, symbolType: 'circle', symbolSize: 80 },
    line: { strokeCap: 'round' },
  };
}
