/**
 * What the SQL guard costs per query, for a typical question's SQL over a
 * dataset (grouping, a time bucket, two `{{param}}` placeholders, order and
 * limit), on both dialects:
 *
 * - cold: the guard has never seen this SQL text (each call changes the LIMIT
 *   constant, so its plan cache misses): parse, walk, rewrite, re-parse, verify;
 * - cached: the same text again (a card's SQL seen by another viewer): only binding;
 * - compile: `compileStructuredQuery` for the same question as a structured
 *   query, the path cards take, for comparison.
 *
 * No target: a figure to watch (the cold guard runs once per new SQL text, for
 * example once per AI answer, against a database round trip of milliseconds).
 */
import type { Dialect } from '../server/connectors/connector.ts';
import { compileDatasetSelect, compileStructuredQuery, type CompileDataset } from '../server/query/compile-query.ts';
import { guardSql } from '../server/query/sql-guard/guard-sql.ts';
import type { StructuredQuery } from '../server/query/structured-query.ts';
import { isMain, summarize, us, type Summary } from './bench-kit.ts';

export interface GuardFigures {
  dialect: Dialect;
  cold: Summary;
  cached: Summary;
  compile: Summary;
}

const ORDERS: CompileDataset = {
  source_table: 'orders',
  source_sql: null,
  row_policy: 'tenant_id = {{tenant_id}}',
  columns: [
    { name: 'id', type: 'number', role: 'dimension' },
    { name: 'tenant_id', type: 'number', role: 'dimension' },
    { name: 'placed_at', type: 'datetime', role: 'time' },
    { name: 'status', type: 'string', role: 'dimension' },
    { name: 'region', type: 'string', role: 'dimension' },
    { name: 'amount', type: 'number', role: 'measure' },
  ],
};

const CUSTOMERS: CompileDataset = {
  source_table: 'customers',
  source_sql: null,
  row_policy: 'tenant_id = {{tenant_id}}',
  columns: [
    { name: 'id', type: 'number', role: 'dimension' },
    { name: 'tenant_id', type: 'number', role: 'dimension' },
    { name: 'name', type: 'string', role: 'dimension' },
  ],
};

const MONTH: Record<Dialect, string> = {
  postgres: "date_trunc('month', placed_at)",
  mysql: "date_format(placed_at, '%Y-%m-01')",
};

/** The SQL an AI answer or a saved query typically is; `limit` varies to defeat the plan cache. */
const typicalSql = (dialect: Dialect, limit: number) =>
  `select region, ${MONTH[dialect]} as month, sum(amount) as revenue, count(*) as orders
     from orders
    where status = {{status}} and placed_at >= {{since}}
    group by region, ${MONTH[dialect]}
    order by revenue desc
    limit ${limit}`;

const structured: StructuredQuery = {
  dataset: 'orders',
  dimensions: [{ column: 'region' }, { column: 'placed_at', grain: 'month', as: 'month' }],
  measures: [{ agg: 'sum', column: 'amount', as: 'revenue' }, { agg: 'count', as: 'orders' }],
  filters: [
    { column: 'status', op: 'eq', value: 'paid' },
    { column: 'placed_at', op: 'gte', value: '2024-01-01' },
  ],
  sort: [{ field: 'revenue', direction: 'desc' }],
  limit: 100,
};

function time(n: number, call: (i: number) => void): number[] {
  const samples: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    call(i);
    samples[i] = performance.now() - t;
  }
  return samples;
}

export function benchGuardCost(options: { cold?: number; cached?: number; compile?: number } = {}): GuardFigures[] {
  const coldRuns = options.cold ?? 400;
  const cachedRuns = options.cached ?? 20_000;
  const compileRuns = options.compile ?? 5_000;
  const params = { tenant_id: 2, status: 'paid', since: '2024-01-01' };
  // Limits above any the runs use, so no two calls share a text (other dialect's texts differ anyway).
  let nextLimit = 1_000_000 + (process.pid % 1000) * 10_000;

  return (['postgres', 'mysql'] as const).map((dialect) => {
    // The policy sources are compiled per viewer by the engine; here once, as for one viewer.
    const datasets = [
      { name: 'orders', source: compileDatasetSelect(ORDERS, { dialect, params }) },
      { name: 'customers', source: compileDatasetSelect(CUSTOMERS, { dialect, params }) },
    ];
    const guard = (sql: string) => guardSql({ sql, dialect, datasets, params });
    const check = guard(typicalSql(dialect, 100));
    if (!check.sql.includes('tenant_id') || check.parameters[0] !== 2) throw new Error('the guard did not confine the query');

    // Warm the JIT on every path before timing it.
    time(50, () => guard(typicalSql(dialect, nextLimit++)));
    time(1000, () => guard(typicalSql(dialect, 100)));
    time(500, () => compileStructuredQuery(structured, ORDERS, { dialect, params }));

    const coldTexts = Array.from({ length: coldRuns }, () => typicalSql(dialect, nextLimit++));
    const cold = time(coldRuns, (i) => guard(coldTexts[i] as string));
    const cachedText = typicalSql(dialect, 100);
    const cached = time(cachedRuns, () => guard(cachedText));
    const compile = time(compileRuns, () => compileStructuredQuery(structured, ORDERS, { dialect, params }));
    return { dialect, cold: summarize(cold), cached: summarize(cached), compile: summarize(compile) };
  });
}

export function formatGuardCost(figures: GuardFigures[]): string {
  const lines = ['| dialect | guardSql cold p50 / p95 | guardSql cached p50 / p95 | compileStructuredQuery p50 / p95 |', '| --- | ---: | ---: | ---: |'];
  for (const f of figures) {
    lines.push(`| ${f.dialect} | ${us(f.cold.p50)} / ${us(f.cold.p95)} | ${us(f.cached.p50)} / ${us(f.cached.p95)} | ${us(f.compile.p50)} / ${us(f.compile.p95)} |`);
  }
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  const figures = benchGuardCost();
  console.log(formatGuardCost(figures));
  for (const f of figures) console.log(`${f.dialect}: cold guard ${(f.cold.p50 / f.cached.p50).toFixed(0)}× a cached one, ${(f.cold.p50 / f.compile.p50).toFixed(1)}× a structured compile (n = ${f.cold.n} cold, ${f.cached.n} cached, ${f.compile.n} compiles)`);
}
