/**
 * A small SQL lexer: it splits text into code, string literals, quoted
 * identifiers and comments, per dialect. The guard never trusts it to decide
 * what a query means (node-sql-parser does that, and only regenerated SQL
 * runs); it is used where a parser cannot help:
 * - before parsing, to find `{{param}}` placeholders in code only, to refuse
 *   comment forms that change meaning on some servers, and to strip comments;
 * - after serialising, to prove the regenerated text has no comment openers;
 * - on a dataset source, to renumber its `?` placeholders for postgres.
 */
import type { Dialect } from '../../connectors/connector.ts';
import { InsightError } from '../../errors/insight-error.ts';

export type SqlTokenKind = 'code' | 'string' | 'identifier' | 'comment';

export interface SqlToken {
  kind: SqlTokenKind;
  text: string;
  /** Offset of the first character in the scanned text. */
  start: number;
}

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

function unterminated(what: string): InsightError {
  return new InsightError('ERR_SQL_PARSE', `The SQL has an unterminated ${what}`);
}

/** Index just past a quoted run that starts at `start` (the opening quote). */
function endOfQuoted(text: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (backslashEscapes && ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (text[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i += 1;
  }
  throw unterminated(quote === '\'' || quote === '"' ? 'quoted text' : 'quoted identifier');
}

function isMysqlDashComment(text: string, i: number): boolean {
  // MySQL only starts a comment at `-- ` followed by whitespace, a control character or the end.
  const next = text[i + 2];
  return text.startsWith('--', i) && (next === undefined || next <= ' ');
}

/**
 * Splits SQL text into tokens. Block comments are not nested in either
 * dialect here; callers that care refuse a `/*` inside a comment, which is
 * where PostgreSQL (nesting) and MySQL (not nesting) would disagree.
 */
export function scanSql(text: string, dialect: Dialect): SqlToken[] {
  const tokens: SqlToken[] = [];
  let codeStart = 0;
  let i = 0;
  const push = (kind: SqlTokenKind, start: number, end: number) => {
    if (codeStart < start) tokens.push({ kind: 'code', text: text.slice(codeStart, start), start: codeStart });
    tokens.push({ kind, text: text.slice(start, end), start });
    codeStart = end;
    i = end;
  };
  while (i < text.length) {
    const ch = text[i] as string;
    const prev = i > 0 ? (text[i - 1] as string) : '';
    if (ch === '-' && (dialect === 'postgres' ? text.startsWith('--', i) : isMysqlDashComment(text, i))) {
      const end = text.indexOf('\n', i);
      push('comment', i, end === -1 ? text.length : end);
    } else if (ch === '#' && dialect === 'mysql') {
      const end = text.indexOf('\n', i);
      push('comment', i, end === -1 ? text.length : end);
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw unterminated('comment');
      push('comment', i, end + 2);
    } else if (ch === '\'') {
      // PostgreSQL honours backslash escapes only in E'...' strings; MySQL in every string.
      const escapes = dialect === 'mysql' || ((prev === 'E' || prev === 'e') && !IDENT_CHAR.test(text[i - 2] ?? ''));
      push('string', i, endOfQuoted(text, i, '\'', escapes));
    } else if (ch === '"') {
      // A string in MySQL (without ANSI_QUOTES), an identifier in PostgreSQL.
      push(dialect === 'mysql' ? 'string' : 'identifier', i, endOfQuoted(text, i, '"', dialect === 'mysql'));
    } else if (ch === '`' && dialect === 'mysql') {
      push('identifier', i, endOfQuoted(text, i, '`', false));
    } else if (ch === '$' && dialect === 'postgres' && !IDENT_CHAR.test(prev)) {
      const tag = DOLLAR_TAG.exec(text.slice(i, i + 80));
      if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        if (end === -1) throw unterminated('dollar-quoted text');
        push('string', i, end + tag[0].length);
      } else {
        i += 1;
      }
    } else {
      i += 1;
    }
  }
  if (codeStart < text.length) tokens.push({ kind: 'code', text: text.slice(codeStart), start: codeStart });
  return tokens;
}
