/**
 * What a metric card shows besides its value: the same query over the period
 * just before the applied date range (`options.compare: "previous_period"`),
 * and its first measure over time for a sparkline (`options.sparkline`). Both
 * are structured queries run through the engine like the card itself, so the
 * row policy, the guard and the cache apply unchanged.
 */
import type { CardData } from '@insight-engine/sdk/protocol';
import { resolveRelativeDates, TIME_GRAINS, type QueryFilter, type StructuredQuery, type TimeGrain } from '../query/structured-query.ts';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
const SPARKLINE_POINTS = 400;

interface DateBounds {
  column: string;
  from: string;
  to: string;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The first column the query bounds on both sides by calendar dates (a date-range filter or a resolved preset). */
export function dateBounds(query: StructuredQuery): DateBounds | null {
  const lower = new Map<string, string>();
  const upper = new Map<string, string>();
  for (const f of query.filters) {
    if (f.op === 'between' && typeof f.value[0] === 'string' && typeof f.value[1] === 'string' && ISO_DATE.test(f.value[0]) && ISO_DATE.test(f.value[1])) {
      lower.set(f.column, f.value[0]);
      upper.set(f.column, f.value[1]);
    } else if ((f.op === 'gte' || f.op === 'gt') && typeof f.value === 'string' && ISO_DATE.test(f.value)) {
      lower.set(f.column, f.value);
    } else if ((f.op === 'lte' || f.op === 'lt') && typeof f.value === 'string' && ISO_DATE.test(f.value)) {
      upper.set(f.column, f.value);
    }
  }
  for (const [column, from] of lower) {
    const to = upper.get(column);
    if (to !== undefined && from <= to) return { column, from, to };
  }
  return null;
}

/**
 * The query over the period just before: the same number of whole months
 * when the range is whole months, otherwise the same number of days. Null
 * when the query has no closed date range to shift (all of time has no "before").
 *
 * @example
 * previousPeriodQuery(q) // 2025-04-01..2025-06-30 → 2025-01-01..2025-03-31; 2025-03-10..2025-03-16 → 2025-03-03..2025-03-09
 */
export function previousPeriodQuery(query: StructuredQuery, now: Date = new Date()): { query: StructuredQuery; from: string; to: string } | null {
  const resolved = resolveRelativeDates(query, now);
  const bounds = dateBounds(resolved);
  if (!bounds) return null;
  const previous = previousMonths(bounds.from, bounds.to) ?? previousDays(bounds.from, bounds.to);
  const filters: QueryFilter[] = resolved.filters.filter((f) => f.column !== bounds.column || !isDateBound(f));
  filters.push({ column: bounds.column, op: 'between', value: [previous.from, previous.to] });
  return { query: { ...resolved, filters }, ...previous };
}

/** The same number of days just before. */
function previousDays(fromText: string, toText: string): { from: string; to: string } {
  const from = Date.parse(`${fromText}T00:00:00Z`);
  const to = Date.parse(`${toText}T00:00:00Z`);
  const length = Math.round((to - from) / DAY_MS) + 1;
  return { from: day(from - length * DAY_MS), to: day(from - DAY_MS) };
}

/**
 * Whole calendar months (a month, a quarter, a year) compare with the same
 * number of whole months before: 2025 with 2024, Q2 with Q1, March with
 * February — not with "the 365 days before", which a leap year would shift.
 */
function previousMonths(fromText: string, toText: string): { from: string; to: string } | null {
  const from = new Date(`${fromText}T00:00:00Z`);
  const to = new Date(`${toText}T00:00:00Z`);
  const lastOfMonth = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() + 1, 0));
  if (from.getUTCDate() !== 1 || to.getTime() !== lastOfMonth.getTime()) return null;
  const months = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth() + 1;
  return {
    from: day(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() - months, 1)),
    to: day(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 0)),
  };
}

const isDateBound = (f: QueryFilter) =>
  (f.op === 'between' && typeof f.value[0] === 'string' && ISO_DATE.test(f.value[0])) ||
  (['gte', 'gt', 'lte', 'lt'].includes(f.op) && 'value' in f && typeof f.value === 'string' && ISO_DATE.test(f.value));

export interface SparklineOptions {
  grain: TimeGrain;
  column: string;
}

/** Reads `options.sparkline` (`true` or `{ grain, column }`); the column defaults to the query's date-range column. */
export function sparklineOptions(options: Record<string, unknown>, query: StructuredQuery, now: Date = new Date()): SparklineOptions | null {
  const raw = options['sparkline'];
  if (!raw) return null;
  const spec = typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const grain = TIME_GRAINS.includes(spec['grain'] as TimeGrain) ? (spec['grain'] as TimeGrain) : 'month';
  const column = typeof spec['column'] === 'string' ? spec['column'] : dateBounds(resolveRelativeDates(query, now))?.column;
  return column ? { grain, column } : null;
}

/** The card's first measure by period, oldest first. */
export function sparklineQuery(query: StructuredQuery, sparkline: SparklineOptions): StructuredQuery | null {
  const measure = query.measures[0];
  if (!measure) return null;
  return {
    dataset: query.dataset,
    dimensions: [{ column: sparkline.column, grain: sparkline.grain, as: 'period' }],
    measures: [{ ...measure, as: 'value' }],
    filters: query.filters,
    sort: [{ field: 'period', direction: 'asc' }],
    limit: SPARKLINE_POINTS,
  };
}

/** A readable name for the previous period. */
export function comparisonLabel(from: string, to: string): string {
  return `${from} – ${to}`;
}

export type CardExtras = Pick<CardData, 'comparison' | 'series'>;
