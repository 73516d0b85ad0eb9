/**
 * What every bench script shares: percentiles of a sample, millisecond
 * formatting, "am I the script node was asked to run", and cleanup that also
 * runs when the bench is interrupted (tables and Redis keys must not outlive it).
 */
import { pathToFileURL } from 'node:url';

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

/** Nearest-rank percentiles (no interpolation: every figure is a measured sample). */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

/**
 * Rate limits for bench servers: the limiter runs on every request (its cost
 * is part of each figure) but a bench that drives one viewer hard is not
 * throttled into measuring 429s.
 */
export const BENCH_RATE_LIMIT = { windowMs: 60_000, admin: 100_000_000, embed: 100_000_000 };

export const ms = (value: number, digits = 1) => `${value.toFixed(digits)} ms`;
/** Microseconds under a millisecond, milliseconds above. */
export const us = (valueMs: number) => (valueMs < 1 ? `${(valueMs * 1000).toFixed(0)} µs` : `${valueMs.toFixed(2)} ms`);

/** True when `moduleUrl` is the script node was started with (`node --import tsx bench/x.ts`). */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && moduleUrl === pathToFileURL(script).href;
}

/**
 * Runs `body`, then `cleanup`, also when the process is interrupted (Ctrl-C,
 * SIGTERM) meanwhile: the cleanup runs once and the process then exits.
 */
export async function withCleanup<T>(cleanup: () => Promise<void>, body: () => Promise<T>): Promise<T> {
  let done: Promise<void> | undefined;
  const once = () => (done ??= cleanup().catch((error: unknown) => console.error('bench cleanup failed:', error)));
  const onSignal = (signal: NodeJS.Signals) => {
    void once().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body();
  } finally {
    await once();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
