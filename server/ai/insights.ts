/**
 * Insights computed, not guessed: trend and change over time, the top
 * contributors to a change, outliers (z-score and IQR), and concentration
 * (top share). Every number in the output comes from these statistics, so
 * the analysis is correct without a model; a model may only retell it
 * (narrate-analysis.ts).
 */
import type { ColumnType } from '@insight-engine/sdk/protocol';

export interface ResultSetColumn {
  name: string;
  type?: ColumnType | undefined;
  label?: string | undefined;
}

export interface ResultSet {
  columns: ResultSetColumn[];
  rows: unknown[][];
}

export type Importance = 'high' | 'medium' | 'low';

export interface Insight {
  kind: 'trend' | 'change' | 'contributors' | 'outlier' | 'concentration';
  title: string;
  detail: string;
  importance: Importance;
}

export interface Recommendation {
  title: string;
  rationale: string;
  priority: Importance;
}

export interface Analysis {
  summary: string;
  insights: Insight[];
  recommendations: Recommendation[];
}

type Role = 'time' | 'measure' | 'dimension';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/;
const ID_NAME = /(^id$|_id$|^id_)/i;

function roleOf(column: ResultSetColumn, values: unknown[]): Role {
  const present = values.filter((v) => v !== null && v !== undefined);
  const type = column.type && column.type !== 'unknown' ? column.type : present.every((v) => typeof v === 'number') ? 'number' : present.every((v) => typeof v === 'string' && ISO_DATE.test(v)) ? 'date' : 'string';
  if (type === 'date' || type === 'datetime') return 'time';
  if (type === 'number' && !ID_NAME.test(column.name)) return 'measure';
  return 'dimension';
}

const label = (c: ResultSetColumn) => c.label ?? c.name.replace(/_/g, ' ').replace(/^\w/, (s) => s.toUpperCase());
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

/** Numbers as people read them: thousands separators, at most two decimals. */
export function formatNumber(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: Math.abs(n) >= 100 ? 0 : 2 });
}
export const formatPercent = (ratio: number) => `${(ratio * 100).toLocaleString('en-US', { maximumFractionDigits: 1 })}%`;
const signed = (n: number, format: (n: number) => string) => (n > 0 ? `+${format(n)}` : format(n));

function sumBy(rows: unknown[][], key: (row: unknown[]) => string, value: number): Map<string, number> {
  const totals = new Map<string, number>();
  for (const row of rows) {
    const v = num(row[value]);
    if (v === null) continue;
    const k = key(row);
    totals.set(k, (totals.get(k) ?? 0) + v);
  }
  return totals;
}

/** Least-squares line through (0, y0), (1, y1), ...: slope per step and R². */
export function linearTrend(values: readonly number[]): { slope: number; r2: number } {
  const n = values.length;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  values.forEach((y, x) => {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
    syy += (y - meanY) ** 2;
  });
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const r2 = sxx === 0 || syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, r2 };
}

/** Quartiles by linear interpolation between order statistics. */
export function quartiles(sorted: readonly number[]): { q1: number; median: number; q3: number } {
  const at = (p: number) => {
    const i = (sorted.length - 1) * p;
    const lo = Math.floor(i);
    const hi = Math.ceil(i);
    return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (i - lo);
  };
  return { q1: at(0.25), median: at(0.5), q3: at(0.75) };
}

/**
 * Values outside Tukey's fences (1.5 × IQR) or more than 3 standard
 * deviations from the mean, most extreme first.
 */
export function findOutliers(values: ReadonlyArray<{ label: string; value: number }>): Array<{ label: string; value: number; z: number; extreme: boolean }> {
  if (values.length < 5) return [];
  const xs = values.map((v) => v.value);
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1));
  const { q1, q3 } = quartiles([...xs].sort((a, b) => a - b));
  const iqr = q3 - q1;
  return values
    .map((v) => ({ ...v, z: sd === 0 ? 0 : (v.value - mean) / sd }))
    .filter((v) => Math.abs(v.z) >= 3 || (iqr > 0 && (v.value < q1 - 1.5 * iqr || v.value > q3 + 1.5 * iqr)))
    .map((v) => ({ ...v, extreme: Math.abs(v.z) >= 3 || (iqr > 0 && (v.value < q1 - 3 * iqr || v.value > q3 + 3 * iqr)) }))
    .sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
}

const importanceOf = (ratio: number): Importance => (Math.abs(ratio) >= 0.2 ? 'high' : Math.abs(ratio) >= 0.05 ? 'medium' : 'low');
const RANK: Record<Importance, number> = { high: 0, medium: 1, low: 2 };

/**
 * @example
 * analyzeResultSet({ columns: [{ name: 'month', type: 'date' }, { name: 'revenue', type: 'number' }], rows: [['2024-01-01', 100], ['2024-02-01', 80], ['2024-03-01', 60]] })
 * // insights[0]: { kind: 'trend', title: 'Revenue is falling', ... }
 */
export function analyzeResultSet(data: ResultSet): Analysis {
  const roles = data.columns.map((c, i) => roleOf(c, data.rows.map((r) => r[i])));
  const timeIndex = roles.indexOf('time');
  const measureIndex = roles.indexOf('measure');
  const dimensionIndex = roles.indexOf('dimension');
  const insights: Insight[] = [];
  const recommendations: Recommendation[] = [];
  if (measureIndex < 0 || data.rows.length === 0) {
    return {
      summary: data.rows.length === 0 ? 'The result has no rows.' : `${formatNumber(data.rows.length)} rows without a numeric column to analyse.`,
      insights,
      recommendations: [{ title: 'Add a measure', rationale: 'Trends, outliers and shares need a numeric column such as a sum or a count.', priority: 'low' }],
    };
  }
  const measure = data.columns[measureIndex] as ResultSetColumn;
  const measureLabel = label(measure);
  const dimension = dimensionIndex >= 0 ? (data.columns[dimensionIndex] as ResultSetColumn) : undefined;
  const dimensionKey = (row: unknown[]) => String(row[dimensionIndex] ?? '(empty)');

  if (timeIndex >= 0) {
    const byTime = [...sumBy(data.rows, (r) => String(r[timeIndex]).slice(0, 10), measureIndex)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (byTime.length >= 3) {
      const series = byTime.map(([, v]) => v);
      const [firstAt, first] = byTime[0] as [string, number];
      const [lastAt, last] = byTime.at(-1) as [string, number];
      const [prevAt, prev] = byTime.at(-2) as [string, number];
      const { slope, r2 } = linearTrend(series);
      const mean = series.reduce((s, v) => s + v, 0) / series.length;
      const fitted = mean === 0 ? 0 : (slope * (series.length - 1)) / Math.abs(mean);
      const direction = Math.abs(fitted) < 0.05 || r2 < 0.2 ? 'flat' : fitted > 0 ? 'rising' : 'falling';
      const overall = first === 0 ? null : (last - first) / Math.abs(first);
      insights.push({
        kind: 'trend',
        title: direction === 'flat' ? `${measureLabel} is broadly flat` : `${measureLabel} is ${direction}`,
        detail: `From ${formatNumber(first)} (${firstAt}) to ${formatNumber(last)} (${lastAt})${overall === null ? '' : `, ${signed(overall, formatPercent)}`}, over ${series.length} periods; the trend line moves ${signed(slope, formatNumber)} per period (R² ${r2.toFixed(2)}).`,
        importance: direction === 'flat' ? 'low' : r2 >= 0.5 ? importanceOf(fitted) : 'medium',
      });
      if (prev !== 0) {
        const change = (last - prev) / Math.abs(prev);
        insights.push({
          kind: 'change',
          title: `${measureLabel} ${change >= 0 ? 'rose' : 'fell'} ${formatPercent(Math.abs(change))} in the latest period`,
          detail: `${formatNumber(last)} in ${lastAt} against ${formatNumber(prev)} in ${prevAt} (${signed(last - prev, formatNumber)}).`,
          importance: importanceOf(change),
        });
        if (dimension) {
          const before = sumBy(data.rows.filter((r) => String(r[timeIndex]).slice(0, 10) === prevAt), dimensionKey, measureIndex);
          const after = sumBy(data.rows.filter((r) => String(r[timeIndex]).slice(0, 10) === lastAt), dimensionKey, measureIndex);
          const total = last - prev;
          const deltas = [...new Set([...before.keys(), ...after.keys()])]
            .map((k) => ({ key: k, delta: (after.get(k) ?? 0) - (before.get(k) ?? 0) }))
            .filter((d) => d.delta !== 0 && Math.sign(d.delta) === Math.sign(total))
            .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta))
            .slice(0, 3);
          if (deltas.length > 0 && total !== 0) {
            insights.push({
              kind: 'contributors',
              title: `${deltas[0]?.key} drove most of the ${total > 0 ? 'increase' : 'decrease'}`,
              detail: `Largest contributions by ${label(dimension).toLowerCase()} to the change of ${signed(total, formatNumber)}: ${deltas.map((d) => `${d.key} ${signed(d.delta, formatNumber)} (${formatPercent(d.delta / total)})`).join(', ')}.`,
              importance: importanceOf(change),
            });
          }
        }
      }
    }
  }

  // Outliers and concentration are about categories: one total per dimension value when there is one, else per row.
  const points = dimension
    ? [...sumBy(data.rows, dimensionKey, measureIndex)].map(([k, v]) => ({ label: k, value: v }))
    : data.rows.flatMap((r, i) => {
        const v = num(r[measureIndex]);
        return v === null ? [] : [{ label: timeIndex >= 0 ? String(r[timeIndex]).slice(0, 10) : `row ${i + 1}`, value: v }];
      });
  const outliers = findOutliers(points).slice(0, 3);
  if (outliers.length > 0) {
    const median = quartiles(points.map((p) => p.value).sort((a, b) => a - b)).median;
    const top = outliers[0] as (typeof outliers)[number];
    insights.push({
      kind: 'outlier',
      title: `${top.label} is ${top.value > median ? 'unusually high' : 'unusually low'}`,
      detail: `${outliers.map((o) => `${o.label}: ${formatNumber(o.value)} (z ${o.z.toFixed(1)})`).join('; ')} against a median of ${formatNumber(median)}.`,
      importance: top.extreme ? 'high' : 'medium',
    });
  }

  if (dimension && points.length >= 3 && points.every((p) => p.value >= 0)) {
    const sorted = [...points].sort((a, b) => b.value - a.value);
    const total = sorted.reduce((s, p) => s + p.value, 0);
    if (total > 0) {
      const top1 = (sorted[0] as (typeof sorted)[number]).value / total;
      const top3 = sorted.slice(0, 3).reduce((s, p) => s + p.value, 0) / total;
      const even = 1 / sorted.length;
      insights.push({
        kind: 'concentration',
        title: top1 >= 0.5 ? `${sorted[0]?.label} accounts for most of the ${measureLabel.toLowerCase()}` : top1 >= 2 * even && top1 >= 0.3 ? `${measureLabel} is concentrated in ${sorted[0]?.label}` : `${measureLabel} is spread across ${label(dimension).toLowerCase()} values`,
        detail: `${sorted[0]?.label} has ${formatPercent(top1)} of ${formatNumber(total)}; the top 3 of ${sorted.length} have ${formatPercent(top3)}.`,
        importance: top1 >= 0.5 ? 'high' : top1 >= 2 * even && top1 >= 0.3 ? 'medium' : 'low',
      });
      if (top1 >= 0.5 || (top1 >= 2 * even && top1 >= 0.3)) {
        recommendations.push({
          title: `Reduce dependence on ${sorted[0]?.label}`,
          rationale: `${formatPercent(top1)} of ${measureLabel.toLowerCase()} comes from one ${label(dimension).toLowerCase()}; a change there moves the whole total.`,
          priority: top1 >= 0.5 ? 'high' : 'medium',
        });
      }
    }
  }

  const trend = insights.find((i) => i.kind === 'trend');
  const change = insights.find((i) => i.kind === 'change');
  const contributors = insights.find((i) => i.kind === 'contributors');
  if (change && change.importance !== 'low' && /fell/.test(change.title)) {
    recommendations.push({ title: `Investigate the drop in ${measureLabel.toLowerCase()}`, rationale: `${change.detail}${contributors ? ` ${contributors.detail}` : ''}`, priority: change.importance });
  } else if (trend && /falling/.test(trend.title)) {
    recommendations.push({ title: `Address the decline in ${measureLabel.toLowerCase()}`, rationale: trend.detail, priority: trend.importance });
  } else if (trend && /rising/.test(trend.title) && contributors) {
    recommendations.push({ title: `Build on what grows ${measureLabel.toLowerCase()}`, rationale: contributors.detail, priority: 'medium' });
  }
  if (outliers.length > 0) {
    const top = outliers[0] as (typeof outliers)[number];
    recommendations.push({ title: `Check ${top.label}`, rationale: `It lies far from the others (z ${top.z.toFixed(1)}); confirm whether it is an error or an opportunity.`, priority: top.extreme ? 'high' : 'medium' });
  }
  if (recommendations.length === 0) {
    recommendations.push({ title: 'Keep monitoring', rationale: 'No strong trend, outlier or concentration stands out in this result.', priority: 'low' });
  }

  insights.sort((a, b) => RANK[a.importance] - RANK[b.importance]);
  recommendations.sort((a, b) => RANK[a.priority] - RANK[b.priority]);
  const headline = insights.slice(0, 2).map((i) => i.title);
  const summary = `${formatNumber(data.rows.length)} rows of ${measureLabel.toLowerCase()}${dimension ? ` by ${label(dimension).toLowerCase()}` : ''}${timeIndex >= 0 ? ' over time' : ''}.${headline.length > 0 ? ` ${headline.join('. ')}.` : ''}`;
  return { summary, insights, recommendations };
}
