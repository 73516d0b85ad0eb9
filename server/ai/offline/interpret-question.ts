/**
 * The offline question engine: answers a plain-language question with a
 * structured query when every meaningful word maps to the viewer's datasets,
 * and otherwise asks back, naming the words it could not place and offering
 * the nearest questions it can answer. It never writes SQL and knows only the
 * columns it is given, so no wording can reach other columns or rows.
 */
import type { AskChip, ChartShorthand } from '@insight-engine/sdk/protocol';
import type { StructuredQuery } from '../../query/structured-query.ts';
import { rankedMeasures, type AskDataset, type ValueLookup } from './ask-dataset.ts';
import { buildVocabulary, type Vocabulary } from './ask-vocabulary.ts';
import { buildAnswer } from './build-answer.ts';
import { parseQuestion, type Intent } from './parse-question.ts';
import { plural, tokenizeQuestion, type Token } from './tokenize-question.ts';
import { findUnsupported, type EntityAt } from './unsupported-intent.ts';

export { askDatasetFromDataset, type AskColumn, type AskDataset, type StoredDatasetModel, type ValueLookup } from './ask-dataset.ts';

export type Interpretation =
  | { status: 'answered'; query: StructuredQuery; understood: AskChip[]; explanation: string; visualization: ChartShorthand | null }
  | { status: 'clarify'; message: string; unknownWords: string[]; suggestions: string[]; understood: AskChip[] };

export interface InterpretOptions {
  lookup: ValueLookup;
  /** The moment relative dates ("last month") are read against; default: now. */
  now?: Date;
}

/** Longer questions are cut: nobody types a search of more words, and parsing stays cheap. */
const MAX_TOKENS = 60;
const MAX_SUGGESTIONS = 4;

/** Grammar words a misspelling may be meant as ("montly" -> "monthly"). */
const GRAMMAR_WORDS = [
  'total', 'sum', 'average', 'count', 'unique', 'distinct', 'minimum', 'maximum', 'highest', 'lowest', 'top', 'bottom', 'by', 'per', 'each',
  'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'last', 'this', 'since', 'before', 'after', 'between', 'today', 'yesterday', 'growth',
  'trend', 'versus', 'contains', 'starts', 'with', 'sort', 'ascending', 'descending', 'over', 'under', 'share', 'breakdown',
  'month', 'week', 'quarter', 'year', 'day', 'days', 'weeks', 'months', 'years',
];
/** Words that make no sense at the end of a suggestion once the words after them are gone. */
const DANGLING = new Set(['and', 'or', 'where', 'with', 'by', 'for', 'of', 'the', 'in', 'per', 'whose', 'is', 'to', 'than', 'on', 'at', 'a', 'an', 'which']);

interface Reading {
  intent: Intent;
  /** Other datasets that answer just as well. */
  ties: Intent[];
}

const problems = (intent: Intent) => intent.unknown.length + intent.ambiguous.length;

function read(tokens: Token[], vocabularies: Vocabulary[], now: Date): Reading {
  const intents = vocabularies.map((v) => parseQuestion(tokens, v, now));
  const ranked = [...intents].sort((a, b) => problems(a) - problems(b) || b.mapped - a.mapped);
  const intent = ranked[0] as Intent;
  const ties = ranked.slice(1).filter((other) => problems(intent) === 0 && problems(other) === 0 && other.mapped === intent.mapped && intent.mapped > 0);
  return { intent, ties };
}

/** Values of the dataset's string dimensions, as the viewer may see them. */
async function loadValues(dataset: AskDataset, lookup: ValueLookup): Promise<Map<string, string[]>> {
  const columns = dataset.columns.filter((c) => c.type === 'string' && c.role === 'dimension');
  const lists = await Promise.all(columns.map((c) => lookup(dataset.name, c.name)));
  return new Map(columns.map((c, k) => [c.name, (lists[k] ?? []).filter((v): v is string => typeof v === 'string')]));
}

function textOf(tokens: readonly Token[]): string {
  const words = tokens.map((t) => (t.kind === 'quoted' ? `"${t.raw}"` : t.raw));
  while (words.length > 0 && DANGLING.has((words[words.length - 1] as string).toLowerCase())) words.pop();
  return words.join(' ');
}

/** Damerau-Levenshtein distance (optimal string alignment), capped for speed. */
function distance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i]);
  for (let j = 1; j <= b.length; j++) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((rows[i - 1] as number[])[j] as number, (row[j - 1] as number)) + 1;
      best = Math.min(best, ((rows[i - 1] as number[])[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/** The known word nearest to a misspelt one, if one is close enough. */
function correction(word: string, vocabulary: Vocabulary): string | undefined {
  const w = word.toLowerCase();
  if (w.length < 4 || !/^[a-z][a-z-]*$/.test(w)) return undefined;
  const cap = w.length <= 5 ? 1 : 2;
  let best: { word: string; d: number } | undefined;
  for (const candidate of [...GRAMMAR_WORDS, ...vocabulary.words()]) {
    if (candidate === w || candidate.length < 3) continue;
    const d = distance(w, candidate, cap);
    if (d <= cap && (!best || d < best.d)) best = { word: candidate, d };
  }
  return best?.word;
}

function understoodOf(intent: Intent): AskChip[] {
  const built = buildAnswer({ ...intent, unknown: [], ambiguous: [] });
  return built.ok ? built.understood.filter((chip) => chip.text !== '') : [];
}

const quoted = (words: string[]) => words.map((w) => `"${w}"`).join(', ');

/**
 * Reads a question against the viewer's datasets.
 *
 * @example
 * const result = await interpretQuestion('top 5 products by revenue last month', [sales], { lookup });
 * if (result.status === 'answered') await engine.runStructured({ orgId, query: result.query, params: token.params });
 * else show(result.message, result.suggestions);
 */
export async function interpretQuestion(question: string, datasets: AskDataset[], options: InterpretOptions): Promise<Interpretation> {
  const now = options.now ?? new Date();
  const tokens = tokenizeQuestion(question.slice(0, 2000)).slice(0, MAX_TOKENS);
  if (datasets.length === 0) return { status: 'clarify', message: 'There is no data to ask about here.', unknownWords: [], suggestions: [], understood: [] };

  // Names and keywords first; category values are looked up only when some words are still unplaced
  // (or a chart choice needs to know how many values there are), which spares most questions the lookups.
  let vocabularies = datasets.map((d) => buildVocabulary(d, new Map()));
  let reading = read(tokens, vocabularies, now);
  if (problems(reading.intent) > 0 || reading.intent.share || reading.intent.dimensions.filter((d) => !d.grain).length >= 2) {
    const values = await Promise.all(datasets.map((d) => loadValues(d, options.lookup)));
    vocabularies = datasets.map((d, k) => buildVocabulary(d, values[k] as Map<string, string[]>));
    reading = read(tokens, vocabularies, now);
  }
  const { intent, ties } = reading;

  const answers = (text: string): boolean => {
    const r = read(tokenizeQuestion(text).slice(0, MAX_TOKENS), vocabularies, now);
    return problems(r.intent) === 0 && r.ties.length === 0 && r.intent.mapped > 0 && buildAnswer(r.intent).ok;
  };
  const clarify = (message: string, unknownWords: string[], candidates: string[]): Interpretation => {
    const suggestions: string[] = [];
    for (const candidate of candidates) {
      if (suggestions.length >= MAX_SUGGESTIONS) break;
      if (candidate && candidate.toLowerCase() !== question.trim().toLowerCase() && !suggestions.includes(candidate) && answers(candidate)) suggestions.push(candidate);
    }
    if (suggestions.length === 0) suggestions.push(...suggestQuestions(datasets, MAX_SUGGESTIONS));
    return { status: 'clarify', message, unknownWords, suggestions, understood: understoodOf(intent) };
  };

  // A share, ratio or difference is not something a structured query says: ask back with its parts.
  const entityAt: EntityAt = (words, k) => {
    for (const v of vocabularies) {
      const hit = v.columnAt(words, k);
      const column = hit?.columns.length === 1 ? hit.columns[0] : undefined;
      if (hit && column?.role === 'dimension' && column.type === 'number') return hit.end;
    }
    return undefined;
  };
  const unsupported = findUnsupported(tokens, entityAt, question);
  if (unsupported) {
    const { span, per } = unsupported;
    const rest = textOf([...tokens.slice(0, span.start), ...tokens.slice(span.end)]);
    const candidates = [rest, `total ${rest}`.trim()];
    // The parts of a ratio: the total, and how many items it is spread over ("average order value": orders).
    const main = rankedMeasures(intent.vocabulary.dataset)[0];
    if (main && !answers(rest)) candidates.push(`total ${main.label.toLowerCase()}`);
    if (per) candidates.push(`how many ${plural(textOf(tokens.slice(per.start, per.end)))}`);
    for (let k = span.start; k < span.end && !per; k++) {
      const end = entityAt(tokens, k);
      if (end !== undefined) candidates.push(`how many ${plural(textOf(tokens.slice(k, end)))}`);
    }
    const words = tokens.slice(span.start, span.end).map((t) => t.raw).filter((w) => !DANGLING.has(w.toLowerCase()));
    return clarify(unsupported.message, [...new Set(words)], candidates);
  }

  if (intent.mapped === 0 && intent.unknown.length === 0 && intent.measures.length === 0 && intent.dimensions.length === 0 && !intent.top) {
    return clarify(`Ask about ${datasets.map((d) => d.label).join(' or ')}, for example "${suggestQuestions(datasets, 1)[0] ?? ''}".`, [], []);
  }

  if (intent.ambiguous.length > 0 || intent.unknown.length > 0) {
    const candidates: string[] = [];
    const ambiguousWords: string[] = [];
    for (const a of intent.ambiguous) {
      const words = tokens.slice(a.span.start, a.span.end);
      ambiguousWords.push(textOf(words));
      for (const option of a.options) {
        // "West" in two columns: "Region West" says which.
        const replacement = option.value !== undefined ? `${option.column.label} ${textOf(words)}` : option.column.label;
        candidates.push(textOf([...tokens.slice(0, a.span.start), ...tokenizeQuestion(replacement), ...tokens.slice(a.span.end)]));
      }
    }
    const unknown = new Set(intent.unknown);
    const unknownWords = [...new Set(intent.unknown.sort((a, b) => a - b).map((k) => (tokens[k] as Token).raw))];
    if (unknown.size > 0) {
      // Each unknown word replaced by its nearest known word, or left out.
      let fixedAll = true;
      const corrected = tokens.flatMap((t, k) => {
        if (!unknown.has(k)) return [t];
        const fix = correction(t.raw, intent.vocabulary);
        // Only a slip of one letter is applied unasked ("backpaks"); "tenants" is not "tents".
        if (!fix || distance(t.lower, fix, 1) > 1) fixedAll = false;
        return fix ? tokenizeQuestion(fix) : [];
      });
      // Every unknown word has one near known word and the result is a question the engine answers: answer it, and say so.
      const text = textOf(corrected);
      if (fixedAll && intent.ambiguous.length === 0 && answers(text)) {
        const fixed = read(tokenizeQuestion(text).slice(0, MAX_TOKENS), vocabularies, now);
        const built = buildAnswer(fixed.intent);
        if (built.ok) {
          return { status: 'answered', query: built.query, understood: built.understood, explanation: `Showing results for "${text}". ${built.explanation}`, visualization: built.visualization };
        }
      }
      candidates.push(text);
      candidates.push(textOf(tokens.filter((_, k) => !unknown.has(k))));
    }
    const parts: string[] = [];
    if (unknownWords.length > 0) parts.push(`I could not match ${quoted(unknownWords)} to anything in ${intent.vocabulary.dataset.label}.`);
    for (const a of intent.ambiguous) {
      const labels = [...new Set(a.options.map((o) => o.column.label))];
      parts.push(`"${textOf(tokens.slice(a.span.start, a.span.end))}" could be ${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}; say which.`);
    }
    return clarify(parts.join(' '), [...unknownWords, ...ambiguousWords], candidates);
  }

  if (ties.length > 0) {
    const labels = [intent, ...ties].map((i) => i.vocabulary.dataset.label);
    return clarify(`This fits ${labels.join(' and ')}; say which.`, [], [intent, ...ties].map((i) => `${textOf(tokens)} in ${i.vocabulary.dataset.label.toLowerCase()}`));
  }

  const built = buildAnswer(intent);
  if (!built.ok) return clarify(built.message, [], [`${textOf(tokens)} ${built.completion}`.trim()]);
  return { status: 'answered', query: built.query, understood: built.understood, explanation: built.explanation, visualization: built.visualization };
}

/** Example questions per dataset, from its metadata alone (no values, so nothing of any viewer leaks into them). */
function datasetSuggestions(dataset: AskDataset): string[] {
  const lower = (s: string) => s.toLowerCase();
  const measures = rankedMeasures(dataset);
  // Curated columns (with synonyms or a description) make the best examples.
  const dimensions = dataset.columns
    .filter((c) => c.role === 'dimension' && c.type === 'string')
    .map((c, k) => ({ c, k, curated: c.synonyms.length > 0 || Boolean(c.description) }))
    .sort((a, b) => Number(b.curated) - Number(a.curated) || a.k - b.k)
    .map((x) => x.c);
  const time = dataset.columns.find((c) => c.role === 'time');
  const counted = dataset.columns.find((c) => c.role === 'dimension' && c.type === 'number');
  const [m1, m2] = measures.map((m) => lower(m.label));
  const [d1, d2, d3] = dimensions.map((d) => lower(d.label));
  const out: string[] = [];
  if (m1 && d1) out.push(`total ${m1} by ${d1}`);
  if (m1 && time) out.push(`${m1} by month`);
  if (m1 && d2) out.push(`top 5 ${plural(d2)} by ${m1}`);
  if (counted && time) out.push(`how many ${plural(lower(counted.label))} this year`);
  if (m2 && d3) out.push(`average ${m2} by ${d3}`);
  if (m1 && time) out.push(`growth of ${m1}`);
  if (m1 && d1 && time) out.push(`${m1} by ${d1} last quarter`);
  if (m1 && m2 && time) out.push(`${m1} vs ${m2} by quarter`);
  if (!m1 && d1) out.push(`count by ${d1}`);
  return out;
}

/**
 * Example questions the engine answers over these datasets, built from column
 * labels and roles only.
 *
 * @example
 * suggestQuestions([sales], 3) // ['total revenue by region', 'revenue by month', 'top 5 customers by revenue']
 */
export function suggestQuestions(datasets: AskDataset[], limit = 6): string[] {
  const lists = datasets.map(datasetSuggestions);
  const out: string[] = [];
  for (let k = 0; out.length < limit && lists.some((l) => l.length > k); k++) {
    for (const list of lists) {
      const s = list[k];
      if (s && !out.includes(s)) out.push(s);
      if (out.length >= limit) break;
    }
  }
  return out;
}
