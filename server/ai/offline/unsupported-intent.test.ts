/**
 * The matchers of what a structured query cannot express, over many
 * phrasings: each must be caught, and the questions the engine does answer
 * ("revenue by region", "average revenue per region") must not be.
 */
import { describe, expect, it } from 'vitest';
import { tokenizeQuestion, type Token } from './tokenize-question.ts';
import { findUnsupported, type EntityAt } from './unsupported-intent.ts';

/** "order" and "invoice" are counted items, as an identifier column of the dataset is. */
const entityAt: EntityAt = (tokens: readonly Token[], i: number) => (['order', 'invoice'].includes(tokens[i]?.key ?? '') ? i + 1 : undefined);

const kindOf = (question: string) => findUnsupported(tokenizeQuestion(question), entityAt, question)?.kind;
const wordsOf = (question: string) => {
  const tokens = tokenizeQuestion(question);
  const found = findUnsupported(tokens, entityAt);
  return found ? tokens.slice(found.span.start, found.span.end).map((t) => t.raw).join(' ') : undefined;
};

describe('questions a structured query cannot express', () => {
  it.each([
    'share of revenue by region',
    'revenue share per region',
    'what share of revenue comes from West',
    'what percentage of orders were returned',
    "West's percentage of total revenue",
    'percent of units by category',
    'regional % of revenue',
    'proportion of revenue from Tents',
    'what fraction of invoices are paid',
    'what part of revenue is from North',
    'ratio of returned orders',
  ])('asks back on a share: %s', (q) => {
    expect(kindOf(q)).toBe('share');
  });

  it.each([
    'revenue per order',
    'revenue per order by region',
    'units per order',
    'amount per invoice',
    'average revenue per customer',
    'avg amount per client',
    'mean units per buyer last year',
    'average order value',
    'AOV by region',
    'average basket by month',
    'basket size',
    'average invoice value',
    'revenue per capita',
    'spend per head',
  ])('asks back on a ratio: %s', (q) => {
    expect(kindOf(q)).toBe('ratio');
  });

  it.each([
    'difference between East and West revenue',
    'revenue difference between 2024 and 2025',
    'change in revenue from last year',
    'revenue growth from 2024 to 2025',
    'how did revenue change from Q1 to Q2',
    'year over year revenue',
    'revenue yoy',
    'month over month units',
    'is revenue higher than last year',
    'revenue this month vs last month',
    'units compared to the previous quarter',
    'how much more revenue did East make than West',
    'growth rate of revenue',
  ])('asks back on a difference: %s', (q) => {
    expect(kindOf(q)).toBe('difference');
  });

  it.each([
    'revenue by region',
    'total revenue',
    'average revenue per region',
    'average revenue by customer',
    'revenue per customer',
    'revenue per month',
    'revenue vs units by quarter',
    'West vs East revenue',
    'revenue between 2024-01-01 and 2024-03-31',
    'top 5 products by revenue',
    'breakdown of units by region',
    'growth of revenue',
    'revenue trend',
    'how many orders',
    'revenue over 100 by region',
    'products with a discount over 10%',
  ])('leaves what the engine answers alone: %s', (q) => {
    expect(kindOf(q)).toBeUndefined();
  });

  it('names the words that ask for it, so the rest can be offered', () => {
    expect(wordsOf('share of revenue by region')).toBe('share of');
    expect(wordsOf('revenue per order by region')).toBe('per order');
    expect(wordsOf('average order value')).toBe('average order value');
    expect(wordsOf('revenue growth from 2024 to 2025')).toBe('growth from');
    const perOrder = findUnsupported(tokenizeQuestion('units per order'), entityAt);
    expect(perOrder?.per).toEqual({ start: 2, end: 3 });
    expect(perOrder?.message).toMatch(/per order/);
  });
});
