/**
 * Questions whose meaning a structured query cannot express yet: a share of a
 * total ("share of revenue by region", "what percentage"), a ratio of two
 * aggregates ("revenue per order", "average order value") and a difference
 * between two periods or members ("growth from 2024 to 2025", "difference
 * between East and West"). Answering them with the nearest plain total would
 * be a wrong answer that looks right, so the engine asks back instead.
 */
import type { Token } from './tokenize-question.ts';
import type { Span } from './parse-question.ts';

export type UnsupportedKind = 'share' | 'ratio' | 'difference';

export interface UnsupportedIntent {
  kind: UnsupportedKind;
  /** The words that ask for it; left out, the rest is a question the engine may answer. */
  span: Span;
  /** For a ratio: the words of what it is per ("order" in "revenue per order"), to count them instead. */
  per?: Span;
  message: string;
}

/** Index just past an entity column at i ("order", "invoice"): something counted, whose per-item ratio is meant. */
export type EntityAt = (tokens: readonly Token[], i: number) => number | undefined;

const MESSAGES: Record<UnsupportedKind, string> = {
  share: 'I cannot compute shares or percentages of a total yet; I can show the amounts themselves.',
  ratio: 'I cannot divide one total by another (a value per order or per customer) yet; I can show each of them.',
  difference: 'I cannot compute the difference between two periods or members yet; I can show each of them side by side.',
};

/** Words that ask for a part of a whole. */
const SHARE = [['share'], ['shares'], ['percentage'], ['percentages'], ['percent'], ['pct'], ['proportion'], ['proportions'], ['fraction'], ['portion'], ['ratio'], ['what', 'part']];
/** Whole ratios by name. */
const RATIO = [['average', 'order', 'value'], ['average', 'order', 'size'], ['aov'], ['average', 'basket'], ['basket', 'size'], ['average', 'ticket'], ['average', 'invoice', 'value'], ['per', 'capita'], ['per', 'head']];
/** People, each of whom an average is taken over ("average revenue per customer"). */
const PER_HEAD = new Set(['customer', 'client', 'account', 'user', 'member', 'buyer', 'person', 'people', 'subscriber', 'shopper', 'visitor', 'employee']);
const AVERAGE = new Set(['average', 'avg', 'mean', 'typical']);
const DIFFERENCE = [
  ['difference', 'between'], ['difference', 'in'], ['difference', 'of'], ['diff', 'between'], ['gap', 'between'], ['change', 'from'], ['change', 'between'], ['change', 'in'],
  ['growth', 'from'], ['growth', 'between'], ['increase', 'from'], ['decrease', 'from'], ['drop', 'from'], ['went', 'from'], ['grew', 'from'], ['go', 'from'],
  ['year', 'over', 'year'], ['yoy'], ['month', 'over', 'month'], ['mom'], ['quarter', 'over', 'quarter'], ['qoq'], ['week', 'over', 'week'],
  ['than', 'last'], ['than', 'the', 'previous'], ['than', 'previous'], ['than', 'the', 'prior'], ['than', 'a', 'year', 'ago'], ['compared', 'to', 'last'], ['compared', 'with', 'last'],
  ['vs', 'last'], ['versus', 'last'], ['vs', 'the', 'previous'], ['vs', 'previous'], ['vs', 'prior'], ['compared', 'to', 'the', 'previous'], ['compared', 'to', 'previous'], ['compared', 'to', 'prior'],
  ['how', 'much', 'more'], ['how', 'much', 'less'], ['how', 'many', 'more'], ['how', 'many', 'fewer'], ['percent', 'change'], ['growth', 'rate'],
];

function phraseAt(tokens: readonly Token[], i: number, phrases: readonly string[][]): number {
  let best = 0;
  for (const phrase of phrases) if (phrase.length > best && phrase.every((w, k) => tokens[i + k]?.lower === w)) best = phrase.length;
  return best;
}

const found = (kind: UnsupportedKind, start: number, end: number, per?: Span): UnsupportedIntent => ({ kind, span: { start, end }, ...(per ? { per } : {}), message: MESSAGES[kind] });

/**
 * The first thing in the question the engine cannot express, if any.
 *
 * @example
 * findUnsupported(tokenizeQuestion('share of revenue by region'), () => undefined) // { kind: 'share', span: { start: 0, end: 2 }, ... }
 * findUnsupported(tokenizeQuestion('revenue by region'), () => undefined) // undefined
 * findUnsupported(tokenizeQuestion('% of revenue'), () => undefined, '% of revenue') // { kind: 'share', span: { start: 0, end: 0 }, ... }
 */
export function findUnsupported(tokens: readonly Token[], entityAt: EntityAt, question = ''): UnsupportedIntent | undefined {
  const averaged = tokens.some((t) => AVERAGE.has(t.lower));
  for (let i = 0; i < tokens.length; i++) {
    let n: number;
    if ((n = phraseAt(tokens, i, DIFFERENCE))) return found('difference', i, i + n);
    if ((n = phraseAt(tokens, i, RATIO))) return found('ratio', i, i + n);
    if ((n = phraseAt(tokens, i, SHARE))) {
      // "share of", "percentage of": the "of" goes with it.
      const end = tokens[i + n]?.lower === 'of' ? i + n + 1 : i + n;
      return found('share', i, end);
    }
    if (tokens[i]?.lower !== 'per') continue;
    // "revenue per order": a total divided by how many items were counted.
    const entityEnd = entityAt(tokens, i + 1);
    // "average revenue per customer": the average over people, not over rows.
    const perHead = averaged && PER_HEAD.has(tokens[i + 1]?.key ?? '');
    if (entityEnd !== undefined || perHead) {
      const end = entityEnd ?? i + 2;
      return found('ratio', i, end, { start: i + 1, end });
    }
  }
  // The tokenizer keeps no "%"; one not after a number ("regional % of revenue") asks for a share.
  if (/(^|[^\d\s])\s*%/.test(question)) return found('share', 0, 0);
  return undefined;
}
