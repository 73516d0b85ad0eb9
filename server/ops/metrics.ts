/**
 * Prometheus metrics on a registry of our own (never prom-client's global
 * default, so several servers in one process, as in tests, do not share
 * series): HTTP requests by route pattern, queries by connection type and
 * outcome, result cache hits and misses, connection pool usage, AI calls,
 * rate-limited requests and the process metrics.
 */
import type { MiddlewareHandler } from 'hono';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isInsightError } from '../errors/insight-error.ts';
import { matchedRoute } from './matched-route.ts';

export type QueryOutcome = 'ok' | 'timeout' | 'cancelled' | 'unavailable' | 'error';

/** Outcome of an AI call as the metrics count it; free text is allowed but keep it to a few values. */
export type AiCallOutcome = 'ok' | 'error' | 'timeout' | 'refused' | (string & {});

export interface PoolReading {
  connection: string;
  type: string;
  /** Open connections, idle or checked out. */
  total: number;
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
  max: number;
}

export interface CacheCounts {
  stats(): { hits: number; misses: number; errors: number };
}

export interface Metrics {
  readonly registry: Registry;
  /** Times every request; mount first so it sees the final status, errors included. */
  httpMiddleware(): MiddlewareHandler;
  observeQuery(connectionType: string, outcome: QueryOutcome, seconds: number): void;
  recordAiCall(engine: string, outcome: AiCallOutcome): void;
  recordRateLimited(scope: string): void;
  /** The cache's own counters are read at scrape time. */
  watchCache(cache: CacheCounts): void;
  /** Pool stats are read at scrape time. */
  watchPools(read: () => PoolReading[]): void;
  render(): Promise<{ body: string; contentType: string }>;
  /** Detaches from `recordAiCall` (the module-level helper). */
  close(): void;
}

const live = new Set<Metrics>();

/**
 * Counts one call to an AI engine on every live metrics registry of this
 * process (in a server, exactly one), so the AI code needs no plumbing.
 *
 * @example
 * recordAiCall('openai', 'ok');
 * recordAiCall('offline', 'refused');
 */
export function recordAiCall(engine: string, outcome: AiCallOutcome): void {
  for (const metrics of live) metrics.recordAiCall(engine, outcome);
}

/** The outcome label of a failed query, from its error code. */
export function queryOutcomeOf(error: unknown): QueryOutcome {
  if (!isInsightError(error)) return 'error';
  if (error.code === 'ERR_QUERY_TIMEOUT') return 'timeout';
  if (error.code === 'ERR_QUERY_CANCELLED') return 'cancelled';
  if (error.code === 'ERR_DATABASE_UNAVAILABLE') return 'unavailable';
  return 'error';
}

/** Label values come from our own code, but bound them anyway: a runaway label is a memory leak. */
const label = (value: string) => (value.length > 60 ? value.slice(0, 60) : value);

/**
 * @example
 * const metrics = createMetrics();
 * app.use('*', metrics.httpMiddleware());
 * app.get('/metrics', async (c) => { const { body, contentType } = await metrics.render(); return c.body(body, 200, { 'content-type': contentType }); });
 */
export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'insight_' });

  const httpDuration = new Histogram({
    name: 'insight_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const queryDuration = new Histogram({
    name: 'insight_query_duration_seconds',
    help: 'Statements run on customer databases, by connection type and outcome (cache hits are not queries)',
    labelNames: ['connection_type', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const aiCalls = new Counter({
    name: 'insight_ai_calls_total',
    help: 'Calls to an AI engine by engine and outcome',
    labelNames: ['engine', 'outcome'] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'insight_rate_limited_total',
    help: 'Requests answered 429 by the rate limiter, by scope',
    labelNames: ['scope'] as const,
    registers: [registry],
  });

  const caches: CacheCounts[] = [];
  const cacheCounter = (name: string, help: string, read: (s: ReturnType<CacheCounts['stats']>) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        // The cache keeps its own monotonic counts; the counter mirrors them at scrape time.
        this.reset();
        for (const cache of caches) this.inc(read(cache.stats()));
      },
    });
  cacheCounter('insight_cache_hits_total', 'Result cache lookups served from a stored entry', (s) => s.hits);
  cacheCounter('insight_cache_misses_total', 'Result cache lookups that computed (or joined a running computation)', (s) => s.misses);
  cacheCounter('insight_cache_errors_total', 'Times the shared cache had to do without Redis', (s) => s.errors);

  const pools: Array<() => PoolReading[]> = [];
  const readPools = () => pools.flatMap((read) => {
    try {
      return read();
    } catch {
      return [];
    }
  });
  new Gauge({
    name: 'insight_connection_pool_connections',
    help: 'Open connections of each customer connection pool, by state (idle, busy)',
    labelNames: ['connection', 'connection_type', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const p of readPools()) {
        this.set({ connection: p.connection, connection_type: p.type, state: 'idle' }, p.idle);
        this.set({ connection: p.connection, connection_type: p.type, state: 'busy' }, Math.max(p.total - p.idle, 0));
      }
    },
  });
  new Gauge({
    name: 'insight_connection_pool_waiting',
    help: 'Callers waiting for a connection from each customer connection pool',
    labelNames: ['connection', 'connection_type'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const p of readPools()) this.set({ connection: p.connection, connection_type: p.type }, p.waiting);
    },
  });
  new Gauge({
    name: 'insight_connection_pool_max',
    help: 'Size limit of each customer connection pool',
    labelNames: ['connection', 'connection_type'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const p of readPools()) this.set({ connection: p.connection, connection_type: p.type }, p.max);
    },
  });

  const metrics: Metrics = {
    registry,
    httpMiddleware() {
      return async function httpMetricsHandler(c, next) {
        const end = httpDuration.startTimer();
        try {
          await next();
        } finally {
          end({ method: c.req.method, route: matchedRoute(c), status: String(c.res.status) });
        }
      };
    },
    observeQuery(connectionType, outcome, seconds) {
      queryDuration.observe({ connection_type: label(connectionType), outcome }, seconds);
    },
    recordAiCall(engine, outcome) {
      aiCalls.inc({ engine: label(engine), outcome: label(outcome) });
    },
    recordRateLimited(scope) {
      rateLimited.inc({ scope: label(scope) });
    },
    watchCache(cache) {
      caches.push(cache);
    },
    watchPools(read) {
      pools.push(read);
    },
    async render() {
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
    close() {
      live.delete(metrics);
    },
  };
  live.add(metrics);
  return metrics;
}
