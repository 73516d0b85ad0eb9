/**
 * Checks a dataset's source SQL and row policy when an admin saves them, so
 * that a mistake is refused with a reason at save time instead of failing (or
 * reading more than intended) on every viewer's query afterwards.
 *
 * Both go through the SQL guard (guard-dataset-sql.ts): the source SQL is
 * one SELECT over the connection's tables with the same function allowlist
 * as any SQL the product runs, no system catalog and no placeholder; the row
 * policy is a boolean condition that reads no table. What only the
 * definition knows is checked here: a policy may read only declared columns,
 * and it must depend on one in every branch (`1 = 1`, `true` or
 * `tenant_id = {{tenant_id}} or 1 = 1` confine nothing).
 */
import type { Dialect } from '../connectors/connector.ts';
import { InsightError, isInsightError, type ErrorCode } from '../errors/insight-error.ts';
import { guardPolicySql, guardSourceSql } from '../query/sql-guard/guard-dataset-sql.ts';
import type { AstNode } from '../query/sql-guard/sql-parser.ts';
import type { DatasetDefinition } from './dataset-repository.ts';

type Field = 'sql' | 'rowPolicy';

/** ERR_VALIDATION naming the field and the problem; `reason` keeps the guard's more specific code. */
function invalid(field: Field, message: string, reason?: ErrorCode): InsightError {
  const what = field === 'sql' ? 'The dataset SQL' : 'The row policy';
  return new InsightError('ERR_VALIDATION', `${what} is not valid: ${message}`, { errors: [{ path: field, message }], ...(reason ? { reason } : {}) });
}

/** Runs a check, turning the SQL guard's refusals into ERR_VALIDATION on the field. */
function asFieldError<T>(field: Field, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (field === 'rowPolicy' && isInsightError(error) && error.code === 'ERR_SQL_TABLE_NOT_ALLOWED') throw invalid(field, 'it may not read tables (no subqueries over tables)', error.code);
    if (isInsightError(error) && error.code !== 'ERR_VALIDATION' && error.code.startsWith('ERR_SQL_')) throw invalid(field, error.message, error.code);
    if (isInsightError(error) && error.code === 'ERR_VALIDATION' && !('errors' in (error.extensions ?? {}))) throw invalid(field, error.message);
    throw error;
  }
}

const isEmpty = (value: unknown): boolean => value === null || value === undefined || value === false || (Array.isArray(value) && value.length === 0);
const isNode = (value: unknown): value is AstNode => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every object in an AST, depth first. */
function* nodesOf(value: unknown): Generator<AstNode> {
  if (Array.isArray(value)) {
    for (const item of value) yield* nodesOf(item);
  } else if (isNode(value)) {
    yield value;
    for (const [key, child] of Object.entries(value)) if (key !== 'loc') yield* nodesOf(child);
  }
}

/**
 * Source SQL: see guardSourceSql. Any table of the connection may be read,
 * except its system catalogs.
 *
 * @example
 * checkDatasetSql('select o.*, c.region from orders o join customers c on c.id = o.customer_id', 'postgres'); // passes
 * checkDatasetSql('delete from orders', 'postgres'); // throws ERR_VALIDATION (errors[0].path 'sql')
 */
export function checkDatasetSql(sql: string, dialect: Dialect): void {
  if (sql.trim() === '') throw invalid('sql', 'it is empty');
  asFieldError('sql', () => guardSourceSql(sql, dialect));
}

/** Name of a column reference as the walk left it (a string, or `{ expr: { value } }`). */
function columnName(node: AstNode): string | undefined {
  const column = node.column;
  if (typeof column === 'string') return column;
  if (isNode(column) && isNode(column.expr) && typeof column.expr.value === 'string') return column.expr.value;
  return undefined;
}

/**
 * Row policy: a boolean expression over the dataset's columns with `{{param}}`
 * placeholders (plain identifiers) in value positions only; no table, no
 * subquery reading one, no semicolon, no comment, no clause past the WHERE.
 * Returns the parameter names in order of first use.
 *
 * @example
 * checkRowPolicy("tenant_id = {{tenant_id}} and region in ('West', 'East')", { dialect: 'mysql', columns: ['tenant_id', 'region'] });
 * // ['tenant_id']
 */
export function checkRowPolicy(policy: string, options: { dialect: Dialect; columns: readonly string[] }): string[] {
  if (policy.trim() === '') throw invalid('rowPolicy', 'it is blank; leave the row policy out for a dataset without one');
  const { condition, placeholders } = asFieldError('rowPolicy', () => guardPolicySql(policy, options.dialect));

  const known = new Set(options.columns.map((c) => c.toLowerCase()));
  for (const node of nodesOf(condition)) {
    if (node.type !== 'column_ref') continue;
    if (!isEmpty(node.table)) throw invalid('rowPolicy', 'write the dataset\'s columns without a table name', 'ERR_SQL_NOT_ALLOWED');
    const name = columnName(node);
    if (name !== undefined && name !== '*' && !known.has(name.toLowerCase())) {
      throw invalid('rowPolicy', `"${name.slice(0, 64)}" is not a column of the dataset`, 'ERR_COLUMN_UNKNOWN');
    }
  }
  for (const branch of orBranches(condition)) {
    if (!readsColumn(branch)) {
      throw invalid('rowPolicy', 'every part of it joined by OR must depend on a column of the dataset; a constant condition such as 1 = 1 confines nothing', 'ERR_SQL_NOT_ALLOWED');
    }
  }
  return [...new Set(placeholders)];
}

/** The operands of a top-level OR chain (the whole condition when there is none). */
function orBranches(node: AstNode): AstNode[] {
  if (node.type === 'binary_expr' && typeof node.operator === 'string' && node.operator.toUpperCase() === 'OR' && isNode(node.left) && isNode(node.right)) {
    return [...orBranches(node.left), ...orBranches(node.right)];
  }
  return [node];
}

const readsColumn = (node: AstNode): boolean => [...nodesOf(node)].some((n) => n.type === 'column_ref');

/**
 * Both checks for a definition about to be saved on a connection of the given dialect.
 *
 * @example
 * checkDatasetDefinition(body, connection.type === 'mysql' ? 'mysql' : 'postgres');
 */
export function checkDatasetDefinition(definition: Pick<DatasetDefinition, 'sql' | 'rowPolicy' | 'columns'>, dialect: Dialect): void {
  if (definition.sql !== undefined) checkDatasetSql(definition.sql, dialect);
  if (definition.rowPolicy !== undefined) checkRowPolicy(definition.rowPolicy, { dialect, columns: definition.columns.map((c) => c.name) });
}
