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
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseConnectionUrl } from '../server/connectors/connection-url.ts';
import type { Dialect } from '../server/connectors/connector.ts';
import { compileStructuredQuery } from '../server/query/compile-query.ts';
import type { StructuredQuery } from '../server/query/structured-query.ts';
import type { DatasetColumn } from '../server/store/store-schema.ts';
import { adminClient, TEST_ADMIN_KEY } from '../server/testing/admin-fixtures.ts';
import { MYSQL_URL, POSTGRES_URL, serviceAvailable } from '../server/testing/services.ts';
import { createTestServer, type TestServer } from '../server/testing/test-services.ts';
import { BENCH_RATE_LIMIT, isMain, ms, summarize, withCleanup, type Summary } from './bench-kit.ts';

export const UNCACHED_TARGET_RATIO = 1.15;

/** The tenant the card shows: 30 % of the rows (tenants hold 60 %, 30 % and 10 %). */
export const TENANT = 2;
export const DAY_MS = 86_400_000;
/** First day of the moving window; the data spans about two years from 2023-01-01. */
export const WINDOW_BASE = Date.UTC(2023, 2, 1);

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

interface Target {
  dialect: Dialect;
  connectionUrl: string;
  table: string;
  fill(rows: number): Promise<void>;
  /** The compiled SQL and parameters through the bare driver. */
  runRaw(sql: string, parameters: readonly unknown[]): Promise<unknown[]>;
  count(sql: string, parameters: unknown[]): Promise<number>;
  drop(): Promise<void>;
  close(): Promise<void>;
}

export async function postgresTarget(table: string): Promise<Target> {
  const url = parseConnectionUrl(POSTGRES_URL);
  const pool = new pg.Pool({ host: url.host, port: url.port, database: url.database, user: url.user, password: url.password, max: 4 });
  return {
    dialect: 'postgres',
    connectionUrl: POSTGRES_URL,
    table,
    async fill(rows) {
      await pool.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, tenant_id integer NOT NULL, placed_at timestamp NOT NULL, status text NOT NULL, region text NOT NULL, amount numeric(10, 2) NOT NULL)`);
      // Deterministic spread: tenants 60/30/10 %, orders evenly over two years from 2023-01-01.
      await pool.query(
        `INSERT INTO ${table}
         SELECT g, CASE WHEN g % 10 < 6 THEN 1 WHEN g % 10 < 9 THEN 2 ELSE 3 END,
                timestamp '2023-01-01' + (g * ${secondsPerRow(rows)}) * interval '1 second',
                (array['paid', 'shipped', 'refunded', 'pending'])[1 + (g * 7 % 4)],
                (array['North', 'South', 'East', 'West', 'Central'])[1 + (g * 13 % 5)],
                round(5 + (g * 7919 % 50000) / 100.0, 2)
           FROM generate_series(1::bigint, $1::bigint) AS g`,
        [rows],
      );
      await pool.query(`CREATE INDEX ${table}_tenant_placed ON ${table} (tenant_id, placed_at)`);
      await pool.query(`ANALYZE ${table}`);
    },
    async runRaw(sql, parameters) {
      return (await pool.query({ text: sql, values: [...parameters], rowMode: 'array' })).rows;
    },
    async count(sql, parameters) {
      return Number((await pool.query(sql, parameters)).rows[0]?.n);
    },
    async drop() {
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
    },
    close: () => pool.end(),
  };
}

async function mysqlTarget(table: string): Promise<Target> {
  const url = parseConnectionUrl(MYSQL_URL);
  const pool = mysql.createPool({ host: url.host, port: url.port, database: url.database, user: url.user, ...(url.password ? { password: url.password } : {}), connectionLimit: 4 });
  return {
    dialect: 'mysql',
    connectionUrl: MYSQL_URL,
    table,
    async fill(rows) {
      await pool.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, tenant_id int NOT NULL, placed_at datetime NOT NULL, status varchar(16) NOT NULL, region varchar(16) NOT NULL, amount decimal(10, 2) NOT NULL) ENGINE=InnoDB`);
      // MariaDB's Sequence engine stands in for generate_series; same values as on PostgreSQL.
      await pool.query(
        `INSERT INTO ${table}
         SELECT seq, CASE WHEN seq % 10 < 6 THEN 1 WHEN seq % 10 < 9 THEN 2 ELSE 3 END,
                TIMESTAMP '2023-01-01 00:00:00' + INTERVAL (seq * ${secondsPerRow(rows)}) SECOND,
                ELT(1 + (seq * 7 % 4), 'paid', 'shipped', 'refunded', 'pending'),
                ELT(1 + (seq * 13 % 5), 'North', 'South', 'East', 'West', 'Central'),
                ROUND(5 + (seq * 7919 % 50000) / 100, 2)
           FROM seq_1_to_${Math.floor(rows)}`,
      );
      await pool.query(`CREATE INDEX ${table}_tenant_placed ON ${table} (tenant_id, placed_at)`);
      await pool.query(`ANALYZE TABLE ${table}`);
    },
    async runRaw(sql, parameters) {
      const [rows] = await pool.execute({ sql, rowsAsArray: true }, [...parameters] as never[]);
      return rows as unknown[];
    },
    async count(sql, parameters) {
      const [rows] = await pool.query(sql, parameters);
      return Number((rows as Array<{ n: unknown }>)[0]?.n);
    },
    async drop() {
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
    },
    close: () => pool.end(),
  };
}

/** Spacing that spreads any number of rows over the two years the windows move in. */
const secondsPerRow = (rows: number) => Math.max(1, Math.floor((2 * 365 * DAY_MS) / 1000 / rows));

export const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

/** The orders dataset's columns. */
export const ORDER_COLUMNS: DatasetColumn[] = [
  { name: 'id', type: 'number', role: 'dimension' },
  { name: 'tenant_id', type: 'number', role: 'dimension' },
  { name: 'placed_at', label: 'Placed', type: 'datetime', role: 'time' },
  { name: 'status', type: 'string', role: 'dimension' },
  { name: 'region', type: 'string', role: 'dimension' },
  { name: 'amount', label: 'Amount', type: 'number', role: 'measure', format: 'currency:USD' },
];

/** The card's own query, without the story filter. */
export const CARD_QUERY = {
  dimensions: [{ column: 'placed_at', grain: 'month', as: 'month' }],
  measures: [{ agg: 'sum', column: 'amount', as: 'revenue' }, { agg: 'count', as: 'orders' }],
  filters: [{ column: 'status', op: 'in', value: ['paid', 'shipped'] }],
  sort: [{ field: 'month', direction: 'asc' }],
} satisfies Omit<StructuredQuery, 'dataset'>;

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
  // BENCH_ROWS=100000 for a quick run; BENCH_DATABASES=mysql for one database.
  const rows = process.env.BENCH_ROWS ? Number(process.env.BENCH_ROWS) : undefined;
  const databases = process.env.BENCH_DATABASES?.split(',').filter((d): d is Dialect => d === 'postgres' || d === 'mysql');
  const r = await benchUncachedCardData({ ...(rows ? { rows } : {}), ...(databases?.length ? { databases } : {}), log: (line) => console.log(line) });
  console.log(formatUncached(r));
}
