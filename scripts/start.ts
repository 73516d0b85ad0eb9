/**
 * `npm start`: builds the embed script when its sources changed, starts the
 * InsightEngine server (embedded PGlite, in-process cache, offline AI unless
 * configured) and the demo host app, and prints what to open.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createDemoHost } from '../demo/host-server.ts';
import { loadConfig } from '../server/config.ts';
import { embedAssetsDir, startServer } from '../server/main.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The newest modification time of the files under `dir`, leaving out the build output in `skip`. */
function newestMtime(dir: string, skip: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (full === skip || entry.name === 'node_modules') continue;
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full, skip) : statSync(full).mtimeMs);
  }
  return newest;
}

async function ensureEmbedBuild(): Promise<void> {
  // `npm install` builds the packages; this rebuilds the embed script when its sources changed since.
  const dist = embedAssetsDir();
  let built = 0;
  try {
    // The iframe bootstrap and the SDK script are built after the bundle: the older of the two counts.
    built = Math.min(statSync(path.join(dist, 'insight-embed.js')).mtimeMs, statSync(path.join(dist, 'insight-iframe.js')).mtimeMs);
  } catch {
    built = 0;
  }
  const sources = Math.max(newestMtime(path.join(root, 'embed'), dist), newestMtime(path.join(root, 'sdk'), path.join(root, 'sdk', 'dist')));
  if (built > sources) return;
  console.log('[insight] the components changed since the last build: building them…');
  // The package's own build (script, declarations, manifest) in a child process, in production mode.
  const result = spawnSync('npm', ['run', 'build', '-w', '@insight-engine/embed'], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error('building the components failed (output above)');
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
