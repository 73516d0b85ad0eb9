/**
 * Drill-down from a chosen mark or row: which story filters it sets. Shared by
 * `<insight-chart>` (marks and its data table) and `<insight-table>` (rows).
 */
import type { CardData, DrillTarget, FilterValue, FilterValues, StoryFilter } from '../../sdk/protocol.ts';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}/;

const pad = (n: number) => String(n).padStart(2, '0');
const localDay = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** A datum value as a filter value: dates as calendar days, other objects dropped. */
function plain(value: unknown): string | number | boolean | null {
  // Charts parse calendar days in local time (see to-vega-lite.ts), so the local date is the day shown.
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : localDay(value);
  if (typeof value === 'string') return DATE_ONLY.test(value) && value.length > 10 && !Number.isNaN(Date.parse(value)) ? value.slice(0, 10) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return null;
}

/**
 * The story filter values a drill sets from a datum: each `field → filter`
 * of the target that the datum has a value for.
 * @example drillFilters({ page: 'region-detail', filters: { region: 'region' } }, { region: 'West', revenue: 12 }) // { region: 'West' }
 */
export function drillFilters(drill: DrillTarget, datum: Record<string, unknown>): FilterValues {
  // Null prototype: a filter may be named __proto__, which `out[name] =` on a plain {} would turn into a prototype.
  const out: FilterValues = Object.create(null);
  for (const [field, filter] of Object.entries(drill.filters)) {
    const value = plain(Object.hasOwn(datum, field) ? datum[field] : undefined);
    if (value !== null && value !== '') out[filter] = value as FilterValue;
  }
  return out;
}

/** A row of card data (arrays in column order) as an object by column name. */
export function rowDatum(data: Pick<CardData, 'columns'>, row: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(data.columns.map((c, i) => [c.name, row[i] ?? null]));
}

/**
 * Fits a drilled value to the type of the story filter it sets: one value for
 * `select` and `search`, a list for `multi_select`, that day for `date_range`,
 * that number for `range`.
 */
export function coerceDrillValue(filter: Pick<StoryFilter, 'type'> | undefined, value: FilterValue): FilterValue {
  if (!filter || value === null || typeof value === 'object') return value;
  switch (filter.type) {
    case 'multi_select':
      return [value as string | number];
    case 'date_range':
      return typeof value === 'string' ? { from: value, to: value } : value;
    case 'range':
      return typeof value === 'number' ? { min: value, max: value } : value;
    case 'search':
      return String(value);
    default:
      return value;
  }
}

/** Short text of one filter value: "West", "East, West", "last 30 days", "2025-01-01 – 2025-03-31"; '' when it sets nothing. */
export function describeFilterValue(v: FilterValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'object') {
    const r = v as Record<string, unknown>;
    if (typeof r['preset'] === 'string') return r['preset'].replace(/_/g, ' ');
    const a = r['from'] ?? r['min'];
    const b = r['to'] ?? r['max'];
    if ((a === undefined || a === null || a === '') && (b === undefined || b === null || b === '')) return '';
    return a === b ? String(a ?? '') : `${String(a ?? '…')} – ${String(b ?? '…')}`;
  }
  return String(v);
}

/** Short text of the filters a drill applies, for hints and the breadcrumb: "West", "West · 2025-03-01". */
export function describeDrill(filters: FilterValues): string {
  return Object.values(filters).map(describeFilterValue).filter(Boolean).join(' · ');
}
