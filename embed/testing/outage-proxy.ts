/**
 * Runs in Node inside the web-test-runner process: a reverse proxy in front
 * of the test server that a browser test can take down and bring back, so a
 * component meets a real server outage over real HTTP.
 *
 * `POST <proxy>/__outage/<mode>` sets what card data requests get:
 * `up` (forwarded), `unavailable` (503 `ERR_DATABASE_UNAVAILABLE`),
 * `forbidden` (403 `ERR_FORBIDDEN`). Every other request is always forwarded.
 * `GET <proxy>/__outage` answers `{ mode, failed }` (card data requests refused so far).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';

type Mode = 'up' | 'unavailable' | 'forbidden';

const PROBLEMS: Record<Exclude<Mode, 'up'>, { status: number; code: string; title: string }> = {
  unavailable: { status: 503, code: 'ERR_DATABASE_UNAVAILABLE', title: 'The database is unavailable' },
  forbidden: { status: 403, code: 'ERR_FORBIDDEN', title: 'Forbidden' },
};

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
};

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startOutageProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  let mode: Mode = 'up';
  let failed = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '/';
      if (req.method === 'OPTIONS') return void res.writeHead(204, CORS).end();
      if (path.startsWith('/__outage')) {
        const next = path.slice('/__outage/'.length);
        if (req.method === 'POST' && (next === 'up' || next === 'unavailable' || next === 'forbidden')) {
          mode = next;
          failed = 0;
        }
        return void res.writeHead(200, { ...CORS, 'content-type': 'application/json' }).end(JSON.stringify({ mode, failed }));
      }
      const payload = await body(req);
      if (mode !== 'up' && /^\/api\/embed\/cards\/[^/]+\/data/.test(path)) {
        failed++;
        const p = PROBLEMS[mode];
        return void res
          .writeHead(p.status, { ...CORS, 'content-type': 'application/problem+json' })
          .end(JSON.stringify({ type: 'about:blank', title: p.title, status: p.status, code: p.code }));
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers.set(k, v);
      const upstream = await fetch(new URL(path, target), { method: req.method ?? 'GET', headers, ...(payload.length > 0 ? { body: new Uint8Array(payload) } : {}) });
      const out: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (k !== 'content-encoding' && k !== 'content-length' && k !== 'transfer-encoding') out[k] = v;
      });
      res.writeHead(upstream.status, out).end(Buffer.from(await upstream.arrayBuffer()));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
