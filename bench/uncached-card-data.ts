/**
 * Uncached card data: a card (revenue and orders by month of one tenant,
 * filtered by status, with a one-year date-range story filter) over a ~1M-row
 * orders table in the real PostgreSQL and MariaDB, every run a cache miss
 * (the date range moves by a day each run), measured in alternation:
 *
 * - card:   `POST /api/embed/cards/{id}/data` through `app.fetch`, as an
 *           `<insight-story>` asks for it (embed token check, story and card
 *           lookup, story filter, compile, policy subquery, read-only
 *           envelope, result serialisation, query history);
 * - route:  `POST /api/queries/run` (the admin API: API key lookup in the
 *           platform store instead of the embed token);
 * - engine: `services.engine.runStructured` (no HTTP, no auth);
 * - raw:    the very SQL text and parameters the engine compiles
 *           (`compileStructuredQuery`), sent through a bare `pg.Pool` /
 *           mysql2 pool: the floor any embedding layer could reach;
 * - sent (PostgreSQL only): the statement as the connector really sends it,
 *           wrapped in its row cap (`SELECT * FROM (...) AS capped LIMIT n+1`),
 *           through the same bare pool. The LIMIT can change PostgreSQL's plan
 *           (it may pick a parallel plan for the wrapped form), so this
 *           baseline isolates our own overhead from the plan difference.
 *           MariaDB caps rows with a session variable: its text is unchanged.
 *
 * Target: median(card) / median(raw) ≤ 1.15 for each database.
 *
 * Run as a script, it first prints the figure over HTTP (the product and a raw
 * `pg` baseline each in its own process, at 16 connections, every request a
 * cache miss: bench/uncached-card-http.ts), then these in-process paths with
 * BENCH_IN_PROCESS=1.
 */
import type { Dialect } from '../server/connectors/connector.ts';
import { compileStructuredQuery } from '../server/query/compile-query.ts';
import type { StructuredQuery } from '../server/query/structured-query.ts';
import { adminClient, TEST_ADMIN_KEY } from '../server/testing/admin-fixtures.ts';
import { serviceAvailable } from '../server/testing/services.ts';
import { createTestServer, type TestServer } from '../server/testing/test-services.ts';
import { BENCH_RATE_LIMIT, isMain, ms, summarize, withCleanup, type Summary } from './bench-kit.ts';
import { CARD_QUERY, DAY_MS, isoDay, mysqlTarget, ORDER_COLUMNS, postgresTarget, TENANT, WINDOW_BASE, type Target } from './uncached-orders.ts';

export const UNCACHED_TARGET_RATIO = 1.15;


type Path = 'card' | 'route' | 'engine' | 'raw' | 'sent';

export interface UncachedFigures {
  dialect: Dialect;
  /** Rows in the table. */
  rows: number;
  fillMs: number;
  /** Rows the card's tenant has inside one window (what the database aggregates per run). */
  scannedRows: number;
  card: Summary;
  route: Summary;
  engine: Summary;
  raw: Summary;
  /** PostgreSQL: the row-capped statement as the connector sends it. */
  sent?: Summary;
  /** median(card) / median(raw): the target. */
  ratio: number;
  /**
   * Median over iterations of card/raw within the same iteration: the paths
   * of one iteration run back to back, so this pairs runs that saw the same
   * machine load (steadier than the ratio of medians on a shared machine).
   */
  pairedRatio: number;
  /** median(route) / median(raw). */
  routeRatio: number;
  /** median(engine) / median(raw). */
  engineRatio: number;
  /** median(card) / median(sent), and paired. */
  sentRatio?: number;
  pairedSentRatio?: number;
}

export interface UncachedResult {
  postgres?: UncachedFigures;
  mysql?: UncachedFigures;
  /**
   * The same on a small table (a query of a few milliseconds), where our
   * fixed cost per request shows: what the ratio looks like for cheap queries.
   */
  small: { postgres?: UncachedFigures; mysql?: UncachedFigures };
  skipped: string[];
}


/** The story filter's value of a run: one year from WINDOW_BASE + index days. */
function windowOf(index: number): { from: string; to: string } {
  const from = WINDOW_BASE + index * DAY_MS;
  return { from: isoDay(from), to: isoDay(from + 365 * DAY_MS) };
}

/** What the embed route hands the engine for that filter value (card filters, then the story filter's). */
function cardQuery(dataset: string, windowIndex: number): StructuredQuery {
  const { from, to } = windowOf(windowIndex);
  return {
    dataset,
    ...CARD_QUERY,
    filters: [...CARD_QUERY.filters, { column: 'placed_at', op: 'gte', value: from }, { column: 'placed_at', op: 'lte', value: to }],
  };
}

async function measure(server: TestServer, target: Target, options: { rows: number; runs: number; warmup: number; label: string }): Promise<UncachedFigures> {
  const api = adminClient(server.app, TEST_ADMIN_KEY);
  const started = performance.now();
  await target.fill(options.rows);
  const fillMs = performance.now() - started;

  const connection = await api('POST', '/api/connections', { name: `bench-${target.dialect}-${options.label}`, type: target.dialect, url: target.connectionUrl });
  if (connection.status !== 201) throw new Error(`creating the connection failed: ${connection.text}`);
  const name = `bench_orders_${target.dialect}_${options.label}`;
  const dataset = await api('POST', '/api/datasets', {
    name,
    label: 'Orders',
    connectionId: connection.json.id,
    table: target.table,
    rowPolicy: 'tenant_id = {{tenant_id}}',
    columns: ORDER_COLUMNS,
  });
  if (dataset.status !== 201) throw new Error(`creating the dataset failed: ${dataset.text}`);
  const orgId = server.services.defaultOrgId;
  const datasetRow = await server.services.datasets.getByName(orgId, name);
  const params = { tenant_id: TENANT };
  const slug = `bench-orders-${target.dialect}-${options.label}`;
  const { id: storyId } = await server.services.stories.importStory(orgId, {
    slug,
    title: 'Orders',
    status: 'published',
    filters: [{ name: 'period', label: 'Placed', type: 'date_range', dataset: name, column: 'placed_at' }],
    pages: [{ key: 'overview', title: 'Overview', cards: [{ key: 'revenue-by-month', type: 'chart', title: 'Revenue by month', query: { dataset: name, ...CARD_QUERY } }] }],
  });
  const cardId = (await server.services.stories.load(orgId, storyId)).pages[0]?.cards[0]?.id as string;
  const token = await server.token({ story: slug, params, expiresIn: 3600 });

  const window = windowOf(0);
  const scannedRows = await target.count(
    target.dialect === 'postgres'
      ? `SELECT count(*) AS n FROM ${target.table} WHERE tenant_id = $1 AND placed_at BETWEEN $2 AND $3`
      : `SELECT count(*) AS n FROM ${target.table} WHERE tenant_id = ? AND placed_at BETWEEN ? AND ?`,
    [TENANT, window.from, window.to],
  );

  /** Times one request through app.fetch and checks that it was a full cache miss. */
  const timeRequest = async (request: Request) => {
    const t = performance.now();
    const res = await server.app.fetch(request);
    const body = await res.text();
    const elapsed = performance.now() - t;
    if (res.status !== 200) throw new Error(`${new URL(request.url).pathname} answered ${res.status}: ${body.slice(0, 300)}`);
    const parsed = JSON.parse(body) as { fromCache: boolean; rowCount: number };
    if (parsed.fromCache || parsed.rowCount < 12) throw new Error(`a run was not a full cache miss (fromCache ${parsed.fromCache}, ${parsed.rowCount} rows)`);
    return elapsed;
  };

  // Every run gets a window no other run used: the result cache and the compile memo both miss.
  let nextWindow = 0;
  const runners: Record<Path, () => Promise<number>> = {
    card: () =>
      timeRequest(
        new Request(`http://bench/api/embed/cards/${cardId}/data`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ filters: { period: windowOf(nextWindow++) } }),
        }),
      ),
    route: () =>
      timeRequest(
        new Request('http://bench/api/queries/run', {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ query: cardQuery(name, nextWindow++), params }),
        }),
      ),
    async engine() {
      const query = cardQuery(name, nextWindow++);
      const t = performance.now();
      const result = await server.services.engine.runStructured({ orgId, query, params });
      const elapsed = performance.now() - t;
      if (result.fromCache) throw new Error('engine run was served from the cache');
      return elapsed;
    },
    async raw() {
      const query = cardQuery(name, nextWindow++);
      const t = performance.now();
      // Compiling is part of what the engine pays, so the baseline pays it too.
      const compiled = compileStructuredQuery(query, datasetRow, { dialect: target.dialect, params });
      const rows = await target.runRaw(compiled.sql, compiled.parameters);
      const elapsed = performance.now() - t;
      if (rows.length < 12) throw new Error(`raw run returned ${rows.length} rows`);
      return elapsed;
    },
    async sent() {
      const query = cardQuery(name, nextWindow++);
      const t = performance.now();
      const compiled = compileStructuredQuery(query, datasetRow, { dialect: target.dialect, params });
      // The postgres connector's row cap, verbatim (it is private to the connector).
      const rows = await target.runRaw(`SELECT * FROM (\n${compiled.sql}\n) AS capped LIMIT ${server.services.config.rowCap + 1}`, compiled.parameters);
      const elapsed = performance.now() - t;
      if (rows.length < 12) throw new Error(`sent run returned ${rows.length} rows`);
      return elapsed;
    },
  };

  // Same answer both ways, once, before timing anything.
  const check = cardQuery(name, -1);
  const compiled = compileStructuredQuery(check, datasetRow, { dialect: target.dialect, params });
  const viaEngine = JSON.parse(new TextDecoder().decode((await server.services.engine.runStructured({ orgId, query: check, params })).payload) + '}') as { rows: unknown[][] };
  const viaDriver = await target.runRaw(compiled.sql, compiled.parameters);
  if (viaEngine.rows.length < 12 || viaEngine.rows.length !== viaDriver.length) throw new Error(`engine and driver disagree: ${viaEngine.rows.length} vs ${viaDriver.length} rows`);
  // The card route must compile exactly that SQL and those parameters: then it finds the engine's entry in the cache.
  const viaCard = await server.app.fetch(
    new Request(`http://bench/api/embed/cards/${cardId}/data`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ filters: { period: windowOf(-1) } }),
    }),
  );
  if (!((await viaCard.json()) as { fromCache?: boolean }).fromCache) throw new Error('the card route does not run the SQL the baseline runs');

  const paths: Path[] = target.dialect === 'postgres' ? ['card', 'route', 'engine', 'raw', 'sent'] : ['card', 'route', 'engine', 'raw'];
  const samples: Record<Path, number[]> = { card: [], route: [], engine: [], raw: [], sent: [] };
  for (let i = 0; i < options.warmup + options.runs; i++) {
    // Rotate the order so no path always runs right after another one.
    for (let k = 0; k < paths.length; k++) {
      const path = paths[(i + k) % paths.length] as Path;
      const elapsed = await runners[path]();
      if (i >= options.warmup) samples[path].push(elapsed);
    }
  }
  const card = summarize(samples.card);
  const route = summarize(samples.route);
  const engine = summarize(samples.engine);
  const raw = summarize(samples.raw);
  const sent = samples.sent.length > 0 ? summarize(samples.sent) : undefined;
  const paired = (baseline: number[]) => summarize(samples.card.map((c, i) => c / (baseline[i] as number))).p50;
  return {
    dialect: target.dialect,
    rows: options.rows,
    fillMs,
    scannedRows,
    card,
    route,
    engine,
    raw,
    ratio: card.p50 / raw.p50,
    pairedRatio: paired(samples.raw),
    routeRatio: route.p50 / raw.p50,
    engineRatio: engine.p50 / raw.p50,
    ...(sent ? { sent, sentRatio: card.p50 / sent.p50, pairedSentRatio: paired(samples.sent) } : {}),
  };
}

export async function benchUncachedCardData(
  options: { rows?: number; mysqlRows?: number; smallRows?: number; runs?: number; warmup?: number; databases?: readonly Dialect[]; log?: (line: string) => void } = {},
): Promise<UncachedResult> {
  const rows = options.rows ?? 1_000_000;
  const mysqlRows = options.mysqlRows ?? rows;
  const smallRows = options.smallRows ?? 20_000;
  const runs = options.runs ?? 30;
  const warmup = options.warmup ?? 3;
  const log = options.log ?? (() => {});
  const databases = options.databases ?? ['postgres', 'mysql'];
  const result: UncachedResult = { small: {}, skipped: [] };
  const available: Dialect[] = [];
  for (const dialect of databases) {
    if (await serviceAvailable(dialect)) available.push(dialect);
    else result.skipped.push(dialect);
  }

  const server = await createTestServer({ demo: false, rateLimit: BENCH_RATE_LIMIT });
  const targets: Target[] = [];
  await withCleanup(
    async () => {
      await server.close();
      for (const target of targets) {
        await target.drop();
        await target.close();
      }
    },
    async () => {
      for (const dialect of available) {
        const passes = [
          { label: 'large', rows: dialect === 'mysql' ? mysqlRows : rows },
          { label: 'small', rows: smallRows },
        ];
        for (const pass of passes) {
          const table = `bench_orders_${process.pid}_${pass.label}`;
          const target = await (dialect === 'postgres' ? postgresTarget(table) : mysqlTarget(table));
          targets.push(target);
          log(`uncached card data: filling ${table} with ${pass.rows} rows in ${dialect}…`);
          const figures = await measure(server, target, { rows: pass.rows, runs, warmup, label: pass.label });
          if (pass.label === 'large') result[dialect] = figures;
          else result.small[dialect] = figures;
          // The table is not needed any more: give the database its memory back before the next one.
          await target.drop();
        }
      }
    },
  );
  return result;
}

export function formatUncached(r: UncachedResult): string {
  const lines: string[] = [];
  const f = (s: Summary) => `p50 ${ms(s.p50)}, p99 ${ms(s.p99)}`;
  for (const fig of [r.postgres, r.small.postgres, r.mysql, r.small.mysql]) {
    if (!fig) continue;
    const name = fig.dialect === 'postgres' ? 'PostgreSQL' : 'MariaDB';
    lines.push(`${name}: ${fig.rows.toLocaleString('en')} rows (filled in ${(fig.fillMs / 1000).toFixed(1)} s), ${fig.scannedRows.toLocaleString('en')} rows of tenant ${TENANT} in the window, ${fig.card.n} runs per path`);
    lines.push(`  card   POST /api/embed/cards/{id}/data: ${f(fig.card)}`);
    lines.push(`  route  POST /api/queries/run:          ${f(fig.route)}`);
    lines.push(`  engine runStructured:                  ${f(fig.engine)}`);
    lines.push(`  raw driver, same SQL:                  ${f(fig.raw)}`);
    if (fig.sent) lines.push(`  raw driver, row-capped as sent:        ${f(fig.sent)}`);
    lines.push(`  card/raw: ratio of medians ${fig.ratio.toFixed(3)} (target ≤ ${UNCACHED_TARGET_RATIO}): ${fig.ratio <= UNCACHED_TARGET_RATIO ? 'within target' : 'ABOVE target'}; median of paired ratios ${fig.pairedRatio.toFixed(3)}`);
    lines.push(`  route/raw ${fig.routeRatio.toFixed(3)}, engine/raw ${fig.engineRatio.toFixed(3)}; card − raw ${ms(fig.card.p50 - fig.raw.p50)} at the median`);
    if (fig.sentRatio !== undefined) lines.push(`  card/row-capped: ratio of medians ${fig.sentRatio.toFixed(3)}, median of paired ${fig.pairedSentRatio?.toFixed(3)} (our overhead alone, same plan)`);
  }
  for (const s of r.skipped) lines.push(`${s}: skipped (service not running)`);
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  // The headline figure: over HTTP, in separate processes (bench/uncached-card-http.ts).
  // BENCH_ROUNDS / BENCH_SECONDS / BENCH_HTTP_ROWS shorten or lengthen it.
  const { benchUncachedCardHttp, formatUncachedHttp } = await import('./uncached-card-http.ts');
  const env = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  const http = await benchUncachedCardHttp({
    ...(env('BENCH_HTTP_ROWS') ? { rows: env('BENCH_HTTP_ROWS') } : {}),
    ...(env('BENCH_ROUNDS') ? { rounds: env('BENCH_ROUNDS') } : {}),
    ...(env('BENCH_SECONDS') ? { seconds: env('BENCH_SECONDS') } : {}),
    log: (line) => console.log(line),
  });
  console.log(formatUncachedHttp(http));
  // The in-process paths (card, admin route, engine, raw driver) on 1M rows of both databases: BENCH_IN_PROCESS=1.
  // BENCH_ROWS=100000 for a quick run; BENCH_DATABASES=mysql for one database.
  if (process.env.BENCH_IN_PROCESS === '1') {
    const rows = env('BENCH_ROWS');
    const databases = process.env.BENCH_DATABASES?.split(',').filter((d): d is Dialect => d === 'postgres' || d === 'mysql');
    const r = await benchUncachedCardData({ ...(rows ? { rows } : {}), ...(databases?.length ? { databases } : {}), log: (line) => console.log(line) });
    console.log(formatUncached(r));
  }
  process.exit(0);
}
