/**
 * Turns a parsed intent into the structured query the engine runs, the chips
 * the viewer sees, a one-sentence explanation and a chart suggestion. Every
 * column in the query comes from the intent's dataset; nothing here writes SQL.
 */
import type { AskChip, ChartShorthand } from '@insight-engine/sdk/protocol';
import {
  dimensionAlias,
  measureAlias,
  structuredQuerySchema,
  type Dimension,
  type Measure,
  type QueryFilter,
  type StructuredQuery,
} from '../../query/structured-query.ts';
import { rankedMeasures, type AskColumn } from './ask-dataset.ts';
import type { DimensionIntent, FilterIntent, Intent, MeasureIntent, Span } from './parse-question.ts';

export type BuiltAnswer =
  | { ok: true; query: StructuredQuery; understood: AskChip[]; explanation: string; visualization: ChartShorthand | null }
  /** The words map, but the question is not complete: "top 5 products" ranks by nothing. */
  | { ok: false; message: string; completion: string };

const AGG_WORDS = { sum: 'sum', avg: 'average', count: 'count', count_distinct: 'distinct count', min: 'minimum', max: 'maximum' } as const;
const GRAIN_WORDS = { day: 'day', week: 'week', month: 'month', quarter: 'quarter', year: 'year' } as const;

export function measureLabel(m: Pick<MeasureIntent, 'agg' | 'column'>): string {
  if (!m.column) return 'Rows (count)';
  return `${m.column.label} (${AGG_WORDS[m.agg]})`;
}

function dimensionLabel(d: Pick<DimensionIntent, 'column' | 'grain'>): string {
  return d.grain ? `${d.column.label} (${GRAIN_WORDS[d.grain]})` : d.column.label;
}

const spanText = (intent: Intent, span: Span) =>
  intent.tokens
    .slice(span.start, span.end)
    .map((t) => t.raw)
    .join(' ');

const sameMeasure = (a: Pick<MeasureIntent, 'agg' | 'column'>, b: Pick<MeasureIntent, 'agg' | 'column'>) => a.agg === b.agg && a.column?.name === b.column?.name;
const sameDimension = (a: Pick<DimensionIntent, 'column' | 'grain'>, b: Pick<DimensionIntent, 'column' | 'grain'>) => a.column.name === b.column.name && a.grain === b.grain;

function toMeasure(m: MeasureIntent): Measure {
  return m.column ? { agg: m.agg, column: m.column.name } : { agg: 'count' };
}

function toDimension(d: DimensionIntent): Dimension {
  return d.grain ? { column: d.column.name, grain: d.grain } : { column: d.column.name };
}

/** Several values of one column become one `in` filter ("West or East"). */
function mergeFilters(filters: FilterIntent[]): FilterIntent[] {
  const out: FilterIntent[] = [];
  for (const f of filters) {
    const op = f.filter.op;
    if (op === 'eq' || op === 'neq') {
      const listOp = op === 'eq' ? 'in' : 'not_in';
      const prior = out.find((o) => o.filter.column === f.filter.column && (o.filter.op === op || o.filter.op === listOp));
      if (prior && (prior.filter.op === 'eq' || prior.filter.op === 'neq' || prior.filter.op === 'in' || prior.filter.op === 'not_in')) {
        const values = Array.isArray(prior.filter.value) ? prior.filter.value : [prior.filter.value];
        const value = f.filter.value as string | number | boolean;
        if (!values.includes(value)) {
          prior.filter = { column: f.filter.column, op: listOp, value: [...values, value] };
          prior.label = `${prior.label.replace(/ [=≠] .*$/, '')} ${op === 'eq' ? 'is' : 'is not'} ${[...values, value].join(op === 'eq' ? ' or ' : ' nor ')}`;
          prior.span = { start: Math.min(prior.span.start, f.span.start), end: Math.max(prior.span.end, f.span.end) };
        }
        continue;
      }
    }
    out.push({ ...f });
  }
  return out;
}

function listText(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * @example
 * const built = buildAnswer(parseQuestion(tokenizeQuestion('revenue by region'), vocabulary, now));
 * built.ok && built.query // { dataset: 'sales', dimensions: [{ column: 'region' }], measures: [{ agg: 'sum', column: 'revenue' }], sort: [{ field: 'sum_revenue', direction: 'desc' }], ... }
 */
export function buildAnswer(intent: Intent): BuiltAnswer {
  const dataset = intent.vocabulary.dataset;
  const time = intent.vocabulary.timeColumn;
  const measures: MeasureIntent[] = [];
  const addMeasure = (m: MeasureIntent): MeasureIntent => {
    const found = measures.find((x) => sameMeasure(x, m));
    if (found) return found;
    measures.push(m);
    return m;
  };
  for (const m of intent.measures) addMeasure(m);

  let dimensions: DimensionIntent[] = [];
  for (const d of intent.dimensions) if (!dimensions.some((x) => sameDimension(x, d))) dimensions.push(d);
  // "order date by month": the named grain replaces the bare column's days.
  dimensions = dimensions.filter((d) => !(d.implicitGrain && dimensions.some((x) => x !== d && x.column.name === d.column.name && !x.implicitGrain)));
  if (intent.trend && time && !dimensions.some((d) => d.column.name === time.name)) dimensions.push({ column: time, grain: 'month', span: intent.trend });

  const firstMeasureColumn = rankedMeasures(dataset)[0];
  // A ranking or "how much" without a named measure is about the dataset's main measure.
  const ranked = intent.top !== undefined || (intent.superlatives.some((s) => !s.column) && dimensions.length > 0);
  if (measures.length === 0 && intent.compared.length === 0 && firstMeasureColumn && (ranked || intent.howMuch)) {
    addMeasure({ agg: 'sum', column: firstMeasureColumn, span: { start: 0, end: 0 } });
  }
  let top = intent.top;
  // "top region": one row; "top regions", "top 5": as many as asked, ten when not said.
  if (top && !top.counted) top = { ...top, n: intent.rankCount ?? (dimensions.some((d) => d.plural) ? 10 : 1) };
  let sortTarget: { measure: MeasureIntent } | { dimension: DimensionIntent } | undefined = intent.sort?.target;
  let direction = intent.sort?.direction;
  for (const s of intent.superlatives) {
    if (dimensions.length > 0) {
      // "which region has the highest revenue": the top row of the grouping.
      const measure = s.column ? addMeasure({ agg: 'sum', column: s.column, span: s.span }) : measures[0];
      if (!top) top = { n: intent.rankCount ?? (dimensions.some((d) => d.plural) ? 10 : 1), direction: s.direction, span: s.span };
      if (measure && !sortTarget) sortTarget = { measure };
      if (!direction) direction = s.direction;
    } else if (s.column) {
      addMeasure({ agg: s.direction === 'desc' ? 'max' : 'min', column: s.column, span: s.span });
    }
  }
  if (measures.length === 0) for (const m of intent.compared) addMeasure(m);

  if (measures.length === 0 && top) {
    return {
      ok: false,
      message: firstMeasureColumn ? `Ranking needs something to rank by, such as ${firstMeasureColumn.label}.` : 'Ranking needs something to rank by.',
      completion: firstMeasureColumn ? `by ${firstMeasureColumn.label.toLowerCase()}` : 'by count',
    };
  }
  if (top && dimensions.length === 0) {
    const firstDimension = dataset.columns.find((c) => c.role === 'dimension' && c.type === 'string');
    return {
      ok: false,
      message: firstDimension ? `Top and bottom rank a grouping, such as ${firstDimension.label}.` : 'Top and bottom rank a grouping.',
      completion: firstDimension ? `by ${firstDimension.label.toLowerCase()}` : '',
    };
  }
  if (measures.length === 0) measures.push({ agg: 'count', span: { start: 0, end: 0 } });

  if (sortTarget && 'measure' in sortTarget) sortTarget = { measure: addMeasure(sortTarget.measure) };
  if (sortTarget && 'dimension' in sortTarget) {
    const target = sortTarget.dimension;
    const found = dimensions.find((d) => d.column.name === target.column.name);
    if (found) sortTarget = { dimension: found };
    else dimensions.push(target);
  }

  const filters = mergeFilters(intent.filters);
  // "West vs East": both values side by side, so the column becomes a grouping.
  if (intent.compare) {
    for (const f of filters) {
      if (f.filter.op !== 'in') continue;
      const column = dataset.columns.find((c) => c.name === f.filter.column) as AskColumn;
      if (!dimensions.some((d) => d.column.name === column.name)) dimensions.push({ column, span: f.span });
    }
  }

  const queryMeasures = measures.map(toMeasure);
  const queryDimensions = dimensions.map(toDimension);
  const aliasOfMeasure = (m: MeasureIntent) => measureAlias(toMeasure(m));
  const aliasOfDimension = (d: DimensionIntent) => dimensionAlias(toDimension(d));

  let sort: StructuredQuery['sort'] = [];
  let sortChip: AskChip | undefined;
  const timeDimension = dimensions.find((d) => d.grain);
  const rankBy = (m: MeasureIntent | undefined, dir: 'asc' | 'desc') => {
    if (!m) return;
    sort = [{ field: aliasOfMeasure(m), direction: dir }];
  };
  if (sortTarget && 'measure' in sortTarget) {
    const dir = direction ?? top?.direction ?? 'desc';
    rankBy(sortTarget.measure, dir);
    sortChip = { kind: 'sort', label: `${measureLabel(sortTarget.measure)}, ${dir === 'desc' ? 'highest first' : 'lowest first'}`, text: intent.sort ? spanText(intent, intent.sort.span) : top ? spanText(intent, top.span) : '' };
  } else if (sortTarget && 'dimension' in sortTarget) {
    const dir = direction ?? 'asc';
    sort = [{ field: aliasOfDimension(sortTarget.dimension), direction: dir }];
    sortChip = { kind: 'sort', label: `${dimensionLabel(sortTarget.dimension)}, ${dir === 'asc' ? 'ascending' : 'descending'}`, text: intent.sort ? spanText(intent, intent.sort.span) : '' };
  } else if (top) {
    rankBy(measures[0], top.direction);
    sortChip = { kind: 'sort', label: `${measureLabel(measures[0] as MeasureIntent)}, ${top.direction === 'desc' ? 'highest first' : 'lowest first'}`, text: spanText(intent, top.span) };
  } else if (direction && dimensions.length > 0) {
    // "revenue by month descending": the direction applies to time when there is time, else to the measure.
    if (timeDimension) {
      sort = [{ field: aliasOfDimension(timeDimension), direction }];
      sortChip = { kind: 'sort', label: `${dimensionLabel(timeDimension)}, ${direction === 'asc' ? 'earliest first' : 'latest first'}`, text: intent.sort ? spanText(intent, intent.sort.span) : '' };
    } else {
      rankBy(measures[0], direction);
      sortChip = { kind: 'sort', label: `${measureLabel(measures[0] as MeasureIntent)}, ${direction === 'desc' ? 'highest first' : 'lowest first'}`, text: intent.sort ? spanText(intent, intent.sort.span) : '' };
    }
  } else if (timeDimension) {
    sort = [{ field: aliasOfDimension(timeDimension), direction: 'asc' }];
  } else if (dimensions.length > 0) {
    rankBy(measures[0], 'desc');
  }

  const query = structuredQuerySchema.parse({
    dataset: dataset.name,
    dimensions: queryDimensions,
    measures: queryMeasures,
    filters: filters.map((f): QueryFilter => f.filter),
    sort,
    ...(top ? { limit: top.n } : {}),
  });
  assertOwnColumns(query, dataset.columns);

  const understood: AskChip[] = [
    ...measures.map((m): AskChip => ({ kind: 'measure', label: measureLabel(m), text: spanText(intent, m.span) })),
    ...dimensions.map((d): AskChip => ({ kind: 'dimension', label: dimensionLabel(d), text: spanText(intent, d.span) })),
    ...filters.map((f): AskChip => ({ kind: f.time ? 'time' : 'filter', label: f.label, text: spanText(intent, f.span) })),
    ...(sortChip ? [sortChip] : []),
    ...(top ? [{ kind: 'limit' as const, label: `${top.direction === 'desc' ? 'Top' : 'Bottom'} ${top.n}`, text: spanText(intent, top.span) }] : []),
  ];

  const parts = [`Shows ${listText(measures.map(measureLabel))}`];
  if (dimensions.length > 0) parts.push(` by ${listText(dimensions.map(dimensionLabel))}`);
  if (filters.length > 0) parts.push(` where ${listText(filters.map((f) => f.label))}`);
  if (sortChip) parts.push(`, sorted by ${sortChip.label}`);
  if (top) parts.push(`, ${top.direction === 'desc' ? 'top' : 'bottom'} ${top.n} only`);

  return {
    ok: true,
    query,
    understood,
    explanation: `${parts.join('')}.`,
    visualization: chooseVisualization(intent, measures, dimensions, filters, top?.n),
  };
}

/** Defence in depth: the query names only columns the viewer's dataset showed the engine. */
function assertOwnColumns(query: StructuredQuery, columns: readonly AskColumn[]): void {
  const known = new Set(columns.map((c) => c.name));
  const used = [...query.dimensions.map((d) => d.column), ...query.measures.flatMap((m) => (m.column ? [m.column] : [])), ...query.filters.map((f) => f.column)];
  for (const name of used) if (!known.has(name)) throw new Error('The question engine named a column outside its dataset');
}

/** How many rows a grouping by this column can have, when known. */
function cardinality(intent: Intent, column: AskColumn, filters: FilterIntent[]): number | undefined {
  const filter = filters.find((f) => f.filter.column === column.name);
  if (filter?.filter.op === 'in') return filter.filter.value.length;
  if (filter?.filter.op === 'eq') return 1;
  return intent.vocabulary.valueCount(column.name);
}

function chooseVisualization(intent: Intent, measures: MeasureIntent[], dimensions: DimensionIntent[], filters: FilterIntent[], limit: number | undefined): ChartShorthand | null {
  if (dimensions.length === 0 || measures.length === 0) return null;
  const measureFields = measures.map((m) => measureAlias(toMeasure(m)));
  const fieldOf = (d: DimensionIntent) => dimensionAlias(toDimension(d));
  const timeDimension = dimensions.find((d) => d.grain);
  const categories = dimensions.filter((d) => !d.grain);

  if (measures.length >= 2) {
    // Two measures side by side: one mark per measure, folded into a long form.
    if (dimensions.length !== 1) return null;
    const dimension = dimensions[0] as DimensionIntent;
    const temporal = Boolean(dimension.grain);
    return {
      chartType: temporal ? 'line' : 'bar',
      x: fieldOf(dimension),
      y: measureFields[0] as string,
      spec: {
        transform: [{ fold: measureFields, as: ['measure', 'value'] }],
        mark: temporal ? { type: 'line', point: true } : { type: 'bar' },
        encoding: {
          x: { field: fieldOf(dimension), type: temporal ? 'temporal' : 'nominal', ...(temporal ? {} : { sort: null }) },
          y: { field: 'value', type: 'quantitative', title: null },
          color: { field: 'measure', type: 'nominal', title: null },
          ...(temporal ? {} : { xOffset: { field: 'measure' } }),
          tooltip: [{ field: fieldOf(dimension) }, { field: 'measure' }, { field: 'value', type: 'quantitative' }],
        },
      },
    };
  }
  const y = measureFields[0] as string;
  if (timeDimension) {
    if (dimensions.length === 1) return { chartType: 'line', x: fieldOf(timeDimension), y };
    if (dimensions.length === 2 && categories[0]) return { chartType: 'line', x: fieldOf(timeDimension), y, color: fieldOf(categories[0]) };
    return null;
  }
  if (categories.length === 1) {
    const dimension = categories[0] as DimensionIntent;
    const slices = Math.min(limit ?? Infinity, cardinality(intent, dimension.column, filters) ?? Infinity);
    if (intent.share && slices <= 6) return { chartType: 'pie', x: fieldOf(dimension), y };
    return { chartType: 'bar', x: fieldOf(dimension), y };
  }
  if (categories.length === 2) {
    const [first, second] = categories as [DimensionIntent, DimensionIntent];
    const colours = cardinality(intent, second.column, filters);
    if (colours !== undefined && colours <= 12) return { chartType: 'stacked_bar', x: fieldOf(first), y, color: fieldOf(second) };
    return { chartType: 'heatmap', x: fieldOf(first), y: fieldOf(second), color: y };
  }
  return null;
}
