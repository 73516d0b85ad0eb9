/**
 * From the checked, rewritten AST to the SQL that runs.
 *
 * Rewrite approach: the walk replaced each dataset reference by a marker
 * table `__insight_ds_<n>` aliased to the name the query used, and each
 * `{{param}}` is a `:__insight_p_<n>` param node. node-sql-parser serialises
 * that AST; the text is then re-parsed and walked again (nothing but markers
 * and the guard's CTE names may be read, and serialising the re-parsed AST
 * must give the same text back), and only then are the markers replaced:
 * each dataset marker by the parenthesised policy subquery, each param marker
 * by `$n` / `?`, numbered in text order.
 *
 * Why splice text rather than graft the policy subquery's AST: the policy
 * source is trusted SQL compiled by the dataset layer, and it may use syntax
 * that node-sql-parser would not round-trip faithfully; serialising it
 * through the parser could change it. Splicing is safe because the markers
 * cannot come from the user: any input containing `__insight_` is refused
 * before parsing, every marker is checked to occur exactly where the walk put
 * it, and each replaced token is a whole quoted identifier the serialiser
 * produced. The spliced SQL is parsed once more as a final check of the
 * statement shape, the parameter count and the tables it reads.
 */
import type { Dialect } from '../../connectors/connector.ts';
import { InsightError } from '../../errors/insight-error.ts';
import { checkStatement, datasetMarker, MARKER_PREFIX, placeholderMarker } from './check-select.ts';
import { scanSql } from './scan-sql.ts';
import { parseStatements, parseWithTables, sqlifyStatement, type AstNode } from './sql-parser.ts';

export interface PolicySource {
  sql: string;
  parameters: readonly unknown[];
}

export interface RegenerateInput {
  dialect: Dialect;
  /** Serialised user AST with markers. */
  text: string;
  /** Policy source per dataset marker index. */
  sources: readonly PolicySource[];
  /** Value per placeholder marker index. */
  values: readonly unknown[];
}

export interface Regenerated {
  sql: string;
  parameters: unknown[];
}

function regenerationFailed(detail: string): InsightError {
  // Reachable only through a serialiser quirk on the user's SQL, so it is the user's SQL that is refused.
  return new InsightError('ERR_SQL_NOT_ALLOWED', `The SQL does not survive regeneration: ${detail}`);
}

const quote = (dialect: Dialect, name: string): string => (dialect === 'postgres' ? `"${name}"` : `\`${name}\``);

/**
 * Text for the serialisation fixpoint: literals and quoted identifiers exactly,
 * code up to letter case (node-sql-parser sometimes reads `substring(...)`
 * back as `SUBSTRING(...)`).
 */
function comparable(text: string, dialect: Dialect): string {
  return scanSql(text, dialect).map((t) => (t.kind === 'code' ? t.text.toUpperCase() : t.text)).join('');
}

/**
 * Re-parses the serialised user SQL and proves it means what was checked:
 * one statement, no comments, only marker tables and the guard's CTEs, every
 * marker exactly once, and a serialisation fixpoint.
 */
export function verifyRegenerated(input: RegenerateInput): void {
  const { dialect, text } = input;
  if (text.includes('\\') || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) throw regenerationFailed('unexpected characters');
  for (const token of scanSql(text, dialect)) {
    if (token.kind === 'comment') throw regenerationFailed('it would contain a comment');
    // Stricter than either server's lexer: no comment opener of any dialect, no statement separator.
    if (token.kind === 'code' && /;|--|\/\*|\*\//.test(token.text)) throw regenerationFailed('it would contain a comment or a semicolon');
  }
  const statements = parseStatements(text, dialect);
  const [statement] = statements;
  if (statements.length !== 1 || !statement) throw regenerationFailed('it is not one statement');
  if (comparable(sqlifyStatement(statement, dialect), dialect) !== comparable(text, dialect)) throw regenerationFailed('it reads back differently');

  const placeholders = new Set(input.values.map((_, i) => placeholderMarker(i)));
  const markers = new Set(input.sources.map((_, i) => datasetMarker(i)));
  const checked = checkStatement(statement, { dialect, mode: 'verify', isDataset: (name) => markers.has(name), placeholders, quotedIdentifiers: new Set() });
  const seen = checked.relations.flatMap((r) => (r.dataset === undefined ? [] : [r.dataset]));
  if (seen.length !== markers.size || new Set(seen).size !== markers.size) throw regenerationFailed('dataset references changed');
  if (checked.placeholders.length !== placeholders.size) throw regenerationFailed('parameters changed');
  for (const marker of markers) {
    if (text.split(quote(dialect, marker)).length !== 2) throw regenerationFailed('dataset references changed');
  }
}

/** A policy source with its `?` placeholders renumbered from `$first` for PostgreSQL (MySQL keeps `?`). */
export function bindSource(source: PolicySource, dialect: Dialect, first: number): string {
  let count = 0;
  const parts: string[] = [];
  let tokens;
  try {
    tokens = scanSql(source.sql, dialect);
  } catch (error) {
    throw new InsightError('ERR_INTERNAL', 'A dataset source could not be scanned', undefined, { cause: error });
  }
  for (const token of tokens) {
    if (token.kind === 'comment' && token.text.indexOf('/*', 2) !== -1) throw new InsightError('ERR_INTERNAL', 'A dataset source has a nested comment');
    if (token.kind !== 'code') {
      parts.push(token.text);
      continue;
    }
    if (token.text.includes(';')) throw new InsightError('ERR_INTERNAL', 'A dataset source has more than one statement');
    parts.push(token.text.replace(/\?/g, () => {
      count += 1;
      return dialect === 'postgres' ? `$${first + count - 1}` : '?';
    }));
  }
  if (count !== source.parameters.length) {
    throw new InsightError('ERR_INTERNAL', `A dataset source has ${count} placeholders for ${source.parameters.length} parameters`);
  }
  return parts.join('');
}

/** Replaces the markers of verified text, numbering parameters in text order. */
export function spliceSources(input: RegenerateInput): Regenerated {
  const { dialect, text } = input;
  const parameters: unknown[] = [];
  const pattern = new RegExp(`${quote(dialect, `${MARKER_PREFIX}ds_(\\d+)`)}|:${MARKER_PREFIX}p_(\\d+)\\b`, 'g');
  // Every occurrence of the prefix must be a marker the splice replaces, or one of the guard's CTE names.
  const cteNames = new RegExp(quote(dialect, `${MARKER_PREFIX}cte_\\d+`), 'g');
  if (text.replace(pattern, '').replace(cteNames, '').includes(MARKER_PREFIX)) throw regenerationFailed('a marker is out of place');
  const sql = text.replace(pattern, (_match, ds: string | undefined, p: string | undefined) => {
    if (ds !== undefined) {
      const source = input.sources[Number(ds)];
      if (!source) throw regenerationFailed('unknown dataset marker');
      const bound = bindSource(source, dialect, parameters.length + 1);
      parameters.push(...source.parameters);
      // Newlines: a trailing line comment in the source must not swallow the closing parenthesis.
      return `(\n${bound}\n)`;
    }
    const index = Number(p);
    if (!(index < input.values.length)) throw regenerationFailed('unknown parameter marker');
    parameters.push(input.values[index]);
    return dialect === 'postgres' ? `$${parameters.length}` : '?';
  });
  return { sql, parameters };
}

/** Counts the bound placeholders node-sql-parser found: `$n` (PostgreSQL) or `?` (MySQL). */
function countPlaceholders(node: unknown, dialect: Dialect, seen: number[] = []): number[] {
  if (Array.isArray(node)) {
    for (const item of node) countPlaceholders(item, dialect, seen);
  } else if (typeof node === 'object' && node !== null) {
    const n = node as AstNode;
    if (dialect === 'postgres' && n.type === 'var' && n.prefix === '$') seen.push(Number(n.name));
    else if (dialect === 'mysql' && n.type === 'origin' && n.value === '?') seen.push(seen.length + 1);
    else for (const value of Object.values(n)) countPlaceholders(value, dialect, seen);
  }
  return seen;
}

const sourceTables = new Map<string, readonly string[]>();
const SOURCE_TABLE_CACHE = 1000;

function tablesOfSource(source: PolicySource, dialect: Dialect): readonly string[] {
  const key = `${dialect}\u0000${source.sql}`;
  let tables = sourceTables.get(key);
  if (!tables) {
    tables = parseWithTables(bindSource(source, dialect, 1), dialect).tables;
    if (sourceTables.size >= SOURCE_TABLE_CACHE) sourceTables.clear();
    sourceTables.set(key, tables);
  }
  return tables;
}

/**
 * The last look at the SQL that will run: one SELECT, as many placeholders
 * as parameters (numbered 1..n for PostgreSQL), and no table other than the
 * tables of the policy sources and the guard's CTEs.
 */
export function verifyFinal(result: Regenerated, input: RegenerateInput): void {
  const { dialect } = input;
  const { statements, tables } = parseWithTables(result.sql, dialect);
  const [statement] = statements;
  if (statements.length !== 1 || !statement || statement.type !== 'select') throw regenerationFailed('the final SQL is not one SELECT');
  const numbers = countPlaceholders(statement, dialect);
  // The parser's traversal order is not text order; each of 1..n exactly once is what matters.
  numbers.sort((a, b) => a - b);
  if (numbers.length !== result.parameters.length || numbers.some((n, i) => n !== i + 1)) {
    throw regenerationFailed('the final SQL does not bind every parameter exactly once');
  }
  const allowed = new Set(input.sources.flatMap((source) => tablesOfSource(source, dialect)));
  for (const table of tables) {
    const [, , name = ''] = table.split('::');
    if (!allowed.has(table) && !(table.startsWith('select::null::') && /^__insight_cte_\d+$/.test(name))) {
      throw regenerationFailed('the final SQL reads a table that is not a dataset source');
    }
  }
}
