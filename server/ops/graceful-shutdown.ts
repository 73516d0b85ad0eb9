/**
 * Shutdown without dropping requests: mark the server draining (`/readyz`
 * answers 503), stop accepting connections, let in-flight requests finish
 * (idle keep-alive connections are closed as they fall idle), and after a
 * bounded wait cut whatever is left. Then close pools, cache and store.
 */
import type { Server } from 'node:http';
import type { Lifecycle } from './lifecycle.ts';

export interface ShutdownOptions {
  server: Pick<Server, 'close' | 'closeIdleConnections' | 'closeAllConnections'>;
  lifecycle: Lifecycle;
  /** Closes everything behind the server (services.close). */
  closeServices: () => Promise<void>;
  /** How long in-flight requests may take to finish. */
  timeoutMs: number;
  log?: (line: Record<string, unknown>) => void;
}

/**
 * Returns an idempotent shutdown: calling it again returns the same promise.
 *
 * @example
 * const shutdown = gracefulShutdown({ server, lifecycle: services.ops.lifecycle, closeServices: services.close, timeoutMs: 25_000 });
 * process.once('SIGTERM', () => void shutdown().then(() => process.exit(0)));
 */
export function gracefulShutdown(options: ShutdownOptions): () => Promise<{ timedOut: boolean }> {
  let running: Promise<{ timedOut: boolean }> | undefined;
  const log = options.log ?? (() => {});
  return () =>
    (running ??= (async () => {
      const started = Date.now();
      options.lifecycle.startDraining();
      log({ level: 'info', msg: 'shutting down: finishing in-flight requests', timeoutMs: options.timeoutMs });
      let timedOut = false;
      const closed = new Promise<void>((resolve) => options.server.close(() => resolve()));
      // A keep-alive connection between requests would hold close() open until the client hangs up.
      const idle = setInterval(() => options.server.closeIdleConnections(), 100);
      options.server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          timedOut = true;
          options.server.closeAllConnections();
          resolve();
        }, options.timeoutMs);
      });
      await Promise.race([closed, deadline]);
      clearTimeout(timer);
      clearInterval(idle);
      if (timedOut) log({ level: 'warn', msg: 'shutting down: in-flight requests cut after the timeout', timeoutMs: options.timeoutMs });
      try {
        await options.closeServices();
      } catch (error) {
        log({ level: 'error', msg: 'shutting down: closing services failed', error: String(error) });
      }
      log({ level: 'info', msg: 'shut down', durationMs: Date.now() - started });
      return { timedOut };
    })());
}
