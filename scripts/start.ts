/**
 * `npm start`: builds the embed script when its sources changed, starts the
 * InsightEngine server (embedded PGlite, in-process cache, offline AI unless
 * configured) and the demo host app, and prints what to open.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createDemoHost } from '../demo/host-server.ts';
import { loadConfig } from '../server/config.ts';
import { startServer } from '../server/main.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

async function ensureEmbedBuild(): Promise<void> {
  const bundle = path.join(root, 'dist', 'embed', 'insight-embed.js');
  let built = 0;
  try {
    // The iframe bootstrap and the SDK script are built after the bundle: the older of the two counts.
    built = Math.min(statSync(bundle).mtimeMs, statSync(path.join(root, 'dist', 'embed', 'insight-iframe.js')).mtimeMs);
  } catch {
    built = 0;
  }
  const sources = Math.max(newestMtime(path.join(root, 'embed')), newestMtime(path.join(root, 'sdk')));
  if (built > sources) return;
  console.log('[insight] building the embed script…');
  const { build } = await import('vite');
  // Vite sets NODE_ENV=production in this process while it builds; the server started next
  // would read that as production mode and refuse the demo's defaults. Put back what the user set.
  const nodeEnv = process.env.NODE_ENV;
  try {
    await build({ root, configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
    await build({ root, configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn', mode: 'script' });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

const started = Date.now();
await ensureEmbedBuild();
// The demo may reach databases on this machine (a local PostgreSQL to try); a deployment
// allows its hosts explicitly with INSIGHT_CONNECTION_HOSTS, which wins here too.
const config = loadConfig({ INSIGHT_CONNECTION_HOSTS: '127.0.0.1', ...process.env });
const insight = await startServer(config);
const demoPort = Number(process.env.DEMO_PORT ?? 8788);
const host = createDemoHost({ insightUrl: insight.url, embedSecret: config.embedSecret });
const demo = await new Promise<ReturnType<typeof serve>>((resolve) => {
  const s = serve({ fetch: host.fetch, port: demoPort, hostname: config.host }, () => resolve(s));
});
const demoUrl = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${demoPort}`;

console.log(`
  InsightEngine is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)

  Open the demo:    ${demoUrl}
                    ${demoUrl}/sdk       (SDK: createInsight + embedStory + setFilters)
                    ${demoUrl}/iframe    (iframe from the server's origin, height follows content)
                    ${demoUrl}/filters   (host filter bar driving two stories)
  Server:           ${insight.url}
  Admin API key:    ${config.adminApiKey}
  Embed secret:     ${config.embedSecret}   (signs embed tokens; keep it on your backend)
  Data folder:      ${config.dataDir}
`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    demo.close();
    void insight.shutdown().then(() => process.exit(0));
  });
}
