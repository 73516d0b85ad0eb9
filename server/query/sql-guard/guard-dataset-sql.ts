/**
 * The SQL guard for the two texts a dataset splices into every query over
 * it: its source SQL, as `(<sql>) as source`, and its row policy, as
 * `where <policy>`. Both are held to the same walk, function allowlist and
 * cast allowlist as SQL over datasets (check-select.ts); they differ only in
 * what a name may read:
 * - the source reads the connection's real tables, schema-qualified or not,
 *   but never a system catalog (`pg_authid`, `pg_settings`,
 *   `information_schema.*`, `mysql.user`, `performance_schema.*`...);
 * - the policy reads nothing but the dataset's own rows.
 *
 * Save time (check-dataset-definition.ts) adds what needs the definition
 * (declared columns); run time (dataset-source.ts) calls
 * assertDatasetSqlAllowed so that a dataset stored before a rule existed is
 * refused too, not run.
 */
import type { Dialect } from '../../connectors/connector.ts';
import { InsightError } from '../../errors/insight-error.ts';
import { checkStatement, placeholderMarker } from './check-select.ts';
import { prepareSql } from './prepare-sql.ts';
import { scanSql } from './scan-sql.ts';
import { parseStatements, type AstNode } from './sql-parser.ts';

/** The name the policy's rows are read from while it is checked; never a real table. */
const POLICY_SUBJECT = 'insight_policy_rows';
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
/** `$1` (PostgreSQL) or `?` (MySQL, and PostgreSQL drivers that rewrite it): the guard numbers bound values itself. */
const POSITIONAL = /\$\d|\?/;

function notAllowed(detail: string): InsightError {
  return new InsightError('ERR_SQL_NOT_ALLOWED', detail);
}

const isEmpty = (value: unknown): boolean => value === null || value === undefined || value === false || (Array.isArray(value) && value.length === 0);
const isNode = (value: unknown): value is AstNode => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses the prepared text as exactly one statement. */
function oneStatement(text: string, dialect: Dialect): AstNode {
  const statements = parseStatements(text, dialect);
  if (statements.length !== 1) throw notAllowed('It must be exactly one statement');
  return statements[0] as AstNode;
}

/**
 * A dataset's source SQL: one SELECT (WITH and UNION allowed) over the
 * connection's tables, with allowlisted functions only, no positional or
 * `{{param}}` placeholders (row policies carry the parameters), and no line
 * comment at the very end (it would swallow the parenthesis it is spliced
 * into). Throws ERR_SQL_PARSE, ERR_SQL_NOT_ALLOWED, ERR_SQL_TABLE_NOT_ALLOWED
 * or ERR_SQL_FUNCTION_NOT_ALLOWED.
 *
 * @example
 * guardSourceSql('select o.*, c.region from orders o join customers c on c.id = o.customer_id', 'postgres'); // passes
 * guardSourceSql("select pg_read_file('/etc/passwd')", 'postgres'); // throws ERR_SQL_FUNCTION_NOT_ALLOWED
 * guardSourceSql('select * from pg_authid', 'postgres'); // throws ERR_SQL_TABLE_NOT_ALLOWED
 */
export function guardSourceSql(sql: string, dialect: Dialect): void {
  for (const token of scanSql(sql, dialect)) {
    if (token.kind === 'comment' && !token.text.startsWith('/*') && sql[token.start + token.text.length] === undefined) {
      throw notAllowed('A line comment at the end would hide the rest of the query; end it with a line break or remove it');
    }
    if (token.kind !== 'code') continue;
    if (token.text.includes(';')) throw notAllowed('It must be one statement without a semicolon');
    if (/\{\{|\}\}/.test(token.text)) throw notAllowed('{{param}} placeholders belong in the row policy, not in the dataset SQL');
    if (POSITIONAL.test(token.text)) throw notAllowed('Positional placeholders ($1, ?) are not allowed in the dataset SQL; parameters belong in the row policy');
  }
  // Comments, control characters, backslashes, statement separators and nesting depth: the same text rules as any SQL.
  const prepared = prepareSql(sql, dialect);
  const statement = oneStatement(prepared.text, dialect);
  checkStatement(statement, { dialect, mode: 'rewrite', relations: 'tables', isDataset: () => false, placeholders: new Set(), quotedIdentifiers: prepared.quotedIdentifiers });
}

export interface GuardedPolicy {
  /** The condition's AST (the WHERE of a SELECT over the dataset's rows). */
  condition: AstNode;
  /** Parameter names in order of use, repeats included. */
  placeholders: string[];
}

/**
 * A row policy: a boolean condition over the dataset's rows with `{{param}}`
 * placeholders in value positions, allowlisted functions, no table, no
 * subquery reading one, no comment, no semicolon, no clause past the WHERE.
 * Columns are checked by the caller that knows them. Throws the guard's codes.
 *
 * @example
 * guardPolicySql("tenant_id = {{tenant_id}} and region in ('West', 'East')", 'mysql').placeholders; // ['tenant_id']
 */
export function guardPolicySql(policy: string, dialect: Dialect): GuardedPolicy {
  let depth = 0;
  for (const token of scanSql(policy, dialect)) {
    if (token.kind === 'comment') throw notAllowed('Comments are not allowed');
    if (token.kind !== 'code') {
      if (token.text.includes('{{')) throw notAllowed('A {{param}} placeholder inside quotes is not allowed; placeholders are values');
      continue;
    }
    if (token.text.includes(';')) throw notAllowed('Semicolons are not allowed');
    if (/[{}]/.test(token.text.replace(PLACEHOLDER, ''))) {
      throw notAllowed('Placeholders are written {{name}} with a plain identifier as the name (letters, digits, underscore)');
    }
    // Parentheses must balance inside the policy: it may not close the WHERE it stands in.
    for (const ch of token.text) {
      if (ch === '(') depth += 1;
      if (ch === ')' && --depth < 0) throw notAllowed('It closes a parenthesis it did not open');
    }
  }
  if (depth !== 0) throw notAllowed('It leaves a parenthesis open');

  // Checked exactly where it will stand: after the WHERE of a SELECT over the dataset's rows.
  const prepared = prepareSql(`select * from ${POLICY_SUBJECT} where ${policy}`, dialect);
  const statement = oneStatement(prepared.text, dialect);
  const markers = new Set(prepared.placeholders.map((_, i) => placeholderMarker(i)));
  const checked = checkStatement(statement, { dialect, mode: 'rewrite', isDataset: (name) => name === POLICY_SUBJECT, placeholders: markers, quotedIdentifiers: prepared.quotedIdentifiers });
  const limit = statement.limit;
  const limited = isNode(limit) ? !isEmpty(limit.value) : !isEmpty(limit);
  if (limited || ['groupby', 'having', 'orderby', '_next', 'window', 'with'].some((key) => !isEmpty(statement[key]))) {
    throw notAllowed('It must be a condition only (no GROUP BY, ORDER BY, LIMIT, UNION...)');
  }
  if (checked.relations.length !== 1) throw new InsightError('ERR_SQL_TABLE_NOT_ALLOWED', 'It may not read tables (no subqueries over tables)');
  if (checked.placeholders.length !== prepared.placeholders.length) throw notAllowed('A {{param}} placeholder is not in a place where a value can be bound');
  return { condition: statement.where as AstNode, placeholders: prepared.placeholders };
}

const ACCEPTED_LIMIT = 1000;
const accepted = new Set<string>();

/**
 * Run-time check of a stored dataset's source SQL and row policy, remembered
 * per text once it passes (refusals are not remembered, so they keep
 * failing). The codes are the guard's; the message names the dataset part,
 * never the SQL.
 *
 * @example
 * assertDatasetSqlAllowed({ source_sql: row.source_sql, row_policy: row.row_policy }, 'postgres');
 */
export function assertDatasetSqlAllowed(dataset: { source_sql: string | null; row_policy: string | null }, dialect: Dialect): void {
  const key = `${dialect}\u0000${dataset.source_sql ?? ''}\u0000${dataset.row_policy ?? ''}`;
  if (accepted.has(key)) return;
  try {
    if (dataset.source_sql !== null) guardSourceSql(dataset.source_sql, dialect);
    if (dataset.row_policy !== null) guardPolicySql(dataset.row_policy, dialect);
  } catch (error) {
    if (error instanceof InsightError) {
      throw new InsightError(error.code, `The dataset's stored SQL or row policy is refused by the SQL guard; save it again to see why: ${error.message}`);
    }
    throw error;
  }
  if (accepted.size >= ACCEPTED_LIMIT) accepted.clear();
  accepted.add(key);
}
