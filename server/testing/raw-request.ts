/**
 * One HTTP request with node:http, answered as the wire carried it: the body
 * stays coded (fetch would decode brotli and gzip on its own and hide what
 * was sent), and the path is sent as written (`..` included).
 */
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

export interface RawResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

/**
 * @example
 * const res = await rawRequest(`${base}/static/insight-embed.js`, { headers: { 'accept-encoding': 'br' } });
 * brotliDecompressSync(res.body);
 */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const target = new URL(url);
  // URL would resolve `..` away; the request line keeps the path as the caller wrote it.
  const rawPath = url.slice(target.origin.length);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: rawPath, method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(res.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The body as sent before coding: brotli and gzip undone, anything else as it came. */
export function decodedBody(res: RawResponse): Buffer {
  const coding = res.headers['content-encoding'];
  if (coding === 'br') return brotliDecompressSync(res.body);
  if (coding === 'gzip') return gunzipSync(res.body);
  if (coding !== undefined) throw new Error(`unexpected Content-Encoding ${coding}`);
  return res.body;
}
