#!/usr/bin/env node
/**
 * Starts the InsightEngine server: `insight-server` once the package is
 * installed, `node --import tsx server/main.ts` in this repository.
 * SIGTERM or SIGINT drains it: `/readyz` answers 503, no new connections are
 * accepted, in-flight requests finish (at most INSIGHT_SHUTDOWN_TIMEOUT_MS),
 * then pools, cache and store close.
 */
import { realpathSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { loadConfig, type InsightConfig } from './config.ts';
import { gracefulShutdown } from './ops/graceful-shutdown.ts';
import { createLogger } from './ops/logger.ts';
import { createServices } from './services.ts';

/** The built embed script of the components package, served at `/static/`. */
export function embedAssetsDir(): string {
  const manifest = createRequire(import.meta.url).resolve('@insight-engine/embed/package.json');
  return path.join(path.dirname(manifest), 'dist');
}

export async function startServer(config = loadConfig()) {
  const log = (message: string) => console.log(`[insight] ${message}`);
  // Structured lines (requests, warnings) on stderr; the human start-up messages stay on stdout.
  const structured = createLogger({ level: config.logLevel, write: (text) => process.stderr.write(text + '\n') });
  const services = await createServices(config, { log });
  const app = createApp(services, {
    staticDir: embedAssetsDir(),
    log: structured,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shutdown = gracefulShutdown({
    server: server as Server,
    lifecycle: services.ops.lifecycle,
    closeServices: () => services.close(),
    timeoutMs: config.shutdownTimeoutMs,
    log: structured,
  });
  return { url: `http://${config.host}:${port}`, port, services, shutdown };
}

/** Run as a command: directly, or through the `insight-server` link npm makes in node_modules/.bin. */
function runAsCommand(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (runAsCommand()) {
  const started = Date.now();
  let config: InsightConfig;
  try {
    config = loadConfig();
  } catch (error) {
    // A configuration problem is the operator's to fix: the message, not a stack trace.
    console.error(`[insight] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const running = await startServer(config);
  console.log(`[insight] InsightEngine listening on ${running.url} (ready in ${Date.now() - started} ms)`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void running.shutdown().then(({ timedOut }) => process.exit(timedOut ? 1 : 0)));
  }
}
