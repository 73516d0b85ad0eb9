/**
 * The text checks that come before parsing, and the parser input.
 *
 * Comments: `--`, `#` (MySQL) and `/* ... *\/` are allowed and stripped here;
 * the parser never sees them and the regenerated SQL never contains any, so a
 * comment cannot change what runs. Three forms are refused instead, because
 * on some server they are not comments at all or their extent is ambiguous:
 * MySQL/MariaDB executable comments (`/*!...*\/`, `/*M!...*\/`), optimizer
 * hints (`/*+...*\/`) and a `/*` inside a block comment (PostgreSQL nests
 * block comments, MySQL does not).
 */
import type { Dialect } from '../../connectors/connector.ts';
import { InsightError } from '../../errors/insight-error.ts';
import { MARKER_PREFIX, placeholderMarker } from './check-select.ts';
import { scanSql } from './scan-sql.ts';

/** Larger input is refused before any scanning or parsing (SQL cards and AI answers are far smaller). */
export const MAX_SQL_LENGTH = 100_000;
/** Parenthesis depth; deeper nesting is refused before the recursive parser and walk see it. */
export const MAX_NESTING = 64;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
// Control characters other than tab, newline and carriage return have no business in a query.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export interface PreparedSql {
  /** Parser input: comments blanked, each `{{name}}` in code replaced by `:__insight_p_<n>`. */
  text: string;
  /** Param name of each placeholder marker, by marker index. */
  placeholders: string[];
  /** Contents of the quoted identifiers of the input (PostgreSQL alias folding). */
  quotedIdentifiers: Set<string>;
}

function notAllowed(detail: string): InsightError {
  return new InsightError('ERR_SQL_NOT_ALLOWED', detail);
}

export function prepareSql(sql: string, dialect: Dialect): PreparedSql {
  if (typeof sql !== 'string' || sql.trim() === '') throw new InsightError('ERR_VALIDATION', 'The SQL is empty');
  if (sql.length > MAX_SQL_LENGTH) throw new InsightError('ERR_VALIDATION', `The SQL is longer than ${MAX_SQL_LENGTH} characters`);
  if (CONTROL.test(sql)) throw notAllowed('The SQL contains control characters');
  // Backslashes mean different things per server setting (standard_conforming_strings, NO_BACKSLASH_ESCAPES):
  // refusing them keeps every string literal readable one way only.
  if (sql.includes('\\')) throw notAllowed('Backslashes are not allowed in SQL over datasets');
  if (sql.toLowerCase().includes(MARKER_PREFIX)) throw notAllowed(`Names starting with ${MARKER_PREFIX} are reserved`);

  const placeholders: string[] = [];
  const quotedIdentifiers = new Set<string>();
  const parts: string[] = [];
  let depth = 0;
  const tokens = scanSql(sql, dialect);
  const lastCode = tokens.findLastIndex((t) => t.kind === 'code' && t.text.trim() !== '');
  tokens.forEach((token, index) => {
    switch (token.kind) {
      case 'comment': {
        const head = token.text.slice(0, 3).toUpperCase();
        if (head === '/*!' || head === '/*+' || token.text.slice(0, 4).toUpperCase() === '/*M!') {
          throw notAllowed('Executable comments and optimizer hints are not allowed');
        }
        if (token.text.startsWith('/*') && token.text.indexOf('/*', 2) !== -1) throw notAllowed('Nested comments are not allowed');
        parts.push(' ');
        return;
      }
      case 'string':
      case 'identifier': {
        if (token.text.match(PLACEHOLDER)) {
          throw notAllowed('A {{param}} placeholder inside quotes is not allowed: placeholders are values, e.g. concat(\'%\', {{q}}, \'%\')');
        }
        if (token.kind === 'identifier') {
          const quote = token.text[0] as string;
          quotedIdentifiers.add(token.text.slice(1, -1).replaceAll(quote + quote, quote));
        }
        parts.push(token.text);
        return;
      }
      case 'code': {
        let text = token.text;
        // One trailing semicolon is tolerated (AI-written SQL often ends with one); any other means a second statement.
        if (index === lastCode) text = text.replace(/;(\s*)$/, '$1');
        if (text.includes(';')) throw notAllowed('Only one statement is allowed');
        for (const ch of text) {
          if (ch === '(' && ++depth > MAX_NESTING) throw notAllowed('The SQL is nested too deeply');
          if (ch === ')') depth -= 1;
        }
        parts.push(text.replace(PLACEHOLDER, (_match, name: string) => {
          placeholders.push(name);
          // Spaces keep the marker from gluing to a neighbouring word or operator.
          return ` :${placeholderMarker(placeholders.length - 1)} `;
        }));
      }
    }
  });
  return { text: parts.join(''), placeholders, quotedIdentifiers };
}
