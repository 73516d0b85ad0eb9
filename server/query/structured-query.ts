/**
 * A structured query over one dataset: what cards, filters, drill-downs and
 * the offline question engine produce. Compiled by `compileStructuredQuery`
 * for the connection's dialect; it never carries SQL text.
 */
import { z } from 'zod';
import { DATE_PRESETS, resolveDatePreset } from './date-presets.ts';

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain identifier');

export const TIME_GRAINS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export const AGGREGATES = ['sum', 'avg', 'count', 'count_distinct', 'min', 'max'] as const;
export const FILTER_OPS = ['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'between', 'contains', 'starts_with', 'is_null', 'not_null', 'relative_date'] as const;

const scalar = z.union([z.string().max(1000), z.number().finite(), z.boolean()]);

export const dimensionSchema = z.object({
  column: identifier,
  grain: z.enum(TIME_GRAINS).optional(),
  as: identifier.optional(),
});

export const measureSchema = z.object({
  agg: z.enum(AGGREGATES),
  column: identifier.optional(),
  as: identifier.optional(),
});

export const queryFilterSchema = z.discriminatedUnion('op', [
  z.object({ column: identifier, op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'contains', 'starts_with']), value: scalar }),
  z.object({ column: identifier, op: z.enum(['in', 'not_in']), value: z.array(scalar).min(1).max(1000) }),
  z.object({ column: identifier, op: z.literal('between'), value: z.tuple([scalar, scalar]) }),
  z.object({ column: identifier, op: z.enum(['is_null', 'not_null']) }),
  /** A relative date range, resolved when the query runs (so "last 30 days" moves with the calendar). */
  z.object({ column: identifier, op: z.literal('relative_date'), value: z.enum(DATE_PRESETS) }),
]);

export const structuredQuerySchema = z.object({
  dataset: identifier,
  dimensions: z.array(dimensionSchema).max(10).default([]),
  measures: z.array(measureSchema).max(20).default([]),
  filters: z.array(queryFilterSchema).max(50).default([]),
  sort: z.array(z.object({ field: identifier, direction: z.enum(['asc', 'desc']).default('asc') })).max(10).default([]),
  limit: z.number().int().min(1).max(1_000_000).optional(),
});

export type Dimension = z.infer<typeof dimensionSchema>;
export type Measure = z.infer<typeof measureSchema>;
export type QueryFilter = z.infer<typeof queryFilterSchema>;
export type StructuredQuery = z.infer<typeof structuredQuerySchema>;
export type TimeGrain = (typeof TIME_GRAINS)[number];

/** The output column name of a dimension. */
export function dimensionAlias(d: Dimension): string {
  return d.as ?? (d.grain ? `${d.column}_${d.grain}` : d.column);
}

/** The output column name of a measure. */
export function measureAlias(m: Measure): string {
  return m.as ?? (m.column ? `${m.agg}_${m.column}` : m.agg);
}

/** Resolves relative date filters to absolute day ranges for `now`, leaving every other filter as it is. */
export function resolveRelativeDates(query: StructuredQuery, now: Date = new Date()): StructuredQuery {
  if (!query.filters.some((f) => f.op === 'relative_date')) return query;
  return {
    ...query,
    filters: query.filters.map((f) => (f.op === 'relative_date' ? { column: f.column, op: 'between' as const, value: toRange(resolveDatePreset(f.value, now)) } : f)),
  };
}

const toRange = (r: { from: string; to: string }): [string, string] => [r.from, r.to];
