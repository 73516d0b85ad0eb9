/**
 * What an answer says about itself. Viewers see the explanation verbatim,
 * next to rows from their own data, so it is plain text of bounded length:
 * the model's free text loses its markdown, HTML and control characters and
 * is cut at a word boundary. Where the engine can say itself what the query
 * that ran does, that description is preferred (describeSql, and the offline
 * engine's own sentence built from its structured query).
 */
import type { Dialect } from '../connectors/connector.ts';
import { prepareSql } from '../query/sql-guard/prepare-sql.ts';
import { parseStatements, type AstNode } from '../query/sql-guard/sql-parser.ts';

/** Longest explanation a viewer is shown, in characters (the ellipsis included). */
export const MAX_EXPLANATION_LENGTH = 400;

const ELLIPSIS = '\u2026';
// C0 and C1 controls, zero-width characters, bidirectional overrides and isolates, the byte order mark.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** Markdown and HTML out, the words in. */
function stripMarkup(text: string): string {
  return text
    .replace(/<!--[\s\S]*?(-->|$)/g, ' ')
    .replace(/<(script|style)\b[\s\S]*?(<\/\1\s*>|$)/gi, ' ')
    .replace(/<\/?[A-Za-z][^<>]*>/g, ' ')
    .replace(/```[A-Za-z0-9_-]*/g, ' ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}(#{1,6}|>+|[-*+]|\d{1,3}[.)])\s+/gm, '')
    .replace(/^\s*([-*_]\s*){3,}$/gm, ' ')
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
    .replace(/(^|[\s(])\*(?=\S)([^*\n]*?\S)\*(?=[\s).,;:!?]|$)/g, '$1$2')
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '$1')
    .replace(/`+/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, '\'')
    .replace(/&amp;/g, '&');
}

/**
 * The model's explanation as a viewer may see it: plain text on one line, at
 * most `limit` characters, cut at a word boundary with an ellipsis. Anything
 * that is not a string becomes the empty string.
 *
 * @example
 * plainExplanation('**Revenue** per `region`, <b>largest</b> first.\n\n- from sales') // 'Revenue per region, largest first. from sales'
 */
export function plainExplanation(text: unknown, limit = MAX_EXPLANATION_LENGTH): string {
  if (typeof text !== 'string') return '';
  // Bounded work whatever the model sent: nothing past a few times the limit can reach the viewer anyway.
  const plain = stripMarkup(text.slice(0, limit * 8).normalize('NFC'))
    .replace(/[\t\n\r\u2028\u2029]/g, ' ')
    .replace(INVISIBLE, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (plain.length <= limit) return plain;
  const room = plain.slice(0, limit - ELLIPSIS.length + 1);
  const space = room.lastIndexOf(' ');
  // A single very long word is cut inside it rather than emptied.
  const cut = space >= limit / 2 ? room.slice(0, space) : room.slice(0, limit - ELLIPSIS.length);
  return `${cut.replace(/[\s,;:.\-–—(]+$/u, '')}${ELLIPSIS}`;
}

const isNode = (value: unknown): value is AstNode => typeof value === 'object' && value !== null && !Array.isArray(value);

function columnText(node: unknown): string | undefined {
  if (!isNode(node) || node.type !== 'column_ref') return undefined;
  const column = node.column;
  if (typeof column === 'string') return column;
  if (isNode(column) && isNode(column.expr) && typeof column.expr.value === 'string') return column.expr.value;
  return undefined;
}

function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * The engine's own account of SQL over datasets that ran: which datasets it
 * read, which columns it filtered on, what it grouped by, how it sorted and
 * how many rows it kept. Plain
 * text built from the parsed query, never from the model's words; empty when
 * the SQL does not parse.
 *
 * @example
 * describeSql('select region, sum(revenue) as revenue from sales group by region order by revenue desc limit 5', 'postgres', { sales: 'Sales' })
 * // 'Reads Sales, grouped by region, sorted by revenue (largest first), first 5 rows.'
 */
export function describeSql(sql: string, dialect: Dialect, labels: Readonly<Record<string, string>> = {}): string {
  let statement: AstNode | undefined;
  try {
    [statement] = parseStatements(prepareSql(sql, dialect).text, dialect);
  } catch {
    return '';
  }
  if (!statement) return '';
  const datasets = new Set<string>();
  const ctes = new Set((Array.isArray(statement.with) ? statement.with : []).flatMap((w: unknown) => (isNode(w) && isNode(w.name) && typeof w.name.value === 'string' ? [w.name.value.toLowerCase()] : [])));
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isNode(node)) return;
    if (typeof node.table === 'string' && !('column' in node) && !ctes.has(node.table.toLowerCase())) {
      const name = node.table.toLowerCase();
      datasets.add(plainExplanation(labels[name] ?? name, 60));
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'loc') visit(value);
  };
  visit(statement.from);
  visit(statement.with);
  if (datasets.size === 0) return '';

  const parts = [`Reads ${listText([...datasets])}`];
  const filtered = new Set<string>();
  const columnsOf = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(columnsOf);
    if (!isNode(node) || isNode(node.ast)) return;
    const name = columnText(node);
    if (name) filtered.add(plainExplanation(name, 60));
    for (const [key, value] of Object.entries(node)) if (key !== 'loc') columnsOf(value);
  };
  columnsOf(statement.where);
  if (filtered.size > 0) parts.push(`filtered on ${listText([...filtered])}`);
  const groupby = Array.isArray(statement.groupby) ? statement.groupby : isNode(statement.groupby) ? statement.groupby.columns : [];
  const selected = Array.isArray(statement.columns) ? statement.columns : [];
  // GROUP BY 1 and ORDER BY 2 name select items.
  const itemOf = (node: unknown): unknown => {
    if (!isNode(node) || node.type !== 'number' || typeof node.value !== 'number') return node;
    const item: unknown = selected[node.value - 1];
    if (!isNode(item)) return node;
    const alias = isNode(item.as) ? item.as.value : item.as;
    return typeof alias === 'string' ? { type: 'column_ref', column: alias } : item.expr;
  };
  const grouped = (Array.isArray(groupby) ? groupby : []).flatMap((g: unknown) => {
    const name = columnText(itemOf(g));
    return name ? [plainExplanation(name, 60)] : [];
  });
  if (grouped.length > 0) parts.push(`grouped by ${listText(grouped)}`);
  const sorted = (Array.isArray(statement.orderby) ? statement.orderby : []).flatMap((o: unknown) => {
    const name = isNode(o) ? columnText(itemOf(o.expr)) : undefined;
    return name && isNode(o) ? [`${plainExplanation(name, 60)}${o.type === 'DESC' ? ' (largest first)' : ''}`] : [];
  });
  if (sorted.length > 0) parts.push(`sorted by ${listText(sorted)}`);
  const limit = isNode(statement.limit) && Array.isArray(statement.limit.value) ? statement.limit.value[0] : undefined;
  if (isNode(limit) && limit.type === 'number') parts.push(`first ${String(limit.value)} rows`);
  return plainExplanation(`${parts.join(', ')}.`);
}
