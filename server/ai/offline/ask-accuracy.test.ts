/**
 * The offline engine's accuracy over the tuning part of bench/questions, end
 * to end (ask route, demo warehouse and a PostgreSQL invoices table, tenant
 * params), against floors it already meets: accuracy may only go up. The
 * held-out third is not run here; bench/ask-accuracy.ts reports it.
 */
import { describe, expect, it } from 'vitest';
import { matchesGold, runAskAccuracy, tally } from '../../../bench/ask-accuracy.ts';

/** What the engine achieved over the tuning part when these floors were last raised. */
const FLOOR = { correct: 187, maxWrong: 1 };

describe('offline engine accuracy (tuning questions)', () => {
  it('compares rows by value, in any order, with extra answer columns allowed', () => {
    expect(matchesGold([['West', 10]], [[10.004, 'West']])).toBe(true);
    expect(matchesGold([['West'], ['East']], [['East', 1], ['West', 2]])).toBe(true);
    expect(matchesGold([['West'], ['East']], [['East', 1], ['West', 2]], true)).toBe(false);
    expect(matchesGold([['West', 10]], [['West', 11]])).toBe(false);
    expect(matchesGold([[5]], [[5], [6]])).toBe(false);
    expect(matchesGold([['2025-01-01', '3.50']], [[new Date('2025-01-01T00:00:00Z'), 3.5]])).toBe(true);
  });

  it('answers the tuning questions at least as well as before, leaks nothing and handles every refused question', async () => {
    const results = await runAskAccuracy((q) => q.split === 'tuning');
    const t = tally(results);
    expect(t.answerable + t.refused).toBe(results.length);
    expect(t.leaked).toBe(0);
    expect(t.refusedHandled).toBe(t.refused);
    expect(t.correct).toBeGreaterThanOrEqual(FLOOR.correct);
    expect(t.wrong).toBeLessThanOrEqual(FLOOR.maxWrong);
    expect(t.badSuggestions).toBe(0);
  }, 600_000);
});
