/**
 * Checks a dataset's source SQL and row policy when an admin saves them, so
 * that a mistake is refused with a reason at save time instead of failing (or
 * reading more than intended) on every viewer's query afterwards.
 *
 * The source SQL is the admin's own query over the connection's real tables:
 * it may call any function the database offers (the function allowlist is for
 * viewer SQL), but it must be exactly one SELECT, because it is spliced into
 * every query as `(<sql>) as source`.
 *
 * The row policy is spliced as `where <policy>` into every query, with its
 * `{{param}}` placeholders bound from the embed token. It is walked with the
 * SQL guard's allowlist: a boolean expression over the dataset's columns that
 * reads no table, nothing more.
 */
import type { Dialect } from '../connectors/connector.ts';
import { InsightError, isInsightError, type ErrorCode } from '../errors/insight-error.ts';
import { checkStatement, placeholderMarker } from '../query/sql-guard/check-select.ts';
import { prepareSql } from '../query/sql-guard/prepare-sql.ts';
import { scanSql, type SqlToken } from '../query/sql-guard/scan-sql.ts';
import { parseStatements, type AstNode } from '../query/sql-guard/sql-parser.ts';
import type { DatasetDefinition } from './dataset-repository.ts';

/** Statement types that change data or schema; none may appear anywhere in a source SELECT (a data-modifying CTE, say). */
const STATEMENT_TYPES = new Set(['insert', 'replace', 'update', 'delete', 'merge', 'create', 'drop', 'alter', 'truncate', 'rename', 'grant', 'revoke', 'call', 'exec', 'load_data']);
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
/** The name the policy's rows are read from while it is checked; never a real table. */
const POLICY_SUBJECT = 'insight_policy_rows';

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

/** Comment forms that are code on some server (executable comments, hints) or whose extent is ambiguous (nesting). */
function checkComment(field: Field, token: SqlToken): void {
  const head = token.text.slice(0, 4).toUpperCase();
  if (head.startsWith('/*!') || head.startsWith('/*+') || head === '/*M!') throw invalid(field, 'executable comments and optimizer hints are not allowed', 'ERR_SQL_NOT_ALLOWED');
  if (token.text.startsWith('/*') && token.text.indexOf('/*', 2) !== -1) throw invalid(field, 'nested comments are not allowed', 'ERR_SQL_NOT_ALLOWED');
}

/**
 * Source SQL: one SELECT (WITH and UNION allowed) without DML anywhere, INTO,
 * locking clauses, semicolons or comments that could swallow the text it is
 * spliced into. Any table and function of the connection may be read.
 *
 * @example
 * checkDatasetSql('select o.*, c.region from orders o join customers c on c.id = o.customer_id', 'postgres'); // passes
 * checkDatasetSql('delete from orders', 'postgres'); // throws ERR_VALIDATION (errors[0].path 'sql')
 */
export function checkDatasetSql(sql: string, dialect: Dialect): void {
  if (sql.trim() === '') throw invalid('sql', 'it is empty');
  const tokens = asFieldError('sql', () => scanSql(sql, dialect));
  for (const token of tokens) {
    if (token.kind === 'comment') {
      checkComment('sql', token);
      // The SQL is spliced in as `(<sql>) as source`: a line comment at the very end would swallow the closing parenthesis.
      if (!token.text.startsWith('/*') && sql[token.start + token.text.length] === undefined) throw invalid('sql', 'a line comment at the end would hide the rest of the query; end it with a line break or remove it', 'ERR_SQL_NOT_ALLOWED');
    } else if (token.kind === 'code') {
      if (token.text.includes(';')) throw invalid('sql', 'it must be one statement without a semicolon', 'ERR_SQL_NOT_ALLOWED');
      if (/\{\{|\}\}/.test(token.text)) throw invalid('sql', '{{param}} placeholders belong in the row policy, not in the dataset SQL', 'ERR_SQL_NOT_ALLOWED');
    }
  }

  const statements = asFieldError('sql', () => parseStatements(sql, dialect));
  if (statements.length !== 1) throw invalid('sql', 'it must be exactly one statement', 'ERR_SQL_NOT_ALLOWED');
  const [statement] = statements as [AstNode];
  if (statement.type !== 'select') {
    throw invalid('sql', `only SELECT is allowed${typeof statement.type === 'string' ? ` (found ${statement.type.toUpperCase()})` : ''}`, 'ERR_SQL_NOT_ALLOWED');
  }
  for (const node of nodesOf(statement)) {
    const type = typeof node.type === 'string' ? node.type.toLowerCase() : '';
    if (STATEMENT_TYPES.has(type)) {
      throw invalid('sql', `only SELECT is allowed (found ${type.toUpperCase()} inside it)`, 'ERR_SQL_NOT_ALLOWED');
    }
    if (type === 'select') {
      if (!isEmpty(node.locking_read) || !isEmpty(node.for_update) || !isEmpty(node.lock)) throw invalid('sql', 'locking clauses (FOR UPDATE, FOR SHARE...) are not allowed', 'ERR_SQL_NOT_ALLOWED');
      const into = node.into;
      if (!isEmpty(into) && (!isNode(into) || Object.entries(into).some(([key, value]) => key !== 'loc' && !isEmpty(value)))) {
        throw invalid('sql', 'SELECT INTO is not allowed', 'ERR_SQL_NOT_ALLOWED');
      }
    }
  }
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
  const { dialect } = options;
  if (policy.trim() === '') throw invalid('rowPolicy', 'it is blank; leave the row policy out for a dataset without one');
  let depth = 0;
  for (const token of asFieldError('rowPolicy', () => scanSql(policy, dialect))) {
    if (token.kind === 'comment') throw invalid('rowPolicy', 'comments are not allowed', 'ERR_SQL_NOT_ALLOWED');
    if (token.kind !== 'code') {
      if (token.text.includes('{{')) throw invalid('rowPolicy', 'a {{param}} placeholder inside quotes is not allowed; placeholders are values', 'ERR_SQL_NOT_ALLOWED');
      continue;
    }
    if (token.text.includes(';')) throw invalid('rowPolicy', 'semicolons are not allowed', 'ERR_SQL_NOT_ALLOWED');
    if (/[{}]/.test(token.text.replace(PLACEHOLDER, ''))) {
      throw invalid('rowPolicy', 'placeholders are written {{name}} with a plain identifier as the name (letters, digits, underscore)', 'ERR_SQL_NOT_ALLOWED');
    }
    for (const ch of token.text) {
      if (ch === '(') depth += 1;
      if (ch === ')' && --depth < 0) throw invalid('rowPolicy', 'it closes a parenthesis it did not open', 'ERR_SQL_NOT_ALLOWED');
    }
  }
  if (depth !== 0) throw invalid('rowPolicy', 'it leaves a parenthesis open', 'ERR_SQL_NOT_ALLOWED');

  // Checked exactly where it will stand: after the WHERE of a SELECT over the dataset's rows.
  const { statement, checked, placeholders } = asFieldError('rowPolicy', () => {
    const prepared = prepareSql(`select * from ${POLICY_SUBJECT} where ${policy}`, dialect);
    const statements = parseStatements(prepared.text, dialect);
    if (statements.length !== 1) throw new InsightError('ERR_SQL_NOT_ALLOWED', 'it must be one expression');
    const statement = statements[0] as AstNode;
    const markers = new Set(prepared.placeholders.map((_, i) => placeholderMarker(i)));
    const checked = checkStatement(statement, { dialect, mode: 'rewrite', isDataset: (name) => name === POLICY_SUBJECT, placeholders: markers, quotedIdentifiers: prepared.quotedIdentifiers });
    return { statement, checked, placeholders: prepared.placeholders };
  });

  const limit = statement.limit;
  const limited = isNode(limit) ? !isEmpty(limit.value) : !isEmpty(limit);
  if (limited || ['groupby', 'having', 'orderby', '_next', 'window', 'with'].some((key) => !isEmpty(statement[key]))) {
    throw invalid('rowPolicy', 'it must be a condition only (no GROUP BY, ORDER BY, LIMIT, UNION...)', 'ERR_SQL_NOT_ALLOWED');
  }
  if (checked.relations.length !== 1) throw invalid('rowPolicy', 'it may not read tables (no subqueries over tables)', 'ERR_SQL_TABLE_NOT_ALLOWED');
  if (checked.placeholders.length !== placeholders.length) {
    throw invalid('rowPolicy', 'a {{param}} placeholder is not in a place where a value can be bound', 'ERR_SQL_NOT_ALLOWED');
  }

  const known = new Set(options.columns.map((c) => c.toLowerCase()));
  for (const node of nodesOf(statement.where)) {
    if (node.type !== 'column_ref') continue;
    if (!isEmpty(node.table)) throw invalid('rowPolicy', 'write the dataset\'s columns without a table name', 'ERR_SQL_NOT_ALLOWED');
    const name = columnName(node);
    if (name !== undefined && name !== '*' && !known.has(name.toLowerCase())) {
      throw invalid('rowPolicy', `"${name.slice(0, 64)}" is not a column of the dataset`, 'ERR_COLUMN_UNKNOWN');
    }
  }
  return [...new Set(placeholders)];
}

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
