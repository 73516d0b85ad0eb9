/**
 * Model-written SQL may read only the columns the datasets declare (minus
 * hidden ones): a dataset's source table can hold more columns than the
 * vendor chose to publish, and `select *` would return them all. Column
 * references are resolved by scope: in a SELECT, its FROM provides the
 * visible columns of each dataset and the output names of each derived table
 * or CTE (themselves checked the same way); GROUP BY, HAVING and ORDER BY may
 * also use the SELECT's own output names; a subquery also sees its outer
 * query. So an alias can never launder a column that is not published.
 * The guard has already accepted the statement's shape; this only narrows it.
 */
import type { Dialect } from '../../connectors/connector.ts';
import { InsightError } from '../../errors/insight-error.ts';
import { prepareSql } from './prepare-sql.ts';
import { parseStatements } from './sql-parser.ts';

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const lower = (s: string) => s.toLowerCase();

/** A column_ref's or CTE's name: a plain string, or `{ expr: { value } }` / `{ value }` in newer parser versions. */
function nameOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isNode(value)) {
    if (typeof value['value'] === 'string') return value['value'];
    if (isNode(value['expr'])) return nameOf(value['expr']);
  }
  return undefined;
}

function refused(detail: string): InsightError {
  return new InsightError('ERR_SQL_NOT_ALLOWED', detail);
}

interface Context {
  /** Lower-case dataset name -> its visible columns. */
  datasets: ReadonlyMap<string, ReadonlySet<string>>;
  /** Whether `*` may be selected (when every dataset source itself reads only the visible columns). */
  star: boolean;
}

function selectOf(value: unknown): Node | undefined {
  if (isNode(value) && value['type'] === 'select') return value;
  if (isNode(value) && isNode(value['ast']) && value['ast']['type'] === 'select') return value['ast'];
  return undefined;
}

/** Checks every column reference in an expression tree against `scope`; nested SELECTs get `scope` as their outer scope. */
function checkExpression(node: unknown, scope: ReadonlySet<string>, ctes: ReadonlyMap<string, ReadonlySet<string>>, ctx: Context): void {
  if (Array.isArray(node)) {
    for (const item of node) checkExpression(item, scope, ctes, ctx);
    return;
  }
  if (!isNode(node)) return;
  const nested = selectOf(node);
  if (nested) {
    checkSelect(nested, ctes, scope, ctx);
    return;
  }
  if (node['type'] === 'column_ref') {
    const name = nameOf(node['column']);
    if (name === undefined) throw refused('A column reference could not be read');
    if (name === '*') {
      if (ctx.star) return;
      throw refused('Name the columns to return instead of *');
    }
    if (!scope.has(lower(name))) throw refused(`"${name.slice(0, 64)}" is not a column of the datasets`);
    return;
  }
  for (const value of Object.values(node)) checkExpression(value, scope, ctes, ctx);
}

/** Checks one SELECT (and the UNION parts chained to it); returns its output column names. */
function checkSelect(select: Node, outerCtes: ReadonlyMap<string, ReadonlySet<string>>, outer: ReadonlySet<string>, ctx: Context): Set<string> {
  const ctes = new Map(outerCtes);
  for (const cte of Array.isArray(select['with']) ? select['with'] : []) {
    if (!isNode(cte)) continue;
    const body = selectOf(cte['stmt']);
    const name = nameOf(cte['name']);
    if (!body || !name) throw refused('A WITH clause could not be read');
    ctes.set(lower(name), checkSelect(body, ctes, outer, ctx));
  }

  const provided = new Set(outer);
  const from = Array.isArray(select['from']) ? (select['from'] as unknown[]) : [];
  for (const item of from) {
    if (!isNode(item)) continue;
    const derived = selectOf(item['expr']);
    const table = typeof item['table'] === 'string' ? lower(item['table']) : undefined;
    const columns = derived ? checkSelect(derived, ctes, outer, ctx) : table !== undefined ? (ctes.get(table) ?? ctx.datasets.get(table)) : undefined;
    if (!columns) throw refused('The SQL reads a source that is not a dataset');
    for (const c of columns) provided.add(c);
  }
  for (const item of from) if (isNode(item) && item['on'] !== undefined) checkExpression(item['on'], provided, ctes, ctx);

  const columns = Array.isArray(select['columns']) ? (select['columns'] as unknown[]) : [];
  const outputs = new Set<string>();
  for (const column of columns) {
    if (!isNode(column)) continue;
    checkExpression(column['expr'], provided, ctes, ctx);
    const alias = typeof column['as'] === 'string' ? column['as'] : isNode(column['expr']) && column['expr']['type'] === 'column_ref' ? nameOf(column['expr']['column']) : undefined;
    if (alias) outputs.add(lower(alias));
  }
  checkExpression(select['where'], provided, ctes, ctx);
  const late = new Set([...provided, ...outputs]);
  for (const key of ['groupby', 'having', 'orderby', 'window']) checkExpression(select[key], late, ctes, ctx);
  const next = selectOf(select['_next']);
  if (next) checkSelect(next, ctes, outer, ctx);
  return outputs;
}

/**
 * Throws ERR_SQL_NOT_ALLOWED when the SQL reads a column that the datasets
 * do not publish to this reader, or selects `*` (unless `star` says the
 * dataset sources already project the published columns). The SQL may carry
 * `{{param}}` placeholders; it is read as the SQL guard reads it.
 *
 * @example
 * const datasets = new Map([['sales', new Set(['region', 'revenue'])]]);
 * checkColumns('select region, sum(revenue) as total from sales group by region order by total', 'postgres', datasets); // passes
 * checkColumns('select line_id as region from sales', 'postgres', datasets); // throws: line_id is not published
 */
export function checkColumns(sql: string, dialect: Dialect, datasets: ReadonlyMap<string, ReadonlySet<string>>, options: { star?: boolean } = {}): void {
  const statements = parseStatements(prepareSql(sql, dialect).text, dialect);
  const [statement] = statements;
  const select = selectOf(statement);
  if (!select || statements.length !== 1) throw refused('Only one SELECT statement is allowed');
  const lowered = new Map([...datasets].map(([k, v]) => [lower(k), new Set([...v].map(lower))]));
  checkSelect(select, new Map(), new Set(), { datasets: lowered, star: options.star ?? false });
}
