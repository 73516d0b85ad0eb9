/**
 * The cached-card baseline as its own process: bare Hono on the same
 * @hono/node-server, verifying the same embed token with jose (HS256, the
 * audience, the clock tolerance) and answering the bytes the product answered
 * for that card, read from the file named on the command line. Prints one JSON
 * line `{ "url": ... }` when it listens; SIGTERM ends it.
 *
 * `node --import tsx bench/bare-server.ts <body file>`
 */
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { bareCardApp } from './bare-card-app.ts';

const app = await bareCardApp(new Uint8Array(readFileSync(process.argv[2] as string)));
const listener = await new Promise<ReturnType<typeof serve>>((resolve) => {
  const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
});
const address = listener.address();
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`);
process.once('SIGTERM', () => {
  listener.close();
  process.exit(0);
});
