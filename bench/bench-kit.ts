/**
 * What every bench script shares: percentiles of a sample, millisecond
 * formatting, "am I the script node was asked to run", and cleanup that also
 * runs when the bench is interrupted (tables and Redis keys must not outlive it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

/** A child process of a bench that announces itself with one JSON line on stdout. */
export interface BenchChild {
  /** The JSON of the child's first line (e.g. `{ url }` of a server). */
  hello: Record<string, unknown>;
  child: ChildProcess;
  /** SIGTERM, then the exit. */
  stop(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Starts `node --import tsx bench/<script> ...args` and waits for its first
 * JSON line: a server under measurement, or a baseline, in its own process.
 */
export function startChild(script: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<BenchChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{') && out.includes(`${l}\n`));
      if (!line) return;
      child.stdout?.off('data', onData);
      resolve({
        hello: JSON.parse(line) as Record<string, unknown>,
        child,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
}

/** Writes a plan for a load process as a JSON file; the process under measurement keeps none of it. */
export function writePlan(plan: unknown): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'insight-bench-')), 'plan.json');
  writeFileSync(file, JSON.stringify(plan));
  return file;
}

/** Runs `bench/<script> <plan file>` in its own process and parses its last output line. */
export function runPlan<T>(script: string, plan: unknown): Promise<T> {
  const file = writePlan(plan);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, script), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) return reject(new Error(`${script} exited with ${code}`));
      resolve(JSON.parse(line) as T);
    });
  });
}

/** Median and spread of a few per-round figures. */
export function spread(values: readonly number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

/**
 * The built components in embed/dist, which `npm install` makes; builds them
 * when missing (a checkout installed with --ignore-scripts, or a cleaned tree).
 */
export function ensureComponentsBuilt(log: (line: string) => void): void {
  if (existsSync('embed/dist/insight-embed.js')) return;
  log('embed/dist is missing: npm run build -w @insight-engine/embed…');
  const build = spawnSync('npm', ['run', 'build', '-w', '@insight-engine/embed'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the components failed: ${build.stderr.slice(-300)}`);
}
