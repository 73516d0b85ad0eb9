/**
 * Turns the filter values a viewer sends into structured-query filters for one
 * card. Only the story's own filters exist for a viewer; a filter on a column
 * locked by the token is hidden and refused, so locked params can never be
 * overridden (and the row policy would confine the rows anyway).
 */
import { InsightError } from '../errors/insight-error.ts';
import { DATE_PRESETS, resolveDatePreset, type DatePreset } from '../query/date-presets.ts';

export { DATE_PRESETS, resolveDatePreset, type DatePreset };
import type { QueryFilter } from '../query/structured-query.ts';
import { filterAppliesTo, type CardModel, type FilterModel } from './story-repository.ts';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

const isScalar = (v: unknown): v is string | number => (typeof v === 'string' && v.length <= 1000) || (typeof v === 'number' && Number.isFinite(v));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(filter: FilterModel, why: string): InsightError {
  return new InsightError('ERR_FILTER_VALUE', `Filter "${filter.name}": ${why}`, { filter: filter.name });
}

/** Structured filters for one filter value; empty when the value means "no filter". */
export function filterToConditions(filter: FilterModel, value: unknown, now: Date = new Date()): QueryFilter[] {
  if (value === null || value === undefined || value === '') return [];
  const column = filter.column;
  switch (filter.type) {
    case 'select':
      if (!isScalar(value)) throw invalid(filter, 'expects one value');
      return [{ column, op: 'eq', value }];
    case 'multi_select':
      if (!Array.isArray(value) || value.length > 1000 || !value.every(isScalar)) throw invalid(filter, 'expects a list of values');
      return value.length === 0 ? [] : [{ column, op: 'in', value }];
    case 'search':
      if (typeof value !== 'string' || value.length > 200) throw invalid(filter, 'expects a search text');
      return [{ column, op: 'contains', value }];
    case 'range': {
      if (!isObject(value)) throw invalid(filter, 'expects { min, max }');
      const out: QueryFilter[] = [];
      for (const [bound, op] of [['min', 'gte'], ['max', 'lte']] as const) {
        const v = value[bound];
        if (v === undefined || v === null) continue;
        if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(filter, `${bound} must be a number`);
        out.push({ column, op, value: v });
      }
      return out;
    }
    case 'date_range': {
      if (!isObject(value)) throw invalid(filter, 'expects { from, to } or { preset }');
      let { from, to } = value as { from?: unknown; to?: unknown };
      if (value['preset'] !== undefined) {
        if (!DATE_PRESETS.includes(value['preset'] as DatePreset)) throw invalid(filter, 'unknown preset');
        ({ from, to } = resolveDatePreset(value['preset'] as DatePreset, now));
      }
      const out: QueryFilter[] = [];
      for (const [v, op] of [[from, 'gte'], [to, 'lte']] as const) {
        if (v === undefined || v === null || v === '') continue;
        if (typeof v !== 'string' || !ISO_DATE.test(v) || Number.isNaN(Date.parse(v))) throw invalid(filter, 'dates must be YYYY-MM-DD');
        out.push({ column, op, value: v });
      }
      return out;
    }
  }
}

/** Filters visible to a viewer: those not on a column the token locks. */
export function visibleFilters(filters: readonly FilterModel[], lockedParams: Readonly<Record<string, unknown>>): FilterModel[] {
  return filters.filter((f) => !Object.hasOwn(lockedParams, f.column) && !Object.hasOwn(lockedParams, f.name));
}

/**
 * The structured filters for a card given the viewer's filter values.
 * Absent values fall back to each filter's default; `null` clears a filter.
 */
export function cardConditions(
  card: CardModel,
  filters: readonly FilterModel[],
  values: Readonly<Record<string, unknown>>,
  lockedParams: Readonly<Record<string, unknown>>,
  now: Date = new Date(),
): QueryFilter[] {
  const visible = visibleFilters(filters, lockedParams);
  const byName = new Map(visible.map((f) => [f.name, f]));
  for (const name of Object.keys(values)) {
    if (!byName.has(name)) throw new InsightError('ERR_FILTER_UNKNOWN', `The story has no filter named "${name.slice(0, 100)}"`);
  }
  return visible
    .filter((f) => filterAppliesTo(f, card))
    .flatMap((f) => filterToConditions(f, Object.hasOwn(values, f.name) ? values[f.name] : f.defaultValue, now));
}
