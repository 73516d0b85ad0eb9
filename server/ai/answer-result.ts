/**
 * Turning what ran into what an answer shows: the rows (without hidden
 * columns), a chart that fits them, and the SQL as the viewer may read it
 * (over dataset names, without the row policy, values inline for reading only;
 * what runs is always the compiled, bound query).
 */
import type { ChartShorthand, ResultColumn } from '@insight-engine/sdk/protocol';
import type { Dialect } from '../connectors/connector.ts';
import { compileStructuredQuery } from '../query/compile-query.ts';
import { finishPayload, type EngineResult } from '../query/query-engine.ts';
import type { StructuredQuery } from '../query/structured-query.ts';
import type { DatasetRow } from '../store/store-schema.ts';

export interface ResultData {
  columns: ResultColumn[];
  rows: unknown[][];
  rowCount: number;
  truncated: boolean;
}

const decoder = new TextDecoder();

/** The engine's payload as data, minus columns whose (lower-case) name is hidden from the viewer. */
export function readResult(result: EngineResult, hidden: ReadonlySet<string> = new Set()): ResultData {
  const data = JSON.parse(decoder.decode(finishPayload(result.payload, {}))) as ResultData;
  const keep = data.columns.map((c, i) => (hidden.has(c.name.toLowerCase()) ? -1 : i)).filter((i) => i >= 0);
  if (keep.length === data.columns.length) return data;
  return { ...data, columns: keep.map((i) => data.columns[i] as ResultColumn), rows: data.rows.map((r) => keep.map((i) => r[i])) };
}

const isTime = (c: ResultColumn) => c.type === 'date' || c.type === 'datetime';

/**
 * Charts that fit a result, best first: a line over time, bars by category,
 * stacked bars for two categories; none for a single number or no measure.
 *
 * @example
 * suggestVisualizations([{ name: 'month', type: 'date' }, { name: 'revenue', type: 'number' }], rows)
 * // [{ chartType: 'line', x: 'month', y: 'revenue' }, { chartType: 'bar', x: 'month', y: 'revenue' }]
 */
export function suggestVisualizations(columns: readonly ResultColumn[], rows: readonly unknown[][]): ChartShorthand[] {
  const measures = columns.filter((c) => c.type === 'number');
  const time = columns.find(isTime);
  const categories = columns.filter((c) => c.type === 'string' || c.type === 'boolean');
  const y = measures.at(-1)?.name;
  if (!y || rows.length < 2) return [];
  const out: ChartShorthand[] = [];
  if (time) {
    out.push({ chartType: 'line', x: time.name, y, ...(categories[0] ? { color: categories[0].name } : {}) });
    out.push({ chartType: categories[0] ? 'stacked_bar' : 'bar', x: time.name, y, ...(categories[0] ? { color: categories[0].name } : {}) });
    return out;
  }
  const [first, second] = categories;
  if (first && second) return [{ chartType: 'stacked_bar', x: first.name, y, color: second.name }, { chartType: 'heatmap', x: first.name, y: second.name, color: y }];
  if (first) {
    out.push({ chartType: 'bar', x: first.name, y });
    if (rows.length <= 8) out.push({ chartType: 'donut', x: first.name, y, color: first.name });
    return out;
  }
  const [mx, my] = measures;
  if (mx && my && mx !== my) return [{ chartType: 'scatter', x: mx.name, y: my.name }];
  return [];
}

function sqlLiteral(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null || value === undefined) return 'null';
  return `'${String(value).replace(/'/g, "''")}'`;
}

/**
 * A structured query as SQL over the dataset's name, for people to read: the
 * dataset appears by name (its row policy is the server's business) and
 * values are inline. Never executed.
 *
 * @example
 * displaySql({ dataset: 'sales', dimensions: [{ column: 'region' }], measures: [{ agg: 'sum', column: 'revenue' }], filters: [], sort: [] }, salesRow, 'postgres')
 * // select "ds"."region" as "region", sum("ds"."revenue") as "sum_revenue" from "sales" as "ds" group by "ds"."region"
 */
export function displaySql(query: StructuredQuery, dataset: Pick<DatasetRow, 'name' | 'columns'>, dialect: Dialect): string {
  const compiled = compileStructuredQuery(query, { source_table: dataset.name, source_sql: null, row_policy: null, columns: dataset.columns }, { dialect, params: {} });
  const q = dialect === 'postgres' ? '"' : '`';
  let text = compiled.sql.replace(`(select * from ${q}${dataset.name}${q})`, `${q}${dataset.name}${q}`);
  if (dialect === 'postgres') {
    text = text.replace(/\$(\d+)/g, (_m, n: string) => sqlLiteral(compiled.parameters[Number(n) - 1]));
  } else {
    let index = 0;
    text = text.replace(/\?/g, () => sqlLiteral(compiled.parameters[index++]));
  }
  return text;
}
