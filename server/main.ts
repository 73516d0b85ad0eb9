/**
 * Starts the InsightEngine server: `node --import tsx server/main.ts`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { createServices } from './services.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function startServer(config = loadConfig()) {
  const log = (message: string) => console.log(`[insight] ${message}`);
  const services = await createServices(config, { log });
  const app = createApp(services, {
    staticDir: path.join(root, 'dist', 'embed'),
    log: (line) => console.error(JSON.stringify(line)),
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    log('shutting down: finishing in-flight requests');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await services.close();
  };
  return { url: `http://${config.host}:${port}`, port, services, shutdown };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const running = await startServer();
  console.log(`[insight] InsightEngine listening on ${running.url} (ready in ${Date.now() - started} ms)`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void running.shutdown().then(() => process.exit(0)));
  }
}
