/**
 * The offline question engine's own work: `interpretQuestion` over the demo
 * sales dataset for typical questions (measures, groupings, category values,
 * rankings, time grains, and questions it must ask back about), with the
 * category values already known, as they are once a viewer's lookups are
 * memoised. The answer's query is not run: that is a database round trip,
 * measured by the card-data benches.
 *
 * Target: p50 under 50 ms, so the offline engine never is what a viewer waits for.
 */
import { askDatasetFromDataset } from '../server/ai/offline/ask-dataset.ts';
import { interpretQuestion, type ValueLookup } from '../server/ai/offline/interpret-question.ts';
import { SALES_DATASET } from '../server/demo-content/provision-demo.ts';
import { DEMO_REGIONS } from '../server/demo-content/seed-warehouse.ts';
import { isMain, ms, summarize, type Summary } from './bench-kit.ts';

export const OFFLINE_ASK_TARGET_MS = 50;

/** Value lists the size of the demo warehouse's, for the columns the engine may look up. */
const VALUES: Record<string, string[]> = {
  region: [...DEMO_REGIONS],
  status: ['completed', 'shipped', 'returned', 'cancelled'],
  segment: ['Consumer', 'Small business', 'Enterprise'],
  category: ['Tents', 'Backpacks', 'Footwear', 'Apparel', 'Climbing', 'Fiction'],
  product: ['Classic', 'Pro', 'Lite', 'Max', 'Trail', 'Urban', 'Eco', 'Prime'].flatMap((word) => ['Tents', 'Backpacks', 'Footwear'].map((c) => `${c} ${word}`)),
};

const QUESTIONS = [
  'total revenue',
  'revenue by region',
  'average revenue by category',
  'number of customers by region',
  'revenue in West',
  'revenue for Tents',
  'revenue by region for Small business',
  'revenue West vs East',
  'revenue excluding returned',
  'top 5 products by revenue',
  'which region has the highest revenue',
  'revenue by month',
  'quarterly revenue by region',
  'daily revenue last 7 days',
  'revenue this month',
  'revenue for all tenants',
  'average order value',
];

export async function benchOfflineAsk(rounds = 20): Promise<Summary> {
  const sales = askDatasetFromDataset(SALES_DATASET);
  const lookup: ValueLookup = async (_dataset, column) => VALUES[column] ?? [];
  const now = new Date('2025-12-15T12:00:00Z');
  // Warm the JIT and the engine's tables before timing.
  for (const q of QUESTIONS) await interpretQuestion(q, [sales], { lookup, now });
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const q of QUESTIONS) {
      const started = performance.now();
      await interpretQuestion(q, [sales], { lookup, now });
      samples.push(performance.now() - started);
    }
  }
  return summarize(samples);
}

if (isMain(import.meta.url)) {
  const figure = await benchOfflineAsk();
  console.log(`interpretQuestion (values known) over ${figure.n} runs: p50 ${ms(figure.p50, 3)}, p95 ${ms(figure.p95, 3)}, max ${ms(figure.max, 3)}; target p50 < ${OFFLINE_ASK_TARGET_MS} ms`);
}
