/**
 * Splits a question into the words the offline engine reads. Words keep their
 * original spelling for chips and suggestions; matching uses `key`, a
 * lower-cased, singular form, so "Categories" and "category" are one word.
 */

export interface Token {
  /** The word as typed (a quoted phrase without its quotes). */
  raw: string;
  /** Lower-cased form. */
  lower: string;
  /** Lower-cased singular form, for matching names, synonyms and values. */
  key: string;
  kind: 'word' | 'number' | 'date' | 'quoted' | 'symbol';
  /** Numeric value of a `number` token. */
  value?: number;
}

const TOKEN = /"([^"]*)"|“([^”]*)”|'([^']+)'(?![a-z])|(\d{4}-\d{2}-\d{2})|\$?(\d+(?:\.\d+)?)(k|m)?\b|([a-z0-9_]+(?:[-'][a-z0-9_]+)*)|(>=|<=|<>|!=|[<>=*;]|--)/giu;

/** Singular form of an English word, good enough for column names and category values. */
export function singular(word: string): string {
  const w = word.toLowerCase();
  if (w.length <= 3) return w;
  if (/(ss|us|is|ics)$/.test(w) && !w.endsWith('uses')) return w;
  if (w.endsWith('uses')) return w.slice(0, -2);
  if (w.endsWith('ies') && w.length > 4) return `${w.slice(0, -3)}y`;
  if (/(sses|xes|ches|shes|zes)$/.test(w)) return w.slice(0, -2);
  if (w.endsWith('s')) return w.slice(0, -1);
  return w;
}

/** A display plural, for suggestions ("category" -> "categories"). */
export function plural(word: string): string {
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|ch|sh|z)$/i.test(word)) return `${word}es`;
  return `${word}s`;
}

/** Word keys of a name, label, synonym or value: "Order date" -> ["order", "date"]. */
export function phraseKeys(text: string): string[] {
  return tokenizeQuestion(text.replace(/_/g, ' ')).map((t) => t.key);
}

export function tokenizeQuestion(question: string): Token[] {
  // Thousands separators ("1,000") are one number, not two.
  const text = question.replace(/(\d),(?=\d{3}\b)/g, '$1');
  const tokens: Token[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const quoted = m[1] ?? m[2] ?? m[3];
    if (quoted !== undefined) {
      const raw = quoted.trim();
      if (raw) tokens.push({ raw, lower: raw.toLowerCase(), key: raw.toLowerCase(), kind: 'quoted' });
      continue;
    }
    if (m[4]) {
      tokens.push({ raw: m[4], lower: m[4], key: m[4], kind: 'date' });
      continue;
    }
    if (m[5]) {
      const scale = m[6]?.toLowerCase() === 'k' ? 1_000 : m[6]?.toLowerCase() === 'm' ? 1_000_000 : 1;
      const value = Number(m[5]) * scale;
      if (!Number.isFinite(value) || m[5].length > 15) {
        tokens.push({ raw: m[0], lower: m[0].toLowerCase(), key: m[0].toLowerCase(), kind: 'word' });
        continue;
      }
      tokens.push({ raw: m[0], lower: m[0].toLowerCase(), key: String(value), kind: 'number', value });
      continue;
    }
    if (m[7]) {
      // A possessive reads as its noun: "revenue's" is "revenue".
      const lower = m[7].toLowerCase().replace(/'s$/, '');
      tokens.push({ raw: m[7], lower, key: singular(lower), kind: 'word' });
      continue;
    }
    if (m[8]) tokens.push({ raw: m[8], lower: m[8], key: m[8], kind: 'symbol' });
  }
  return tokens;
}
