/**
 * Grouping by a dataset's key after the dataset became a subquery.
 *
 * PostgreSQL lets `select o.id, o.customer_name, sum(...) from orders o
 * group by o.id` name customer_name without grouping by it when id is the
 * primary key of the table orders: every other column of the row depends on
 * it. The guard replaces orders by its policy subquery, and PostgreSQL infers
 * no dependency through a subquery, so the same SQL fails with "must appear in
 * the GROUP BY clause". (MySQL with ONLY_FULL_GROUP_BY behaves the same way.)
 *
 * The fix: when a SELECT's GROUP BY names every column of a declared key of a
 * dataset it reads, the other columns of that dataset the SELECT uses after
 * grouping (select list, HAVING, ORDER BY, outside aggregates) are appended
 * to its GROUP BY. Grouping by columns that depend on the key splits no
 * group, so the rows are those of direct execution. Nothing is added without
 * a declared key: grouping by a column that is not a key stays an error, the
 * database's own, rather than a silently finer grouping.
 *
 * Only the guard's own canonical nodes are added (copies of column references
 * the walk already checked), and the regenerated SQL is verified like any
 * other.
 */
import type { AstNode } from './sql-parser.ts';

/** Unique keys of a dataset, each a list of column names. */
export type DatasetKeys = readonly (readonly string[])[];

/** One dataset read by a SELECT's FROM: the alias the SELECT uses for it and its keys. */
export interface KeyedRelation {
  alias: string;
  keys: DatasetKeys;
}

const isNode = (value: unknown): value is AstNode => typeof value === 'object' && value !== null && !Array.isArray(value);
const lower = (text: string): string => text.toLowerCase();

/** Column name of a checked column reference (`col`, `{ expr: { value } }`), lower-cased; undefined for `*`. */
function columnName(ref: AstNode): string | undefined {
  const column = ref.column;
  if (typeof column === 'string') return column === '*' ? undefined : lower(column);
  if (isNode(column) && isNode(column.expr) && typeof column.expr.value === 'string') return lower(column.expr.value);
  return undefined;
}

function groupList(select: AstNode): AstNode[] | undefined {
  const groupby = select.groupby;
  if (Array.isArray(groupby)) return groupby as AstNode[];
  if (isNode(groupby) && Array.isArray(groupby.columns)) return groupby.columns as AstNode[];
  return undefined;
}

/**
 * Column references an expression uses after grouping: not inside a plain
 * aggregate (its argument is read before grouping) and not inside a subquery
 * (its own SELECT, with its own scope).
 */
function* usedAfterGrouping(node: unknown): Generator<AstNode> {
  if (Array.isArray(node)) {
    for (const item of node) yield* usedAfterGrouping(item);
    return;
  }
  if (!isNode(node)) return;
  if (node.type === 'column_ref') {
    yield node;
    return;
  }
  if (isNode(node.ast) || node.type === 'select') return;
  // An aggregate with OVER is a window over the grouped rows: its argument is read after grouping.
  if (node.type === 'aggr_func' && (node.over === null || node.over === undefined)) return;
  for (const [key, value] of Object.entries(node)) if (key !== 'loc') yield* usedAfterGrouping(value);
}

/**
 * Appends to a checked SELECT's GROUP BY the columns that depend on a grouped
 * key (see the file comment). `relations` lists the datasets of this SELECT's
 * own FROM with their keys; `fromCount` is the number of FROM items, so that
 * an unqualified column is attributed only when there is one.
 *
 * @example
 * // select o.id, o.status, count(*) from orders o join lines l on ... group by o.id
 * addDependentGroupBy(select, [{ alias: 'o', keys: [['id']] }], 2);
 * // ... group by o.id, o.status
 */
export function addDependentGroupBy(select: AstNode, relations: readonly KeyedRelation[], fromCount: number): void {
  const grouping = groupList(select);
  if (!grouping || grouping.length === 0 || relations.length === 0) return;
  const columns = Array.isArray(select.columns) ? (select.columns as unknown[]).filter(isNode) : [];
  const byAlias = new Map(relations.map((r) => [lower(r.alias), r]));
  const only = fromCount === 1 && relations.length === 1 ? relations[0] : undefined;

  const qualifier = (ref: AstNode): string | undefined => (typeof ref.table === 'string' && ref.table !== '' ? lower(ref.table) : undefined);
  /** The relation alias and column a reference reads, when it is one of the keyed datasets. */
  const resolve = (ref: AstNode): { alias: string; column: string } | undefined => {
    const column = columnName(ref);
    if (column === undefined) return undefined;
    const alias = qualifier(ref);
    if (alias !== undefined) return byAlias.has(alias) ? { alias, column } : undefined;
    return only ? { alias: lower(only.alias), column } : undefined;
  };

  const grouped = new Set<string>();
  const keyOf = (alias: string, column: string) => `${alias}\u0000${column}`;
  for (const item of grouping) {
    // GROUP BY 1 groups by the first select item.
    const target = item.type === 'number' && typeof item.value === 'number' ? columns[item.value - 1]?.expr : item;
    if (!isNode(target) || target.type !== 'column_ref') continue;
    const found = resolve(target);
    if (found) grouped.add(keyOf(found.alias, found.column));
  }
  const keyed = new Set(relations.filter((r) => r.keys.some((key) => key.length > 0 && key.every((c) => grouped.has(keyOf(lower(r.alias), lower(c)))))).map((r) => lower(r.alias)));
  if (keyed.size === 0) return;

  // ORDER BY may name an output column; such a name is not a column of the dataset.
  const outputNames = new Set(columns.flatMap((c) => {
    const alias = isNode(c.as) ? c.as.value : c.as;
    return typeof alias === 'string' ? [lower(alias)] : [];
  }));
  const orderRefs = [select.orderby, select._orderby].flatMap((list) => [...usedAfterGrouping(list)]).filter((ref) => qualifier(ref) !== undefined || !outputNames.has(columnName(ref) ?? ''));
  const used = [...usedAfterGrouping(columns.map((c) => c.expr)), ...usedAfterGrouping(select.having), ...orderRefs];
  for (const ref of used) {
    const found = resolve(ref);
    if (!found || !keyed.has(found.alias) || grouped.has(keyOf(found.alias, found.column))) continue;
    grouped.add(keyOf(found.alias, found.column));
    grouping.push(structuredClone(ref));
  }
}
