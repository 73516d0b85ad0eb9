/**
 * The guard's own walk over node-sql-parser's AST: a scope-aware allowlist.
 *
 * Every node type and every key of every node the walk accepts is listed
 * here; anything else (a node type or clause node-sql-parser learns in a new
 * version, a MySQL index hint, a TABLESAMPLE...) is refused. The walk knows
 * which CTE names are in scope at each FROM item, so every relation is either
 * a CTE of the query or a dataset the viewer may see.
 *
 * In `rewrite` mode (the user's AST) it also canonicalises what it accepts so
 * that the regenerated SQL cannot be read two ways:
 * - relation names, aliases and column qualifiers are lower-cased ASCII
 *   (`Orders`, `ORDERS` and `"Orders"` are the same dataset);
 * - every CTE is renamed to `__insight_cte_<n>` and every reference to it
 *   carries that name, so a reference the walk resolved to a CTE can never
 *   reach a real table of the same name if the database scoped it otherwise;
 * - PostgreSQL column names are emitted quoted (folded to lower case when the
 *   user did not quote them), so `user` or `current_user` cannot act as
 *   functions; MySQL double-quoted strings become single-quoted;
 * - a unary minus keeps its operand in parentheses (`- -1` would otherwise
 *   serialise as `--1`, a comment).
 * In `verify` mode (the re-parsed regenerated SQL) it changes nothing and
 * requires that canonical form.
 */
import type { Dialect } from '../../connectors/connector.ts';
import { InsightError, type ErrorCode } from '../../errors/insight-error.ts';
import {
  ALLOWED_BINARY_OPERATORS,
  ALLOWED_CAST_TYPES,
  ALLOWED_DATE_PARTS,
  ALLOWED_FUNCTIONS,
  ALLOWED_UNARY_OPERATORS,
  BARE_WORD_FUNCTIONS,
} from './allowlist.ts';
import { addDependentGroupBy, type DatasetKeys, type KeyedRelation } from './group-by-keys.ts';
import type { AstNode } from './sql-parser.ts';

/** Names the guard invents. User SQL containing this text is refused before parsing, so they cannot collide. */
export const MARKER_PREFIX = '__insight_';
export const datasetMarker = (index: number): string => `${MARKER_PREFIX}ds_${index}`;
export const cteMarker = (index: number): string => `${MARKER_PREFIX}cte_${index}`;
export const placeholderMarker = (index: number): string => `${MARKER_PREFIX}p_${index}`;
const CTE_MARKER = /^__insight_cte_\d+$/;

/** Relation names, aliases and qualifiers: plain lower-case ASCII identifiers (no homoglyphs, no quoting games). */
const RELATION_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Column names and column aliases may be any text except quotes, backslashes and control characters. */
const COLUMN_NAME = /^[^\u0000-\u001f\u007f"'`\\]{1,63}$/u;
const NUMBER_TEXT = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const JOINS = new Set(['INNER JOIN', 'JOIN', 'LEFT JOIN', 'LEFT OUTER JOIN', 'RIGHT JOIN', 'RIGHT OUTER JOIN', 'FULL JOIN', 'FULL OUTER JOIN', 'CROSS JOIN']);
const SET_OPERATIONS = new Set(['union', 'union all', 'union distinct', 'intersect', 'intersect all', 'intersect distinct', 'except', 'except all', 'except distinct']);
/** Keywords node-sql-parser keeps as raw `origin` nodes inside POSITION(a IN b), TRIM(BOTH x FROM y), SUBSTRING(a FROM b FOR c). */
const FUNCTION_ARGUMENT_KEYWORDS = new Set(['in', 'from', 'for', 'both', 'leading', 'trailing']);
const FRAME_WORD = /^(rows|range|groups|unbounded preceding|unbounded following|current row|\d{1,9} preceding|\d{1,9} following)$/i;
const EXTRACT_SOURCE_TYPES = new Set(['TIMESTAMP', 'DATE', 'TIME', 'INTERVAL']);

export interface RelationReference {
  /** The FROM item; in rewrite mode its `table` now holds the marker. */
  node: AstNode;
  /** Lower-cased dataset name, or `undefined` for a CTE reference. */
  dataset: string | undefined;
}

export interface CheckOptions {
  dialect: Dialect;
  mode: 'rewrite' | 'verify';
  /**
   * What a name that no CTE in scope claims refers to. `datasets` (the
   * default): SQL over datasets, where only `isDataset` names may be read.
   * `tables`: a dataset's source SQL over the connection's real tables, where
   * any table may be read, schema-qualified or not, except the system
   * catalogs (isSystemRelation); functions, casts and every other rule stay
   * the same.
   */
  relations?: 'datasets' | 'tables';
  /**
   * Whether a lower-cased unqualified name that no CTE in scope claims may be
   * read: a visible dataset in rewrite mode, a dataset marker in verify mode.
   */
  isDataset: (name: string) => boolean;
  /** Names of the guard's own placeholder params (`:__insight_p_<n>`); any other param is refused. */
  placeholders: ReadonlySet<string>;
  /** PostgreSQL folds unquoted aliases to lower case; node-sql-parser forgets the quotes, the scanner remembers them. */
  quotedIdentifiers: ReadonlySet<string>;
  /**
   * Declared unique keys of a dataset (rewrite mode): grouping by one lets
   * the SELECT use the dataset's other columns as a table's primary key
   * would (group-by-keys.ts).
   */
  keysOf?: (dataset: string) => DatasetKeys | undefined;
}

export interface CheckResult {
  relations: RelationReference[];
  /** Placeholder param nodes found, in walk order. */
  placeholders: AstNode[];
}

interface Scope {
  /** CTE name as referenced -> name it has in the regenerated SQL. */
  readonly ctes: ReadonlyMap<string, string>;
  readonly parent: Scope | null;
}

interface Walk extends CheckOptions {
  result: CheckResult;
  cteCount: number;
}

function refuse(detail: string, code: ErrorCode = 'ERR_SQL_NOT_ALLOWED'): never {
  throw new InsightError(code, detail);
}

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || value === false || (Array.isArray(value) && value.length === 0);
}

/** Fail closed on clauses the walk does not know: any other key must be empty. */
function allowKeys(node: AstNode, keys: readonly string[], what: string): void {
  for (const [key, value] of Object.entries(node)) {
    if (key === 'parentheses') {
      if (typeof value !== 'boolean' && value !== null && value !== undefined) refuse(`${what} has an unexpected form`);
      continue;
    }
    if (key === 'loc' || keys.includes(key)) continue;
    if (!isEmpty(value)) refuse(`${what} uses a clause that is not allowed (${key})`);
  }
}

function asArray(value: unknown, what: string): unknown[] {
  if (isEmpty(value)) return [];
  if (!Array.isArray(value)) refuse(`${what} has an unexpected form`);
  return value;
}

const asciiLower = (text: string): string => text.replace(/[A-Z]+/g, (s) => s.toLowerCase());

/** Whether a (lower-cased) name can be a relation: dataset, CTE or alias. */
export const isRelationName = (name: string): boolean => RELATION_NAME.test(name);

/** Text of an identifier that node-sql-parser gives either as a string or as `{ type, value }`. */
function identifierText(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  if (isNode(value) && typeof value.value === 'string') return value.value;
  return refuse(`${what} has an unexpected form`);
}

function relationName(value: unknown, what: string, code: ErrorCode = 'ERR_SQL_NOT_ALLOWED'): string {
  const name = asciiLower(identifierText(value, what));
  if (!RELATION_NAME.test(name)) refuse(`${what} "${name.slice(0, 64)}" is not a plain identifier`, code);
  return name;
}

function lookupCte(scope: Scope | null, name: string): string | undefined {
  for (let s = scope; s; s = s.parent) {
    const found = s.ctes.get(name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Walks one statement. Throws InsightError (ERR_SQL_NOT_ALLOWED,
 * ERR_SQL_TABLE_NOT_ALLOWED, ERR_SQL_FUNCTION_NOT_ALLOWED) on the first thing
 * it does not allow.
 */
export function checkStatement(statement: AstNode, options: CheckOptions): CheckResult {
  const walk: Walk = { ...options, result: { relations: [], placeholders: [] }, cteCount: 0 };
  checkSelect(statement, null, walk);
  return walk.result;
}

// ---------------------------------------------------------------- statements

const SELECT_KEYS = [
  'type', 'with', 'options', 'distinct', 'columns', 'into', 'from', 'where', 'groupby', 'having', 'orderby', 'limit',
  'window', '_next', 'set_op', 'parentheses_symbol', '_parentheses',
  // ORDER BY after a WINDOW clause: node-sql-parser keeps it under another name and serialises it as ORDER BY.
  '_orderby',
];

function checkSelect(node: unknown, scope: Scope | null, walk: Walk): void {
  if (!isNode(node) || node.type !== 'select') {
    refuse(`Only SELECT is allowed${isNode(node) && typeof node.type === 'string' ? ` (found ${node.type.toUpperCase()})` : ''}`);
  }
  if (!isEmpty(node.locking_read) || !isEmpty(node.for_update) || !isEmpty(node.lock)) refuse('Locking clauses are not allowed');
  checkInto(node.into);
  allowKeys(node, SELECT_KEYS, 'The SELECT');
  if (!isEmpty(node.options)) refuse('SELECT options are not allowed');

  const inner = isEmpty(node.with) ? scope : checkWith(node.with, scope, walk);
  checkDistinct(node.distinct, inner, walk);
  checkFrom(node.from, inner, walk);
  for (const column of asArray(node.columns, 'The select list')) checkSelectColumn(column, inner, walk);
  checkExpr(node.where, inner, walk, true);
  checkGroupBy(node.groupby, inner, walk);
  checkExpr(node.having, inner, walk, true);
  checkOrderBy(node.orderby, inner, walk);
  checkLimit(node.limit, inner, walk);
  checkWindowClause(node.window, inner, walk);
  checkOrderBy(node._orderby, inner, walk);
  if (walk.mode === 'rewrite' && walk.keysOf) addDependentGroupBy(node, keyedRelations(node, walk), asArray(node.from, 'The FROM clause').length);

  if (!isEmpty(node._next)) {
    const op = typeof node.set_op === 'string' ? node.set_op.toLowerCase() : '';
    if (!SET_OPERATIONS.has(op)) refuse('This set operation is not allowed');
    // `(WITH x AS (...) SELECT ...) UNION SELECT ... FROM x`: the second x is not the CTE.
    checkSelect(node._next, node.parentheses_symbol ? scope : inner, walk);
  }
}

/** The datasets of a checked SELECT's own FROM that declare keys, under the alias the SELECT uses. */
function keyedRelations(node: AstNode, walk: Walk): KeyedRelation[] {
  const keyed: KeyedRelation[] = [];
  for (const item of asArray(node.from, 'The FROM clause')) {
    const dataset = walk.result.relations.find((r) => r.node === item)?.dataset;
    const keys = dataset === undefined ? undefined : walk.keysOf?.(dataset);
    if (keys && isNode(item) && typeof item.as === 'string') keyed.push({ alias: item.as, keys });
  }
  return keyed;
}

function checkInto(into: unknown): void {
  if (isEmpty(into)) return;
  if (!isNode(into)) return refuse('SELECT INTO is not allowed');
  for (const [key, value] of Object.entries(into)) {
    if (key !== 'loc' && !isEmpty(value)) refuse('SELECT INTO is not allowed');
  }
}

function checkWith(list: unknown, scope: Scope | null, walk: Walk): Scope {
  const items = asArray(list, 'The WITH clause');
  const recursive = items.some((item) => isNode(item) && item.recursive === true);
  const ctes = new Map<string, string>();
  for (const item of items) {
    if (!isNode(item)) refuse('The WITH clause has an unexpected form');
    allowKeys(item, ['name', 'stmt', 'columns', 'recursive'], 'A CTE');
    const name = relationName(item.name, 'A CTE name');
    if (ctes.has(name)) refuse(`The CTE name "${name}" is used twice`);
    let marker = name;
    if (walk.mode === 'rewrite') {
      marker = cteMarker(walk.cteCount++);
      item.name = { type: 'default', value: marker };
    } else if (!CTE_MARKER.test(name)) {
      refuse('The regenerated SQL names a CTE the guard did not name');
    }
    // A CTE sees the ones before it; only WITH RECURSIVE lets it see itself.
    const own = new Map(ctes);
    if (recursive) own.set(name, marker);
    const stmt = item.stmt;
    const body = isNode(stmt) && isNode(stmt.ast) && stmt.type === undefined ? stmt.ast : stmt;
    if (isNode(stmt) && body !== stmt) allowKeys(stmt, ['ast', 'tableList', 'columnList'], 'A CTE');
    checkSelect(body, { ctes: own, parent: scope }, walk);
    for (const column of asArray(item.columns, 'A CTE column list')) checkColumnRef(column, walk, 'A CTE column');
    ctes.set(name, marker);
  }
  return { ctes, parent: scope };
}

function checkDistinct(distinct: unknown, scope: Scope | null, walk: Walk): void {
  if (isEmpty(distinct) || distinct === 'DISTINCT') return;
  if (!isNode(distinct)) return refuse('This DISTINCT form is not allowed');
  allowKeys(distinct, ['type', 'columns'], 'DISTINCT');
  if (distinct.type === null || distinct.type === undefined || distinct.type === 'DISTINCT') return;
  if (distinct.type !== 'DISTINCT ON' || walk.dialect !== 'postgres') refuse('This DISTINCT form is not allowed');
  for (const column of asArray(distinct.columns, 'DISTINCT ON')) checkSelectColumn(column, scope, walk);
}

// ---------------------------------------------------------------- FROM

function checkFrom(from: unknown, scope: Scope | null, walk: Walk): void {
  for (const item of asArray(from, 'The FROM clause')) {
    if (!isNode(item)) refuse('The FROM clause has an unexpected form');
    if (item.type === 'dual') {
      // MySQL's DUAL is a keyword; in PostgreSQL it would be a table called dual.
      if (walk.dialect !== 'mysql') refuse('DUAL is not a dataset', 'ERR_SQL_TABLE_NOT_ALLOWED');
      allowKeys(item, ['type'], 'DUAL');
      continue;
    }
    if (item.join !== undefined && item.join !== null && !(typeof item.join === 'string' && JOINS.has(item.join.toUpperCase()))) {
      refuse('This join type is not allowed');
    }
    if (isNode(item.expr)) checkDerivedTable(item, item.expr, scope, walk);
    else if (typeof item.table === 'string') checkTableReference(item, scope, walk);
    else refuse('The FROM clause has an unexpected form');
    checkExpr(item.on, scope, walk, true);
    for (const column of asArray(item.using, 'USING')) checkUsingColumn(column);
  }
}

/**
 * Schemas and names of the database's own catalogs: users, password hashes,
 * settings, statistics of other sessions. A dataset source reads the
 * vendor's tables, never these. On PostgreSQL every catalog relation is
 * named `pg_*` and pg_catalog is searched first, so an unqualified `pg_*`
 * name is a catalog too.
 */
const SYSTEM_SCHEMAS: Readonly<Record<Dialect, RegExp>> = {
  postgres: /^(pg_.*|information_schema)$/,
  mysql: /^(mysql|information_schema|performance_schema|sys)$/,
};

/** Whether a (lower-cased) table reference of source SQL names a system catalog. */
export function isSystemRelation(dialect: Dialect, schema: string | undefined, name: string): boolean {
  if (schema !== undefined) return SYSTEM_SCHEMAS[dialect].test(schema);
  return dialect === 'postgres' ? name.startsWith('pg_') : false;
}

function checkTableReference(item: AstNode, scope: Scope | null, walk: Walk): void {
  const tables = walk.relations === 'tables';
  if ((!tables && !isEmpty(item.db)) || !isEmpty(item.schema) || !isEmpty(item.catalog)) {
    refuse('Schema- or database-qualified names are not allowed; use the dataset name', 'ERR_SQL_TABLE_NOT_ALLOWED');
  }
  allowKeys(item, ['db', 'table', 'as', 'join', 'on', 'using'], 'A table reference');
  const name = relationName(item.table, 'The table', 'ERR_SQL_TABLE_NOT_ALLOWED');
  const schema = isEmpty(item.db) ? undefined : relationName(item.db, 'The schema', 'ERR_SQL_TABLE_NOT_ALLOWED');
  const alias = isEmpty(item.as) ? name : relationName(item.as, 'The table alias');
  const cte = schema === undefined ? lookupCte(scope, name) : undefined;
  let dataset: string | undefined;
  if (cte === undefined && tables) {
    if (isSystemRelation(walk.dialect, schema, name)) refuse(`"${schema ? `${schema}.` : ''}${name}" is a system catalog`, 'ERR_SQL_TABLE_NOT_ALLOWED');
    // A real table: nothing to rewrite, nothing for the caller to replace.
    return;
  }
  if (cte === undefined) {
    if (!walk.isDataset(name)) refuse(`"${name}" is not a dataset`, 'ERR_SQL_TABLE_NOT_ALLOWED');
    dataset = name;
  }
  if (walk.mode === 'rewrite') {
    // The marker (dataset) or CTE name is set by the caller / here; the alias keeps the name the query used.
    if (cte !== undefined) item.table = cte;
    item.as = alias;
    item.db = null;
  }
  walk.result.relations.push({ node: item, dataset });
}

function checkDerivedTable(item: AstNode, expr: AstNode, scope: Scope | null, walk: Walk): void {
  if (!isNode(expr.ast) || expr.type !== undefined) {
    refuse('Only datasets, CTEs and subqueries may appear in FROM (no table functions or VALUES)', 'ERR_SQL_TABLE_NOT_ALLOWED');
  }
  allowKeys(item, ['expr', 'as', 'prefix', 'join', 'on', 'using'], 'A derived table');
  allowKeys(expr, ['ast', 'tableList', 'columnList'], 'A derived table');
  if (!isEmpty(item.prefix) && !(typeof item.prefix === 'string' && item.prefix.toLowerCase() === 'lateral')) {
    refuse('This derived table form is not allowed');
  }
  if (!isEmpty(item.as)) {
    const alias = relationName(item.as, 'The subquery alias');
    if (walk.mode === 'rewrite') item.as = alias;
  }
  checkSelect(expr.ast, scope, walk);
}

function checkUsingColumn(column: unknown): void {
  const name = identifierText(column, 'A USING column');
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) refuse('USING takes plain column names');
}

// ---------------------------------------------------------------- clauses

function checkSelectColumn(column: unknown, scope: Scope | null, walk: Walk): void {
  if (!isNode(column)) return refuse('The select list has an unexpected form');
  if (column.type === 'cast') {
    // node-sql-parser reads `"col"::INT AS x` as a cast node that carries the alias itself.
    checkCast(column, scope, walk, ['as']);
  } else {
    allowKeys(column, ['type', 'expr', 'as'], 'A select item');
    if (column.type !== undefined && column.type !== 'expr') refuse('The select list has an unexpected form');
    checkExpr(column.expr, scope, walk);
  }
  if (!isEmpty(column.as)) {
    const alias = identifierText(column.as, 'A column alias');
    if (!COLUMN_NAME.test(alias)) refuse('A column alias contains characters that are not allowed');
    // PostgreSQL folds an unquoted alias; sqlify always quotes it, so fold it here unless the input quoted that text
    // somewhere (an approximation: node-sql-parser does not say which alias was quoted). Only output names depend on it.
    if (walk.mode === 'rewrite' && walk.dialect === 'postgres' && !walk.quotedIdentifiers.has(alias)) column.as = asciiLower(alias);
  }
}

function checkGroupBy(groupby: unknown, scope: Scope | null, walk: Walk): void {
  if (isEmpty(groupby)) return;
  if (Array.isArray(groupby)) {
    for (const expr of groupby) checkGroupingItem(expr, scope, walk);
    return;
  }
  if (!isNode(groupby)) return refuse('GROUP BY has an unexpected form');
  allowKeys(groupby, ['columns', 'modifiers'], 'GROUP BY');
  // MySQL's WITH ROLLUP arrives as a modifier; an empty list is `[null]`.
  if (asArray(groupby.modifiers, 'GROUP BY').some((m) => !isEmpty(m))) refuse('GROUP BY modifiers are not allowed');
  for (const expr of asArray(groupby.columns, 'GROUP BY')) checkGroupingItem(expr, scope, walk);
}

/**
 * A GROUP BY item. PostgreSQL's ROLLUP(...) and CUBE(...) arrive as function
 * calls; in this position they are grouping constructs, not functions, so
 * only here do they pass, with their arguments walked like any expression.
 */
function checkGroupingItem(item: unknown, scope: Scope | null, walk: Walk): void {
  if (walk.dialect === 'postgres' && isNode(item) && item.type === 'function' && isEmpty(item.over)) {
    const name = functionName(item);
    if (name === 'rollup' || name === 'cube') {
      allowKeys(item, ['type', 'name', 'args'], 'ROLLUP or CUBE');
      const args = item.args;
      if (!isNode(args) || args.type !== 'expr_list') return refuse('ROLLUP or CUBE has an unexpected form');
      return checkExpr(args, scope, walk);
    }
  }
  checkExpr(item, scope, walk);
}

function checkOrderBy(orderby: unknown, scope: Scope | null, walk: Walk): void {
  for (const item of asArray(orderby, 'ORDER BY')) {
    if (!isNode(item)) refuse('ORDER BY has an unexpected form');
    allowKeys(item, ['expr', 'type', 'nulls'], 'ORDER BY');
    if (!isEmpty(item.type) && item.type !== 'ASC' && item.type !== 'DESC') refuse('ORDER BY has an unexpected direction');
    if (!isEmpty(item.nulls) && !(typeof item.nulls === 'string' && /^nulls (first|last)$/i.test(item.nulls))) {
      refuse('ORDER BY has an unexpected NULLS clause');
    }
    checkExpr(item.expr, scope, walk);
  }
}

function checkLimit(limit: unknown, scope: Scope | null, walk: Walk): void {
  if (isEmpty(limit)) return;
  if (!isNode(limit)) return refuse('LIMIT has an unexpected form');
  allowKeys(limit, ['seperator', 'value'], 'LIMIT');
  if (!['', ',', 'offset'].includes(String(limit.seperator ?? ''))) refuse('LIMIT has an unexpected form');
  for (const value of asArray(limit.value, 'LIMIT')) {
    if (!isNode(value) || (value.type !== 'number' && value.type !== 'param')) refuse('LIMIT and OFFSET take a number or a {{param}}');
    checkExpr(value, scope, walk);
  }
}

function checkWindowClause(window: unknown, scope: Scope | null, walk: Walk): void {
  if (isEmpty(window)) return;
  if (!isNode(window)) return refuse('WINDOW has an unexpected form');
  allowKeys(window, ['keyword', 'type', 'expr'], 'WINDOW');
  for (const named of asArray(window.expr, 'WINDOW')) {
    if (!isNode(named)) refuse('WINDOW has an unexpected form');
    allowKeys(named, ['name', 'as_window_specification'], 'WINDOW');
    checkWindowName(named.name);
    checkWindowSpecification(named.as_window_specification, scope, walk);
  }
}

function checkWindowName(name: unknown): void {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) refuse('A window name is not a plain identifier');
}

function checkOver(over: unknown, scope: Scope | null, walk: Walk): void {
  if (isEmpty(over)) return;
  if (!isNode(over) || over.type !== 'window') return refuse('OVER has an unexpected form');
  allowKeys(over, ['type', 'as_window_specification'], 'OVER');
  checkWindowSpecification(over.as_window_specification, scope, walk);
}

function checkWindowSpecification(spec: unknown, scope: Scope | null, walk: Walk): void {
  if (typeof spec === 'string') return checkWindowName(spec);
  if (!isNode(spec)) return refuse('A window specification has an unexpected form');
  allowKeys(spec, ['window_specification'], 'A window specification');
  const body = spec.window_specification;
  if (!isNode(body)) return refuse('A window specification has an unexpected form');
  allowKeys(body, ['name', 'partitionby', 'orderby', 'window_frame_clause'], 'A window specification');
  if (!isEmpty(body.name)) checkWindowName(body.name);
  for (const part of asArray(body.partitionby, 'PARTITION BY')) {
    if (!isNode(part)) refuse('PARTITION BY has an unexpected form');
    allowKeys(part, ['type', 'expr', 'as'], 'PARTITION BY');
    if (!isEmpty(part.as)) refuse('PARTITION BY has an unexpected form');
    checkExpr(part.expr, scope, walk);
  }
  checkOrderBy(body.orderby, scope, walk);
  if (!isEmpty(body.window_frame_clause)) checkFrame(body.window_frame_clause);
}

/** A frame offset as node-sql-parser keeps it: a `number` node whose value is the count and the direction, `6 PRECEDING`. */
const FRAME_OFFSET = /^\d{1,9} (preceding|following)$/i;

/**
 * Frames are raw keyword nodes in node-sql-parser's AST, serialised as they
 * are: only the standard words and a plain count of rows pass. (RANGE and
 * GROUPS frames do not parse in node-sql-parser 5, so an interval offset
 * never reaches here.)
 */
function checkFrame(frame: unknown): void {
  if (!isNode(frame)) return refuse('The window frame has an unexpected form');
  if (frame.type === 'origin') {
    allowKeys(frame, ['type', 'value'], 'The window frame');
    if (typeof frame.value !== 'string' || !FRAME_WORD.test(frame.value.trim())) refuse('The window frame has an unexpected form');
    return;
  }
  if (frame.type === 'number') {
    allowKeys(frame, ['type', 'value'], 'The window frame');
    if (typeof frame.value !== 'string' || !FRAME_OFFSET.test(frame.value)) refuse('A window frame offset must be a whole number of rows');
    return;
  }
  if (frame.type === 'rows') {
    // The short form `ROWS 6 PRECEDING`.
    allowKeys(frame, ['type', 'expr'], 'The window frame');
    return checkFrame(frame.expr);
  }
  if (frame.type === 'binary_expr' && frame.operator === 'BETWEEN') {
    allowKeys(frame, ['type', 'operator', 'left', 'right'], 'The window frame');
    checkFrame(frame.left);
    const right = frame.right;
    if (!isNode(right) || right.type !== 'expr_list') return refuse('The window frame has an unexpected form');
    allowKeys(right, ['type', 'value'], 'The window frame');
    for (const bound of asArray(right.value, 'The window frame')) checkFrame(bound);
    return;
  }
  if (frame.type === 'expr_list') {
    allowKeys(frame, ['type', 'value'], 'The window frame');
    for (const part of asArray(frame.value, 'The window frame')) checkFrame(part);
    return;
  }
  refuse('The window frame has an unexpected form');
}

// ---------------------------------------------------------------- expressions

function checkExpr(node: unknown, scope: Scope | null, walk: Walk, optional = false): void {
  if (node === null || node === undefined) {
    if (optional) return;
    return refuse('The SQL has an unexpected empty expression');
  }
  if (!isNode(node)) return refuse('The SQL has an expression of an unexpected form');
  // A subquery used as a value: (SELECT ...), IN (SELECT ...), EXISTS (SELECT ...).
  if (node.type === undefined && isNode(node.ast)) {
    allowKeys(node, ['ast', 'tableList', 'columnList'], 'A subquery');
    return checkSelect(node.ast, scope, walk);
  }
  switch (node.type) {
    case 'column_ref':
      return checkColumnRef(node, walk, 'A column');
    case 'number':
    case 'bigint':
      allowKeys(node, ['type', 'value'], 'A number');
      if (!(typeof node.value === 'number' && Number.isFinite(node.value)) && !(typeof node.value === 'string' && NUMBER_TEXT.test(node.value))) {
        refuse('A number has an unexpected form');
      }
      return;
    case 'single_quote_string':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'datetime':
      return checkStringLiteral(node, scope, walk);
    case 'double_quote_string':
      if (walk.dialect === 'postgres') {
        // A quoted identifier that some of node-sql-parser's PostgreSQL rules (SUBSTRING) keep as a value;
        // it is serialised as written, so PostgreSQL reads a column name.
        allowKeys(node, ['type', 'value'], 'A column');
        if (typeof node.value !== 'string' || !COLUMN_NAME.test(node.value)) refuse('A column name contains characters that are not allowed');
        return;
      }
      // A string literal in MySQL (unless ANSI_QUOTES): made single-quoted so that no server setting reads it as a name.
      if (walk.mode === 'verify') return refuse('The regenerated SQL has a double-quoted string');
      if (typeof node.value !== 'string') return refuse('A string literal has an unexpected form');
      node.type = 'single_quote_string';
      node.value = node.value.replaceAll('""', '"').replaceAll('\'', '\'\'');
      return checkStringLiteral(node, scope, walk);
    case 'bool':
    case 'boolean':
      allowKeys(node, ['type', 'value'], 'A boolean');
      if (typeof node.value !== 'boolean') refuse('A boolean has an unexpected form');
      return;
    case 'null':
      allowKeys(node, ['type', 'value'], 'NULL');
      return;
    case 'param':
      allowKeys(node, ['type', 'value'], 'A parameter');
      if (typeof node.value !== 'string' || !walk.placeholders.has(node.value)) {
        refuse('Parameters are written {{name}}; other placeholders are not allowed');
      }
      walk.result.placeholders.push(node);
      return;
    case 'binary_expr':
      return checkBinary(node, scope, walk);
    case 'unary_expr':
      return checkUnary(node, scope, walk);
    case 'expr_list':
      allowKeys(node, ['type', 'value', 'separator'], 'A list');
      if (!isEmpty(node.separator) && node.separator !== ',') refuse('A list has an unexpected separator');
      for (const value of asArray(node.value, 'A list')) checkExpr(value, scope, walk);
      return;
    case 'function':
      return checkFunction(node, scope, walk);
    case 'aggr_func':
      return checkAggregate(node, scope, walk);
    case 'window_func':
      return checkWindowFunction(node, scope, walk);
    case 'cast':
      return checkCast(node, scope, walk);
    case 'case':
      return checkCase(node, scope, walk);
    case 'interval':
      return checkInterval(node, scope, walk);
    case 'extract':
      return checkExtract(node, scope, walk);
    case 'array':
      if (walk.dialect !== 'postgres') return refuse('Arrays are not allowed');
      allowKeys(node, ['type', 'keyword', 'brackets', 'expr_list'], 'An array');
      if (node.keyword !== 'array') refuse('An array has an unexpected form');
      return checkExpr(node.expr_list, scope, walk);
    case 'var':
    case 'assign':
      return refuse('Variables and assignments are not allowed');
    default:
      return refuse(`This SQL expression is not allowed (${typeof node.type === 'string' ? node.type : 'unknown'})`);
  }
}

function checkColumnRef(node: unknown, walk: Walk, what: string): void {
  if (!isNode(node) || node.type !== 'column_ref') return refuse(`${what} has an unexpected form`);
  if (!isEmpty(node.db) || !isEmpty(node.schema)) {
    refuse('Schema- or database-qualified names are not allowed', 'ERR_SQL_TABLE_NOT_ALLOWED');
  }
  allowKeys(node, ['type', 'table', 'column'], what);
  if (!isEmpty(node.table)) {
    const qualifier = relationName(node.table, 'A column qualifier');
    if (walk.mode === 'rewrite') node.table = qualifier;
  }
  const column = node.column;
  if (column === '*') return;
  if (typeof column === 'string') {
    // MySQL: serialised in backticks.
    if (!COLUMN_NAME.test(column)) refuse(`${what} name contains characters that are not allowed`);
    return;
  }
  if (!isNode(column) || !isNode(column.expr)) return refuse(`${what} has an unexpected form`);
  allowKeys(column, ['expr'], what);
  const expr = column.expr;
  allowKeys(expr, ['type', 'value'], what);
  if (typeof expr.value !== 'string' || !COLUMN_NAME.test(expr.value)) refuse(`${what} name contains characters that are not allowed`);
  if (expr.type === 'default') {
    if (walk.dialect === 'postgres' && BARE_WORD_FUNCTIONS.has(expr.value.toLowerCase())) {
      refuse(`The function ${expr.value.toLowerCase()} is not allowed`, 'ERR_SQL_FUNCTION_NOT_ALLOWED');
    }
    if (walk.mode === 'verify' && walk.dialect === 'postgres') refuse('The regenerated SQL has an unquoted column');
    // Quoting what PostgreSQL would have folded keeps the meaning and takes keywords out of play.
    if (walk.mode === 'rewrite' && walk.dialect === 'postgres') column.expr = { type: 'double_quote_string', value: asciiLower(expr.value) };
    return;
  }
  if (expr.type !== 'double_quote_string' && expr.type !== 'backticks_quote_string') refuse(`${what} has an unexpected form`);
}

function checkStringLiteral(node: AstNode, scope: Scope | null, walk: Walk): void {
  allowKeys(node, ['type', 'value', 'escape'], 'A string');
  const value = node.value;
  // node-sql-parser keeps doubled quotes as written and serialises the value verbatim between single quotes:
  // the value must not be able to close the literal, and backslashes would read differently per server setting.
  if (typeof value !== 'string' || value.replaceAll('\'\'', '').includes('\'') || value.includes('\\') || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) {
    refuse('A string literal contains characters that are not allowed');
  }
  if (!isEmpty(node.escape)) {
    const escape = node.escape;
    if (!isNode(escape) || escape.type !== 'ESCAPE') return refuse('LIKE ESCAPE has an unexpected form');
    allowKeys(escape, ['type', 'value'], 'LIKE ESCAPE');
    if (!isNode(escape.value) || escape.value.type !== 'single_quote_string') refuse('LIKE ESCAPE takes a string');
    checkExpr(escape.value, scope, walk);
  }
}

function checkBinary(node: AstNode, scope: Scope | null, walk: Walk): void {
  allowKeys(node, ['type', 'operator', 'left', 'right'], 'An operator');
  const operator = typeof node.operator === 'string' ? node.operator.toUpperCase() : '';
  if (!ALLOWED_BINARY_OPERATORS[walk.dialect].has(operator)) refuse(`The operator ${operator.slice(0, 20)} is not allowed`);
  if (operator === 'IS' || operator === 'IS NOT') {
    // IS DISTINCT FROM arrives as raw text in node-sql-parser's AST: only IS [NOT] NULL/TRUE/FALSE pass.
    const right = node.right;
    if (!isNode(right) || !['null', 'bool', 'boolean'].includes(String(right.type))) refuse('Only IS [NOT] NULL, TRUE or FALSE are allowed');
  }
  checkExpr(node.left, scope, walk);
  checkExpr(node.right, scope, walk);
}

function checkUnary(node: AstNode, scope: Scope | null, walk: Walk): void {
  allowKeys(node, ['type', 'operator', 'expr'], 'An operator');
  const operator = typeof node.operator === 'string' ? node.operator.toUpperCase() : '';
  if (!ALLOWED_UNARY_OPERATORS[walk.dialect].has(operator)) refuse(`The operator ${operator.slice(0, 20)} is not allowed`);
  const operand = node.expr;
  if (walk.mode === 'rewrite' && (operator === '-' || operator === '+') && isNode(operand)) operand.parentheses = true;
  checkExpr(operand, scope, walk);
}

function functionName(node: AstNode): string {
  const name = node.name;
  if (!isNode(name)) return refuse('A function has an unexpected form');
  if (!isEmpty(name.schema)) refuse('Schema-qualified functions are not allowed', 'ERR_SQL_FUNCTION_NOT_ALLOWED');
  allowKeys(name, ['name'], 'A function');
  const parts = asArray(name.name, 'A function');
  const first = parts[0];
  if (parts.length !== 1 || !isNode(first) || typeof first.value !== 'string') {
    return refuse('Qualified function names are not allowed', 'ERR_SQL_FUNCTION_NOT_ALLOWED');
  }
  allowKeys(first, ['type', 'value'], 'A function');
  if (first.type !== 'default' && first.type !== 'origin') refuse('A function has an unexpected form');
  return first.value.toLowerCase();
}

function checkFunctionName(name: string, walk: Walk): void {
  if (!ALLOWED_FUNCTIONS[walk.dialect].has(name)) {
    refuse(`The function ${name.slice(0, 64)} is not allowed`, 'ERR_SQL_FUNCTION_NOT_ALLOWED');
  }
}

function checkFunction(node: AstNode, scope: Scope | null, walk: Walk): void {
  allowKeys(node, ['type', 'name', 'args', 'over', 'separator', 'args_parentheses'], 'A function call');
  checkFunctionName(functionName(node), walk);
  if (!isEmpty(node.separator) && node.separator !== ' ' && node.separator !== ',') refuse('A function call has an unexpected form');
  const args = node.args;
  if (!isEmpty(args)) {
    if (!isNode(args) || args.type !== 'expr_list') return refuse('A function call has an unexpected form');
    allowKeys(args, ['type', 'value'], 'A function call');
    for (const arg of asArray(args.value, 'A function call')) {
      if (isNode(arg) && arg.type === 'origin') {
        allowKeys(arg, ['type', 'value'], 'A function call');
        if (typeof arg.value !== 'string' || !FUNCTION_ARGUMENT_KEYWORDS.has(arg.value.toLowerCase())) refuse('A function call has an unexpected keyword');
        continue;
      }
      checkExpr(arg, scope, walk);
    }
  }
  checkOver(node.over, scope, walk);
}

function checkAggregate(node: AstNode, scope: Scope | null, walk: Walk): void {
  allowKeys(node, ['type', 'name', 'args', 'over', 'filter', 'within_group_orderby'], 'An aggregate');
  const name = typeof node.name === 'string' ? node.name.toLowerCase() : '';
  checkFunctionName(name, walk);
  const args = node.args;
  if (!isNode(args)) return refuse('An aggregate has an unexpected form');
  allowKeys(args, ['expr', 'distinct', 'orderby', 'separator'], 'An aggregate');
  if (!isEmpty(args.distinct) && args.distinct !== 'DISTINCT') refuse('An aggregate has an unexpected form');
  const expr = args.expr;
  if (isNode(expr) && expr.type === 'star') {
    allowKeys(expr, ['type', 'value'], 'An aggregate');
    if (name !== 'count' || (expr.value !== '*' && expr.value !== '')) refuse('Only COUNT(*) takes a star');
  } else {
    checkExpr(expr, scope, walk);
  }
  checkOrderBy(args.orderby, scope, walk);
  const separator = args.separator;
  if (!isEmpty(separator)) {
    if (!isNode(separator)) return refuse('An aggregate separator has an unexpected form');
    allowKeys(separator, ['symbol', 'delimiter', 'keyword', 'value'], 'An aggregate separator');
    if (!isEmpty(separator.symbol) && separator.symbol !== ',') refuse('An aggregate separator has an unexpected form');
    if (!isEmpty(separator.keyword) && String(separator.keyword).toLowerCase() !== 'separator') refuse('An aggregate separator has an unexpected form');
    checkExpr(separator.delimiter, scope, walk, true);
    checkExpr(separator.value, scope, walk, true);
  }
  const filter = node.filter;
  if (!isEmpty(filter)) {
    if (!isNode(filter)) return refuse('FILTER has an unexpected form');
    allowKeys(filter, ['keyword', 'where'], 'FILTER');
    checkExpr(filter.where, scope, walk);
  }
  checkOrderBy(node.within_group_orderby, scope, walk);
  checkOver(node.over, scope, walk);
}

function checkWindowFunction(node: AstNode, scope: Scope | null, walk: Walk): void {
  allowKeys(node, ['type', 'name', 'args', 'over'], 'A window function');
  const name = typeof node.name === 'string' ? node.name.toLowerCase() : '';
  checkFunctionName(name, walk);
  checkExpr(node.args, scope, walk, true);
  if (isEmpty(node.over)) refuse('A window function needs OVER');
  checkOver(node.over, scope, walk);
}

function checkCast(node: AstNode, scope: Scope | null, walk: Walk, extraKeys: readonly string[] = []): void {
  allowKeys(node, ['type', 'keyword', 'expr', 'symbol', 'target', ...extraKeys], 'A cast');
  if ((node.keyword !== undefined && node.keyword !== 'cast') || (node.symbol !== 'as' && node.symbol !== '::')) refuse('A cast has an unexpected form');
  const targets = asArray(node.target, 'A cast');
  if (targets.length === 0) refuse('A cast has no target type');
  for (const target of targets) {
    if (!isNode(target)) return refuse('A cast has an unexpected form');
    allowKeys(target, ['dataType', 'length', 'scale', 'suffix', 'parentheses'], 'A cast');
    const type = typeof target.dataType === 'string' ? target.dataType.toUpperCase() : '';
    if (!ALLOWED_CAST_TYPES[walk.dialect].has(type)) refuse(`Casting to ${type.slice(0, 40) || 'this type'} is not allowed`);
    // The suffix is serialised raw: only the time zone words (`TIMESTAMP WITH TIME ZONE`) pass, no CHARACTER SET.
    const suffix = asArray(target.suffix, 'A cast');
    if (suffix.length > 0 && !/^(WITH|WITHOUT) TIME ZONE$/i.test(suffix.map((word) => (typeof word === 'string' ? word : '?')).join(' '))) {
      refuse('A cast has an unexpected type suffix');
    }
    for (const size of [target.length, target.scale]) {
      if (!isEmpty(size) && !(typeof size === 'number' && Number.isInteger(size) && size >= 0 && size <= 1000)) refuse('A cast has an unexpected size');
    }
  }
  checkExpr(node.expr, scope, walk);
}

function checkCase(node: AstNode, scope: Scope | null, walk: Walk): void {
  allowKeys(node, ['type', 'expr', 'args'], 'CASE');
  checkExpr(node.expr, scope, walk, true);
  for (const branch of asArray(node.args, 'CASE')) {
    if (!isNode(branch)) return refuse('CASE has an unexpected form');
    if (branch.type === 'when') {
      allowKeys(branch, ['type', 'cond', 'result'], 'CASE');
      checkExpr(branch.cond, scope, walk);
    } else if (branch.type === 'else') {
      allowKeys(branch, ['type', 'result'], 'CASE');
    } else {
      refuse('CASE has an unexpected form');
    }
    checkExpr(branch.result, scope, walk);
  }
}

function checkInterval(node: AstNode, scope: Scope | null, walk: Walk): void {
  allowKeys(node, ['type', 'expr', 'unit'], 'An interval');
  const unit = typeof node.unit === 'string' ? node.unit.toLowerCase() : '';
  if (unit !== '' && !ALLOWED_DATE_PARTS.has(unit)) refuse('This interval unit is not allowed');
  const expr = node.expr;
  if (!isNode(expr) || !['single_quote_string', 'double_quote_string', 'number', 'param'].includes(String(expr.type))) {
    refuse('An interval takes a literal or a {{param}}');
  }
  checkExpr(expr, scope, walk);
}

function checkExtract(node: AstNode, scope: Scope | null, walk: Walk): void {
  allowKeys(node, ['type', 'args'], 'EXTRACT');
  const args = node.args;
  if (!isNode(args)) return refuse('EXTRACT has an unexpected form');
  allowKeys(args, ['field', 'cast_type', 'source'], 'EXTRACT');
  if (typeof args.field !== 'string' || !ALLOWED_DATE_PARTS.has(args.field.toLowerCase())) refuse('This EXTRACT field is not allowed');
  if (!isEmpty(args.cast_type) && !(typeof args.cast_type === 'string' && EXTRACT_SOURCE_TYPES.has(args.cast_type.toUpperCase()))) {
    refuse('EXTRACT has an unexpected form');
  }
  checkExpr(args.source, scope, walk);
}
