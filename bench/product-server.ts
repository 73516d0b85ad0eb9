/**
 * The product as a bench drives it: a complete test server (embedded platform
 * store, small demo warehouse, real engine and cache) on a loopback socket, in
 * its own process, so the load generator and the baselines never share its
 * event loop. Prints one JSON line `{ "url": ... }` when it listens; SIGTERM
 * closes it (and lets `node --cpu-prof` write its profile).
 *
 * With BENCH_CPU_PROFILE=<file>, SIGUSR2 starts a CPU profile and the next
 * SIGUSR2 writes it to that file: a profile of the load alone, not of the start.
 *
 * `node --import tsx bench/product-server.ts [--no-demo]`
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { serve } from '@hono/node-server';
import { createTestServer } from '../server/testing/test-services.ts';
import { BENCH_RATE_LIMIT } from './bench-kit.ts';

const server = await createTestServer({ rateLimit: BENCH_RATE_LIMIT, ...(process.argv.includes('--no-demo') ? { demo: false } : {}) });
const listener = await new Promise<ReturnType<typeof serve>>((resolve) => {
  const s = serve({ fetch: server.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
});
const address = listener.address();
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`);

process.once('SIGTERM', () => {
  listener.close();
  void server.close().finally(() => process.exit(0));
});

const profileFile = process.env['BENCH_CPU_PROFILE'];
if (profileFile) {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!running) {
        running = true;
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        process.stdout.write('{"profiling":true}\n');
        return;
      }
      running = false;
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(profileFile, JSON.stringify(profile));
      process.stdout.write('{"profiling":false}\n');
    })();
  });
}
