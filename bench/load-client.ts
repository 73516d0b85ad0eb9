/**
 * The load generator of bench/load.ts, run in its own process so that it does
 * not share an event loop with the server it measures. Reads a plan as JSON
 * from the file named on the command line, drives it with autocannon at a fixed overall rate (or, with
 * rate 0, as fast as its connections go), and prints one JSON line of results.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadPlan {
  url: string;
  seconds: number;
  /** Requests per second over all connections; 0 for as many as the server answers. */
  rate: number;
  connections: number;
  /** `sequence`: each kind's requests in order, so a plan of distinct requests never repeats one (default `random`). */
  order?: 'random' | 'sequence';
  /** Requests are drawn from these kinds by weight. */
  kinds: Array<{ name: string; weight: number; requests: Array<{ method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string }> }>;
}

export interface LoadResult {
  requests: number;
  rps: number;
  errors: number;
  non2xx: number;
  timeouts: number;
  p50: number;
  p99: number;
  statusCodes: Record<string, number>;
  byKind: Record<string, number>;
}

const plan = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as LoadPlan;
const total = plan.kinds.reduce((sum, k) => sum + k.weight, 0);
const byKind: Record<string, number> = {};
const nextOf: Record<string, number> = {};
let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

function pick() {
  let r = random() * total;
  for (const kind of plan.kinds) {
    r -= kind.weight;
    if (r <= 0) return kind;
  }
  return plan.kinds[plan.kinds.length - 1]!;
}

const result = await autocannon({
  url: plan.url,
  duration: plan.seconds,
  connections: plan.connections,
  ...(plan.rate > 0 ? { overallRate: plan.rate } : {}),
  timeout: 10,
  requests: [
    {
      setupRequest: (req) => {
        const kind = pick();
        byKind[kind.name] = (byKind[kind.name] ?? 0) + 1;
        const index = plan.order === 'sequence' ? (nextOf[kind.name] = (nextOf[kind.name] ?? -1) + 1) % kind.requests.length : Math.floor(random() * kind.requests.length);
        const request = kind.requests[index]!;
        return { ...req, method: request.method, path: request.path, headers: request.headers, ...(request.body ? { body: request.body } : {}) };
      },
    },
  ],
});

const codes: Record<string, number> = {};
for (const [code, n] of Object.entries(result.statusCodeStats ?? {})) codes[code] = (n as { count: number }).count;
const out: LoadResult = {
  requests: result.requests.total,
  rps: result.requests.average,
  errors: result.errors,
  non2xx: result.non2xx,
  timeouts: result.timeouts,
  p50: result.latency.p50,
  p99: result.latency.p99,
  statusCodes: codes,
  byKind,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
