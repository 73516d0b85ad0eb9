/**
 * Reads a tokenized question against one dataset's vocabulary, in the manner
 * of a search bar: every word either names something of the dataset (a
 * column, a category value, the dataset), is a keyword of the grammar
 * ("by", "top 5", "last month", "over 100"), is a stop word, or is unknown.
 * The result is an intent; turning it into a query is `buildAnswer`'s job.
 */
import type { QueryFilter, TimeGrain } from '../../query/structured-query.ts';
import type { AskColumn } from './ask-dataset.ts';
import type { ValueCandidate, ValueMatch, Vocabulary } from './ask-vocabulary.ts';
import { parseDatePhrase } from './parse-date-phrase.ts';
import type { Token } from './tokenize-question.ts';
import { ownValue } from '../../schema/own-record.ts';

export type Aggregate = 'sum' | 'avg' | 'count' | 'count_distinct' | 'min' | 'max';

/** Token indices [start, end) of the words an item came from. */
export interface Span {
  start: number;
  end: number;
}

export interface MeasureIntent {
  agg: Aggregate;
  column?: AskColumn;
  span: Span;
}

export interface DimensionIntent {
  column: AskColumn;
  grain?: TimeGrain;
  span: Span;
  /** A bare time column ("by date"): days, unless a grain is named too. */
  implicitGrain?: boolean;
  /** Named in the plural ("which customers"): a ranking shows several rows, not one. */
  plural?: boolean;
}

export interface FilterIntent {
  filter: QueryFilter;
  label: string;
  span: Span;
  /** A date phrase on the time column. */
  time: boolean;
}

export interface SortIntent {
  /** What to sort by; undefined: the first measure. */
  target?: { measure: MeasureIntent } | { dimension: DimensionIntent };
  direction?: 'asc' | 'desc';
  span: Span;
}

export interface Ambiguity {
  span: Span;
  options: Array<{ column: AskColumn; value?: string }>;
}

export interface Intent {
  vocabulary: Vocabulary;
  tokens: Token[];
  measures: MeasureIntent[];
  /** Measures only named in a comparison ("revenue over 100"): shown when nothing else is measured. */
  compared: MeasureIntent[];
  dimensions: DimensionIntent[];
  filters: FilterIntent[];
  sort?: SortIntent;
  /** "top 5" / "bottom 3", or a superlative with a grouping ("which region has the highest revenue"). */
  top?: { n: number; direction: 'asc' | 'desc'; span: Span; counted?: boolean };
  /** A count said next to a ranking word ("the 3 best products", "top five"): how many rows the ranking keeps. */
  rankCount?: number;
  /** "how much": a quantity of the dataset's main measure, not a count of rows. */
  howMuch?: boolean;
  /** "highest revenue" without a grouping is a max; with one, the top row. */
  superlatives: Array<{ direction: 'asc' | 'desc'; column?: AskColumn; span: Span }>;
  /** "growth of", "trend", "over time": the measure by month, as a line. */
  trend: Span | undefined;
  /** "share", "breakdown": a pie when the slices are few. */
  share: boolean;
  /** "vs", "versus", "compared to": where the words were, if anywhere. */
  compare: Span | undefined;
  unknown: number[];
  ambiguous: Ambiguity[];
  /** Words that named something of this dataset (to choose between datasets). */
  mapped: number;
}

const STOP_WORDS = new Set(
  `show me what whats what's is are was were be been being the a an of for in on at to with where and or please give get list display find tell
   i we us our my you your it its their they them there this that these those do does did have has had how much can could would will
   see view want like into as so just only from selling performing purchased ordered overall altogether made make sold bought spent
   earned generated data value values chart graph plot report all any some currently ever same then also
   hi hello hey thanks thank cheers good morning afternoon evening kindly quick question i'd i'm im wondering know knowing wonder
   sell sells place placed placing ship shipped shipping buy buys purchase purchases bring brings brought spend spends came come comes
   include includes including issue issued bill bills break down volume overall`.split(/\s+/),
);

/** Who does something: the word after them is a verb ("did we invoice"). */
const SUBJECTS = new Set(['we', 'you', 'they', 'i']);

/** Verbs whose object is the main measure when none is named ("what did each region sell"). */
const MONEY_VERBS = new Set(['sell', 'sold', 'spend', 'spent', 'bring', 'brought', 'earn', 'earned', 'make', 'made']);

/** Number words a ranking counts with ("top five", "the three best"). */
const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12, fifteen: 15, twenty: 20,
};

/** A small count, in digits or words, that is not a year or an amount. */
function countOf(t: Token | undefined): number | undefined {
  if (!t) return undefined;
  if (t.kind === 'number') return Number.isInteger(t.value) && (t.value as number) >= 1 && (t.value as number) <= 100 && !t.raw.includes('$') ? t.value : undefined;
  return t.kind === 'word' ? ownValue(NUMBER_WORDS, t.lower) : undefined;
}

/** Words that rank ("best", "top-selling"): a count beside one of them is the ranking's size. */
const RANKING_WORDS = new Set(['top', 'bottom', 'best', 'worst', 'biggest', 'largest', 'smallest', 'highest', 'lowest', 'most', 'least', 'fewest', 'best-selling', 'top-selling', 'greatest']);

const GROUPING = [['for', 'each'], ['for', 'every'], ['group', 'by'], ['grouped', 'by'], ['broken', 'down', 'by'], ['break', 'down', 'by'], ['split', 'by'], ['by'], ['per'], ['each'], ['every'], ['across'], ['which'], ['what']];
const SORTING = [['sort', 'by'], ['sorted', 'by'], ['order', 'by'], ['ordered', 'by'], ['rank', 'by'], ['ranked', 'by'], ['sort'], ['sorted']];
const DIRECTIONS: Array<[string[], 'asc' | 'desc']> = [
  [['highest', 'first'], 'desc'],
  [['largest', 'first'], 'desc'],
  [['biggest', 'first'], 'desc'],
  [['most', 'first'], 'desc'],
  [['lowest', 'first'], 'asc'],
  [['smallest', 'first'], 'asc'],
  [['least', 'first'], 'asc'],
  [['ascending'], 'asc'],
  [['asc'], 'asc'],
  [['descending'], 'desc'],
  [['desc'], 'desc'],
  [['alphabetically'], 'asc'],
  [['a', 'to', 'z'], 'asc'],
  [['z', 'to', 'a'], 'desc'],
];
const AGGREGATES: Array<[string[], Aggregate]> = [
  [['count', 'distinct'], 'count_distinct'],
  [['count', 'of', 'distinct'], 'count_distinct'],
  [['count', 'of', 'unique'], 'count_distinct'],
  [['number', 'of', 'distinct'], 'count_distinct'],
  [['number', 'of', 'unique'], 'count_distinct'],
  [['number', 'of', 'different'], 'count_distinct'],
  [['how', 'many', 'distinct'], 'count_distinct'],
  [['how', 'many', 'unique'], 'count_distinct'],
  [['how', 'many', 'different'], 'count_distinct'],
  [['unique'], 'count_distinct'],
  [['distinct'], 'count_distinct'],
  [['number', 'of'], 'count'],
  [['count', 'of'], 'count'],
  [['how', 'many'], 'count'],
  [['count'], 'count'],
  [['sum', 'of'], 'sum'],
  [['sum'], 'sum'],
  [['total'], 'sum'],
  [['average'], 'avg'],
  [['avg'], 'avg'],
  [['mean'], 'avg'],
  [['minimum'], 'min'],
  [['min'], 'min'],
  [['maximum'], 'max'],
  [['max'], 'max'],
];
const SUPERLATIVES: Array<[string[], 'asc' | 'desc']> = [
  [['highest'], 'desc'],
  [['largest'], 'desc'],
  [['biggest'], 'desc'],
  [['greatest'], 'desc'],
  [['most'], 'desc'],
  [['best'], 'desc'],
  [['lowest'], 'asc'],
  [['smallest'], 'asc'],
  [['least'], 'asc'],
  [['fewest'], 'asc'],
  [['worst'], 'asc'],
  [['best-selling'], 'desc'],
  [['top-selling'], 'desc'],
  [['busiest'], 'desc'],
];
const COMPARISONS: Array<[string[], 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq' | 'between']> = [
  [['>='], 'gte'],
  [['<='], 'lte'],
  [['<>'], 'neq'],
  [['!='], 'neq'],
  [['>'], 'gt'],
  [['<'], 'lt'],
  [['='], 'eq'],
  [['more', 'than'], 'gt'],
  [['greater', 'than'], 'gt'],
  [['bigger', 'than'], 'gt'],
  [['higher', 'than'], 'gt'],
  [['larger', 'than'], 'gt'],
  [['over'], 'gt'],
  [['above'], 'gt'],
  [['exceeding'], 'gt'],
  [['at', 'least'], 'gte'],
  [['no', 'less', 'than'], 'gte'],
  [['less', 'than'], 'lt'],
  [['fewer', 'than'], 'lt'],
  [['lower', 'than'], 'lt'],
  [['smaller', 'than'], 'lt'],
  [['under'], 'lt'],
  [['below'], 'lt'],
  [['at', 'most'], 'lte'],
  [['no', 'more', 'than'], 'lte'],
  [['up', 'to'], 'lte'],
  [['equal', 'to'], 'eq'],
  [['equals'], 'eq'],
  [['exactly'], 'eq'],
  [['not', 'equal', 'to'], 'neq'],
  [['between'], 'between'],
];
const TEXT_OPS: Array<[string[], 'contains' | 'starts_with']> = [
  [['contains'], 'contains'],
  [['containing'], 'contains'],
  [['contain'], 'contains'],
  [['includes'], 'contains'],
  [['including'], 'contains'],
  [['like'], 'contains'],
  [['matching'], 'contains'],
  [['starts', 'with'], 'starts_with'],
  [['starting', 'with'], 'starts_with'],
  [['start', 'with'], 'starts_with'],
  [['begins', 'with'], 'starts_with'],
  [['beginning', 'with'], 'starts_with'],
];
const NEGATIONS = [['other', 'than'], ['not'], ['except'], ['excluding'], ['exclude'], ['without'], ['isn\'t'], ['isnt'], ['but', 'not']];
const COMPARE = [['compared', 'to'], ['compared', 'with'], ['vs'], ['versus'], ['against'], ['v']];
const TREND = [['over', 'time'], ['growth'], ['trend'], ['trends'], ['trending'], ['evolution'], ['history']];
const SHARE = [['share'], ['breakdown'], ['proportion'], ['proportions'], ['distribution'], ['mix'], ['split'], ['pie']];
const GRAIN_ADVERBS: Record<string, TimeGrain> = { daily: 'day', weekly: 'week', monthly: 'month', quarterly: 'quarter', yearly: 'year', annually: 'year', annual: 'year' };
const GRAIN_NOUNS: Record<string, TimeGrain> = { day: 'day', week: 'week', month: 'month', quarter: 'quarter', year: 'year' };
const FILTER_WORDS = new Set(['for', 'where', 'with', 'in', 'on', 'at', 'from', 'whose']);
/** Words that may sit between a column and its operator: "revenue is over 100". */
const LINKING = new Set(['is', 'was', 'are', 'were', 'of', 'with', 'that', 'which', 'whose', 'where']);

/** Length of the phrase at i when it is one of `phrases` (longest first), else 0. */
function phraseAt(tokens: readonly Token[], i: number, phrases: readonly string[][]): number {
  let best = 0;
  for (const phrase of phrases) {
    if (phrase.length <= best) continue;
    if (phrase.every((w, k) => tokens[i + k]?.lower === w)) best = phrase.length;
  }
  return best;
}

function lookup<T>(tokens: readonly Token[], i: number, table: Array<[string[], T]>): { length: number; value: T } | undefined {
  let best: { length: number; value: T } | undefined;
  for (const [phrase, value] of table) {
    if (best && phrase.length <= best.length) continue;
    if (phrase.every((w, k) => tokens[i + k]?.lower === w)) best = { length: phrase.length, value };
  }
  return best;
}

const isNumber = (t: Token | undefined): t is Token & { value: number } => t?.kind === 'number' && typeof t.value === 'number';
const isNumeric = (c: AskColumn) => c.type === 'number';
const isTextual = (c: AskColumn) => c.type === 'string';

const OP_SYMBOL = { gt: '>', gte: '≥', lt: '<', lte: '≤', eq: '=', neq: '≠' } as const;

/**
 * @example
 * const intent = parseQuestion(tokenizeQuestion('top 5 products by revenue last month'), vocabulary, new Date());
 * intent.top // { n: 5, direction: 'desc', ... }; intent.unknown // []
 */
export function parseQuestion(tokens: Token[], vocabulary: Vocabulary, now: Date): Intent {
  const intent: Intent = {
    vocabulary,
    tokens,
    measures: [],
    compared: [],
    dimensions: [],
    filters: [],
    superlatives: [],
    trend: undefined,
    share: false,
    compare: undefined,
    unknown: [],
    ambiguous: [],
    mapped: 0,
  };
  const time = vocabulary.timeColumn;
  if (tokens.some((t, k) => (t.lower === 'how' && tokens[k + 1]?.lower === 'much') || MONEY_VERBS.has(t.lower))) intent.howMuch = true;
  const ranks = tokens.some((t) => RANKING_WORDS.has(t.lower));
  /** After "by", "per", "which": a named column groups the answer. */
  let grouping = false;
  /** After "top 5": the next column is what is ranked. */
  let ranking = false;
  let pendingAgg: { agg: Aggregate; span: Span } | undefined;
  let pendingSuperlative: { direction: 'asc' | 'desc'; span: Span } | undefined;
  let pendingSort: Span | undefined;
  let negate = false;
  /** The previous word was a category value ("completed orders"). */
  let afterValue = false;
  let negateSpan: Span | undefined;
  /** "by" with nothing after it groups by nothing: it stays unplaced until a column follows. */
  let groupSpan: Span | undefined;

  const flushAgg = () => {
    if (pendingAgg) {
      // "count" alone counts rows; "total" or "average" of nothing is not understood.
      if (pendingAgg.agg === 'count') intent.measures.push({ agg: 'count', span: pendingAgg.span });
      else for (let k = pendingAgg.span.start; k < pendingAgg.span.end; k++) intent.unknown.push(k);
      pendingAgg = undefined;
    }
    if (pendingSuperlative) {
      intent.superlatives.push({ direction: pendingSuperlative.direction, span: pendingSuperlative.span });
      pendingSuperlative = undefined;
    }
  };

  /** Skips linking words ("is", "with") after a column; returns the index of the next meaningful word. */
  const afterLinking = (j: number) => {
    let k = j;
    while (k < tokens.length && LINKING.has(tokens[k]?.lower ?? '')) k++;
    return k;
  };

  /** A comparison on a numeric column at j ("over 100", "between 10 and 20", "> 5"). */
  const comparisonAt = (j: number, column: AskColumn): { end: number; filter: QueryFilter; label: string } | undefined => {
    let k = j;
    let negated = false;
    if (tokens[k]?.lower === 'not' && tokens[k + 1] && lookup(tokens, k + 1, COMPARISONS)) {
      negated = true;
      k++;
    }
    const op = lookup(tokens, k, COMPARISONS);
    if (!op) return undefined;
    const first = tokens[k + op.length];
    if (!isNumber(first)) return undefined;
    if (op.value === 'between') {
      const second = tokens[k + op.length + 2];
      if (tokens[k + op.length + 1]?.lower !== 'and' || !isNumber(second) || negated) return undefined;
      const [lo, hi] = first.value <= second.value ? [first.value, second.value] : [second.value, first.value];
      return { end: k + op.length + 3, filter: { column: column.name, op: 'between', value: [lo, hi] }, label: `${column.label} between ${lo} and ${hi}` };
    }
    const flipped = negated ? ({ gt: 'lte', gte: 'lt', lt: 'gte', lte: 'gt', eq: 'neq', neq: 'eq' } as const)[op.value] : op.value;
    return { end: k + op.length + 1, filter: { column: column.name, op: flipped, value: first.value }, label: `${column.label} ${OP_SYMBOL[flipped]} ${first.value}` };
  };

  /** A text condition on a string column at j ("contains ava", "starts with 'Tents'"). */
  const textAt = (j: number, column: AskColumn): { end: number; filter: QueryFilter; label: string } | undefined => {
    const op = lookup(tokens, j, TEXT_OPS);
    if (!op) return undefined;
    const value = tokens[j + op.length];
    if (!value || value.kind === 'symbol' || value.raw.length > 200) return undefined;
    const words = op.value === 'contains' ? 'contains' : 'starts with';
    return { end: j + op.length + 1, filter: { column: column.name, op: op.value, value: value.raw }, label: `${column.label} ${words} "${value.raw}"` };
  };

  const addValueFilter = (candidate: ValueCandidate, span: Span) => {
    intent.filters.push({
      filter: { column: candidate.column.name, op: negate ? 'neq' : 'eq', value: candidate.value },
      label: `${candidate.column.label} ${negate ? '≠' : '='} ${candidate.value}`,
      span,
      time: false,
    });
    negate = false;
  };

  /** A column named where a column is expected: a measure, a grouping, a sort key or a count. */
  const useColumn = (column: AskColumn, span: Span, plural: boolean) => {
    groupSpan = undefined;
    if (pendingSort) {
      const sortSpan = { start: pendingSort.start, end: span.end };
      pendingSort = undefined;
      if (column.role === 'measure') {
        const measure = { agg: 'sum' as const, column, span };
        intent.sort = { ...intent.sort, target: { measure }, span: sortSpan };
      } else {
        const dimension = { column, span };
        intent.sort = { ...intent.sort, target: { dimension }, span: sortSpan };
      }
      return;
    }
    if (pendingAgg) {
      const { agg, span: aggSpan } = pendingAgg;
      pendingAgg = undefined;
      const full = { start: aggSpan.start, end: span.end };
      // "how many units": a measure counted is its total.
      if (agg === 'count' && column.role === 'measure' && isNumeric(column)) {
        intent.measures.push({ agg: 'sum', column, span: full });
        return;
      }
      if (agg === 'count' || agg === 'count_distinct') {
        intent.measures.push({ agg: column.role === 'measure' && agg === 'count' ? 'count' : 'count_distinct', column, span: full });
        return;
      }
      // Sums and averages are of measures: an order number summed means nothing.
      if ((agg === 'sum' || agg === 'avg') && !(isNumeric(column) && column.role === 'measure')) {
        for (let k = full.start; k < full.end; k++) intent.unknown.push(k);
        return;
      }
      if ((agg === 'min' || agg === 'max') && !(isNumeric(column) || column.role === 'time' || column.type === 'date' || column.type === 'datetime')) {
        for (let k = full.start; k < full.end; k++) intent.unknown.push(k);
        return;
      }
      intent.measures.push({ agg, column, span: full });
      return;
    }
    // "which quarter had the most orders": after a grouping, the superlative ranks by how many there are.
    if (pendingSuperlative && plural && column.role === 'dimension' && intent.dimensions.length > 0) {
      intent.measures.push({ agg: 'count_distinct', column, span });
      intent.superlatives.push({ direction: pendingSuperlative.direction, span: { start: pendingSuperlative.span.start, end: span.end } });
      pendingSuperlative = undefined;
      return;
    }
    if (pendingSuperlative && column.role === 'measure') {
      intent.superlatives.push({ direction: pendingSuperlative.direction, column, span: { start: pendingSuperlative.span.start, end: span.end } });
      pendingSuperlative = undefined;
      return;
    }
    if (column.role === 'measure') {
      intent.measures.push({ agg: 'sum', column, span });
      return;
    }
    if (column.role === 'time' || column.type === 'date' || column.type === 'datetime') {
      intent.dimensions.push({ column, grain: 'day', span, implicitGrain: true });
      return;
    }
    // "revenue from completed orders": a plural right after a value only says what the rows are.
    if (plural && !grouping && !ranking && afterValue) {
      return;
    }
    // "busiest quarter by orders": grouped already and ranked, a plural identifier after "by" is how many there are.
    if (plural && grouping && isNumeric(column) && intent.dimensions.length > 0 && (intent.superlatives.length > 0 || intent.top)) {
      intent.measures.push({ agg: 'count_distinct', column, span });
      return;
    }
    // "best products", "largest order": what is ranked, by a measure named later or asked for.
    if (plural && !grouping && !ranking && !pendingSuperlative) {
      intent.measures.push({ agg: 'count_distinct', column, span });
      return;
    }
    intent.dimensions.push({ column, span, ...(plural ? { plural } : {}) });
  };

  /** A category value at i ("West", "West region", "Small business"): an eq filter on the column holding it. */
  const consumeValue = (valueHit: ValueMatch, i: number): number => {
    const span = { start: i, end: valueHit.end };
    let candidates = valueHit.candidates;
    let end = valueHit.end;
    // "West region": the column named next to the value settles which column holds it.
    const named = vocabulary.columnAt(tokens, end);
    if (named) {
      const narrowed = candidates.filter((c) => named.columns.some((col) => col.name === c.column.name));
      if (narrowed.length === 1) {
        candidates = narrowed;
        end = named.end;
      }
    }
    if (candidates.length > 1) intent.ambiguous.push({ span, options: candidates.map((c) => ({ column: c.column, value: c.value })) });
    else if (candidates[0]) addValueFilter(candidates[0], { start: i, end });
    // "number of returned orders": the count waits for what it counts.
    if (pendingAgg?.agg !== 'count' && pendingAgg?.agg !== 'count_distinct') flushAgg();
    intent.mapped += end - i;
    grouping = false;
    valueEnd = end;
    return end;
  };

  let i = 0;
  let valueEnd = -1;
  while (i < tokens.length) {
    const t = tokens[i] as Token;
    let n: number;
    afterValue = valueEnd === i;
    // A value of several words ("Small business", "Footwear Max") wins over keywords inside it.
    const longValue = vocabulary.valueAt(tokens, i);
    if (longValue && longValue.end - i >= 2 && (vocabulary.columnAt(tokens, i)?.end ?? 0) < longValue.end) {
      i = consumeValue(longValue, i);
      continue;
    }

    // Sorting before grouping: "order by" is not the column "order".
    if ((n = phraseAt(tokens, i, SORTING))) {
      flushAgg();
      pendingSort = { start: i, end: i + n };
      i += n;
      continue;
    }
    const direction = lookup(tokens, i, DIRECTIONS);
    if (direction) {
      intent.sort = intent.sort ? { ...intent.sort, direction: direction.value } : { direction: direction.value, span: { start: i, end: i + direction.length } };
      i += direction.length;
      continue;
    }
    if (time && (n = phraseAt(tokens, i, [['over', 'time']]))) {
      intent.trend = { start: i, end: i + n };
      i += n;
      continue;
    }
    // "the 3 best products", "best 3", "the 5 products with the most units": the size of a ranking.
    const rankCount = countOf(t);
    if (
      rankCount !== undefined &&
      ranks &&
      (RANKING_WORDS.has(tokens[i + 1]?.lower ?? '') || RANKING_WORDS.has(tokens[i - 1]?.lower ?? '') || vocabulary.columnAt(tokens, i + 1)?.plural)
    ) {
      intent.rankCount = rankCount;
      intent.mapped++;
      // "the 5 products with the most units": the plural named next is what is ranked.
      if (vocabulary.columnAt(tokens, i + 1)?.plural) ranking = true;
      i++;
      continue;
    }
    if ((t.lower === 'top' || t.lower === 'bottom') && !(tokens[i + 1]?.lower === 'of')) {
      flushAgg();
      const count = countOf(tokens[i + 1]);
      const len = count !== undefined ? 2 : 1;
      intent.top = { n: count ?? 10, direction: t.lower === 'top' ? 'desc' : 'asc', span: { start: i, end: i + len }, counted: count !== undefined };
      ranking = true;
      grouping = false;
      i += len;
      continue;
    }
    if (time) {
      const date = parseDatePhrase(tokens, i, time.name, now);
      if (date) {
        flushAgg();
        intent.filters.push({ filter: date.filter, label: `${time.label}: ${date.label}`, span: { start: i, end: date.end }, time: true });
        intent.mapped += date.end - i;
        i = date.end;
        grouping = false;
        continue;
      }
      const adverb = ownValue(GRAIN_ADVERBS, t.lower);
      if (adverb) {
        flushAgg();
        intent.dimensions.push({ column: time, grain: adverb, span: { start: i, end: i + 1 } });
        groupSpan = undefined;
        i++;
        continue;
      }
      const noun = ownValue(GRAIN_NOUNS, t.key);
      if (noun && (grouping || ranking || pendingSuperlative) && t.kind === 'word') {
        flushAgg();
        intent.dimensions.push({ column: time, grain: noun, span: { start: i, end: i + 1 } });
        groupSpan = undefined;
        i++;
        ranking = false;
        continue;
      }
    }
    if ((n = phraseAt(tokens, i, GROUPING))) {
      flushAgg();
      grouping = true;
      // "which" and "what" also open ordinary questions ("what is the revenue").
      if (t.lower !== 'which' && t.lower !== 'what') groupSpan = { start: i, end: i + n };
      i += n;
      continue;
    }
    if ((n = phraseAt(tokens, i, NEGATIONS))) {
      negate = true;
      negateSpan = { start: i, end: i + n };
      i += n;
      continue;
    }
    if (time && (n = phraseAt(tokens, i, TREND))) {
      intent.trend = { start: i, end: i + n };
      i += n;
      continue;
    }
    if ((n = phraseAt(tokens, i, SHARE))) {
      intent.share = true;
      i += n;
      continue;
    }
    if ((n = phraseAt(tokens, i, COMPARE))) {
      intent.compare = { start: i, end: i + n };
      i += n;
      continue;
    }
    const agg = lookup(tokens, i, AGGREGATES);
    // "how much did we sell in total": a total of everything, which every answer already is.
    if (agg?.value === 'sum' && tokens[i - 1]?.lower === 'in' && agg.length === 1) {
      intent.mapped++;
      i++;
      continue;
    }
    if (agg) {
      flushAgg();
      pendingAgg = { agg: agg.value, span: { start: i, end: i + agg.length } };
      i += agg.length;
      continue;
    }
    const superlative = lookup(tokens, i, SUPERLATIVES);
    if (superlative) {
      flushAgg();
      pendingSuperlative = { direction: superlative.value, span: { start: i, end: i + superlative.length } };
      i += superlative.length;
      continue;
    }

    const columnHit = vocabulary.columnAt(tokens, i);
    const valueHit = vocabulary.valueAt(tokens, i);
    if (valueHit && (!columnHit || valueHit.end > columnHit.end)) {
      i = consumeValue(valueHit, i);
      continue;
    }
    // "how much did we invoice": a word right after "we" is a verb, even when it also names a column.
    if (columnHit && columnHit.end === i + 1 && SUBJECTS.has(tokens[i - 1]?.lower ?? '') && t.kind === 'word') {
      i++;
      continue;
    }
    // "each customer segment": a singular dimension right before another only says which one is meant.
    const nextHit = columnHit && columnHit.columns.length === 1 && !columnHit.plural ? vocabulary.columnAt(tokens, columnHit.end) : undefined;
    const nextColumn = nextHit?.columns.length === 1 ? nextHit.columns[0] : undefined;
    if (columnHit && nextColumn && columnHit.columns[0]?.role === 'dimension' && nextColumn.role === 'dimension' && nextColumn.name !== columnHit.columns[0]?.name) {
      intent.mapped += columnHit.end - i;
      i = columnHit.end;
      continue;
    }
    if (columnHit) {
      const span = { start: i, end: columnHit.end };
      intent.mapped += columnHit.end - i;
      if (columnHit.columns.length > 1) {
        intent.ambiguous.push({ span, options: columnHit.columns.map((column) => ({ column })) });
        i = columnHit.end;
        continue;
      }
      const column = columnHit.columns[0] as AskColumn;
      const next = afterLinking(columnHit.end);
      // "region West", "region is West": the column names where the value is.
      // After "by" the column is a grouping; a value or date after it is a filter of its own ("by region for West").
      const value = isTextual(column) && !grouping ? vocabulary.valueAt(tokens, tokens[next]?.lower === 'not' ? next + 1 : next) : undefined;
      const fitting = value?.candidates.find((c) => c.column.name === column.name);
      if (value && fitting) {
        if (tokens[next]?.lower === 'not') negate = true;
        addValueFilter(fitting, { start: i, end: value.end });
        intent.mapped += value.end - columnHit.end;
        i = value.end;
        grouping = false;
        continue;
      }
      const condition = isNumeric(column) ? comparisonAt(next, column) : isTextual(column) ? textAt(next, column) : undefined;
      if (condition) {
        intent.filters.push({ filter: condition.filter, label: condition.label, span: { start: i, end: condition.end }, time: false });
        // A measure only compared ("revenue over 100 by region") is still what the viewer wants to see.
        if (column.role === 'measure') intent.compared.push({ agg: 'sum', column, span });
        intent.mapped += condition.end - columnHit.end;
        i = condition.end;
        grouping = false;
        continue;
      }
      // "order date in 2024": the time column named before its date phrase.
      const date = time && column.name === time.name && !grouping ? parseDatePhrase(tokens, next, time.name, now) : undefined;
      if (date) {
        flushAgg();
        intent.filters.push({ filter: date.filter, label: `${time?.label}: ${date.label}`, span: { start: i, end: date.end }, time: true });
        intent.mapped += date.end - columnHit.end;
        i = date.end;
        grouping = false;
        continue;
      }
      // "order count", "customer count": how many of them, each counted once.
      if (column.role === 'dimension' && tokens[columnHit.end]?.key === 'count' && !pendingAgg) {
        intent.measures.push({ agg: 'count_distinct', column, span: { start: i, end: columnHit.end + 1 } });
        intent.mapped++;
        i = columnHit.end + 1;
        continue;
      }
      useColumn(column, span, columnHit.plural);
      i = columnHit.end;
      // "by region and category": a grouping goes on over dimensions.
      grouping = grouping && column.role !== 'measure';
      ranking = false;
      continue;
    }
    const datasetEnd = vocabulary.datasetAt(tokens, i);
    if (datasetEnd !== undefined) {
      intent.mapped += datasetEnd - i;
      i = datasetEnd;
      continue;
    }
    if (STOP_WORDS.has(t.lower) && t.kind !== 'quoted') {
      // "for", "where", "in" end a grouping: what follows narrows the rows.
      if (FILTER_WORDS.has(t.lower)) grouping = false;
      i++;
      continue;
    }
    intent.unknown.push(i);
    grouping = false;
    // "by flavour": the unknown word is what to ask about, not the "by".
    groupSpan = undefined;
    i++;
  }
  flushAgg();
  // "not" with no value after it negates nothing the engine can show.
  if (negate && negateSpan) for (let k = negateSpan.start; k < negateSpan.end; k++) intent.unknown.push(k);
  if (pendingSort) for (let k = pendingSort.start; k < pendingSort.end; k++) intent.unknown.push(k);
  if (groupSpan) for (let k = groupSpan.start; k < groupSpan.end; k++) intent.unknown.push(k);
  // "vs" needs two measures or two values of one column; "compared to last year" is not something the engine can show.
  if (intent.compare) {
    const perColumn = new Map<string, number>();
    for (const f of intent.filters) if (f.filter.op === 'eq') perColumn.set(f.filter.column, (perColumn.get(f.filter.column) ?? 0) + 1);
    const twoValues = [...perColumn.values()].some((count) => count >= 2);
    if (intent.measures.length < 2 && !twoValues) for (let k = intent.compare.start; k < intent.compare.end; k++) intent.unknown.push(k);
  }
  return intent;
}
