/**
 * node-sql-parser behind two functions, one grammar per dialect. The
 * per-dialect builds are a tenth of the size of the all-dialect entry and keep
 * startup quick. MySQL connections (MySQL and MariaDB) use the MySQL grammar:
 * node-sql-parser's MariaDB grammar does not know window functions.
 */
import postgresBuild from 'node-sql-parser/build/postgresql.js';
import mysqlBuild from 'node-sql-parser/build/mysql.js';
import type { Dialect } from '../../connectors/connector.ts';
import { InsightError } from '../../errors/insight-error.ts';

/** The parser's AST is untyped JSON as far as the guard is concerned: it checks every key it reads. */
export type AstNode = Record<string, unknown>;

const PARSERS = {
  postgres: new postgresBuild.Parser(),
  mysql: new mysqlBuild.Parser(),
} as const;

const OPTIONS = {
  postgres: { database: 'PostgresQL' },
  mysql: { database: 'MySQL' },
} as const;

/** Parses text into statements; any parser failure (including a stack overflow on deep nesting) is ERR_SQL_PARSE. */
export function parseStatements(text: string, dialect: Dialect): AstNode[] {
  let ast: unknown;
  try {
    ast = PARSERS[dialect].astify(text, OPTIONS[dialect]);
  } catch (error) {
    const detail = error instanceof RangeError
      ? 'The SQL is nested too deeply'
      : `The SQL could not be parsed: ${String((error as Error)?.message ?? error).slice(0, 300)}`;
    throw new InsightError('ERR_SQL_PARSE', detail, undefined, { cause: error });
  }
  const statements = Array.isArray(ast) ? ast : [ast];
  return statements.filter((s): s is AstNode => typeof s === 'object' && s !== null);
}

/**
 * Serialises an AST the guard has checked and rewritten. sqlify mutates the
 * AST it is given (it merges subquery nodes into their wrappers), so it gets a
 * copy: the AST the guard walked stays the AST it walked.
 */
export function sqlifyStatement(ast: AstNode, dialect: Dialect): string {
  try {
    return PARSERS[dialect].sqlify(structuredClone(ast) as never, OPTIONS[dialect]);
  } catch (error) {
    throw new InsightError('ERR_SQL_NOT_ALLOWED', 'The SQL could not be regenerated', undefined, { cause: error });
  }
}

/**
 * Parses and also returns node-sql-parser's own list of the tables the text
 * reads (`select::schema::table`), an independent second opinion on the walk.
 */
export function parseWithTables(text: string, dialect: Dialect): { statements: AstNode[]; tables: string[] } {
  let parsed: { ast: unknown; tableList: string[] };
  try {
    parsed = PARSERS[dialect].parse(text, OPTIONS[dialect]);
  } catch (error) {
    throw new InsightError('ERR_SQL_PARSE', 'The regenerated SQL could not be parsed', undefined, { cause: error });
  }
  const statements = (Array.isArray(parsed.ast) ? parsed.ast : [parsed.ast]).filter((s): s is AstNode => typeof s === 'object' && s !== null);
  return { statements, tables: parsed.tableList };
}
