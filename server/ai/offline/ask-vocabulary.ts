/**
 * The words of one dataset: column names, labels and synonyms, and the
 * category values the viewer may see, indexed by their singular word keys so a
 * question's words are matched longest-phrase-first.
 */
import type { AskColumn, AskDataset } from './ask-dataset.ts';
import { phraseKeys, type Token } from './tokenize-question.ts';

export interface ColumnMatch {
  /** Index just past the matched words. */
  end: number;
  /** More than one column when a word names several (an ambiguity). */
  columns: AskColumn[];
  /** The last word was plural ("orders"): a count, unless the words follow "by". */
  plural: boolean;
}

export interface ValueCandidate {
  column: AskColumn;
  value: string;
}

export interface ValueMatch {
  end: number;
  /** One per column that holds the value; several means the value is ambiguous. */
  candidates: ValueCandidate[];
}

export interface Vocabulary {
  dataset: AskDataset;
  /** The dataset's time column: where date phrases and time grains apply. */
  timeColumn: AskColumn | undefined;
  columnAt(tokens: readonly Token[], i: number): ColumnMatch | undefined;
  valueAt(tokens: readonly Token[], i: number): ValueMatch | undefined;
  /** Index just past a mention of the dataset itself ("sales"), if there is one at i. */
  datasetAt(tokens: readonly Token[], i: number): number | undefined;
  /** How many distinct values a looked-up column has (undefined when it was not looked up). */
  valueCount(column: string): number | undefined;
  /** Every word and phrase the dataset knows, lower-cased, for spelling suggestions. */
  words(): readonly string[];
}

const MAX_PHRASE = 6;

/** Word keys of values and names, kept across questions: the same few hundred values come back with every question. */
const keyCache = new Map<string, string>();
function keysOf(text: string): string {
  let keys = keyCache.get(text);
  if (keys === undefined) {
    if (keyCache.size >= 50_000) keyCache.clear();
    keys = phraseKeys(text).join(' ');
    keyCache.set(text, keys);
  }
  return keys;
}

function addTo<T>(index: Map<string, T[]>, key: string, item: T, same: (a: T, b: T) => boolean) {
  if (!key) return;
  const list = index.get(key) ?? [];
  if (!list.some((x) => same(x, item))) list.push(item);
  index.set(key, list);
}

/**
 * @example
 * const vocabulary = buildVocabulary(salesDataset, new Map([['region', ['North', 'West']]]));
 * vocabulary.valueAt(tokenizeQuestion('revenue in west'), 2) // { end: 3, candidates: [{ column: region, value: 'West' }] }
 */
export function buildVocabulary(dataset: AskDataset, values: ReadonlyMap<string, readonly string[]>): Vocabulary {
  const columnIndex = new Map<string, AskColumn[]>();
  const valueIndex = new Map<string, ValueCandidate[]>();
  const datasetKeys = new Set<string>();
  const phrases: string[] = [];
  const sameColumn = (a: AskColumn, b: AskColumn) => a.name === b.name;

  for (const column of dataset.columns) {
    const names = [column.name, column.label, ...column.synonyms];
    addTo(columnIndex, column.name.toLowerCase(), column, sameColumn);
    for (const phrase of names) {
      addTo(columnIndex, keysOf(phrase), column, sameColumn);
      phrases.push(phrase);
    }
  }
  for (const column of dataset.columns) {
    for (const value of values.get(column.name) ?? []) {
      if (typeof value !== 'string' || value.trim() === '') continue;
      addTo(valueIndex, keysOf(value), { column, value }, (a, b) => a.column.name === b.column.name);
      phrases.push(value);
    }
  }
  for (const phrase of [dataset.name, dataset.label]) datasetKeys.add(keysOf(phrase));
  let words: string[] | undefined;

  /** Longest phrase at i whose joined keys are in the index. */
  function longest<T>(index: Map<string, T[]>, tokens: readonly Token[], i: number): { end: number; items: T[] } | undefined {
    const first = tokens[i];
    if (!first || first.kind === 'symbol') return undefined;
    if (first.kind === 'quoted') {
      const items = index.get(keysOf(first.raw));
      return items ? { end: i + 1, items } : undefined;
    }
    for (let end = Math.min(tokens.length, i + MAX_PHRASE); end > i; end--) {
      const slice = tokens.slice(i, end);
      if (slice.some((t) => t.kind === 'symbol' || t.kind === 'quoted')) continue;
      const items = index.get(slice.map((t) => t.key).join(' '));
      if (items) return { end, items };
    }
    return undefined;
  }

  return {
    dataset,
    timeColumn: dataset.columns.find((c) => c.role === 'time'),
    columnAt(tokens, i) {
      const hit = longest(columnIndex, tokens, i);
      if (!hit) return undefined;
      const last = tokens[hit.end - 1] as Token;
      return { end: hit.end, columns: hit.items, plural: last.kind === 'word' && last.lower !== last.key };
    },
    valueAt(tokens, i) {
      const hit = longest(valueIndex, tokens, i);
      return hit ? { end: hit.end, candidates: hit.items } : undefined;
    },
    datasetAt(tokens, i) {
      for (let end = Math.min(tokens.length, i + MAX_PHRASE); end > i; end--) {
        if (datasetKeys.has(tokens.slice(i, end).map((t) => t.key).join(' '))) return end;
      }
      return undefined;
    },
    valueCount(column) {
      return values.get(column)?.length;
    },
    words() {
      words ??= [...new Set(phrases.flatMap((p) => [p.toLowerCase(), ...p.toLowerCase().split(/\s+/)]))];
      return words;
    },
  };
}
