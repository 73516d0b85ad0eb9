/**
 * Compresses JSON (card data, stories, problems) and HTML answers above a
 * small threshold when the client accepts brotli or gzip.
 *
 * Hono's own `compress` middleware does not fit: it has no brotli (it uses
 * CompressionStream, which has none in Node 20), it compresses answers of
 * unknown length whatever their size (ours are built in memory with no
 * Content-Length), and it weakens strong ETags, which would make every
 * `If-Match` read from a compressed admin answer fail with 412. Here the
 * ETag stays as the route set it: it names the resource's version, which
 * the coding does not change, and `Vary: Accept-Encoding` keeps shared
 * caches from mixing codings.
 *
 * Left alone: answers already coded, `no-transform`, HEAD, 204/206/304,
 * and every other type (CSV and Excel downloads, event streams, the static
 * files, which come precompressed).
 */
import type { MiddlewareHandler } from 'hono';
import { negotiateEncoding } from './accept-encoding.ts';
import { compressBytes } from './compress-bytes.ts';

export interface CompressResponsesOptions {
  /** Answers shorter than this many bytes go out as they are (default 1024). */
  threshold?: number;
}

/** `application/json`, `application/problem+json` and other `+json`, and HTML. */
const COMPRESSED_TYPES = /^\s*(?:application\/(?:[\w.-]+\+)?json|text\/html)\s*(?:;|$)/i;
const NO_TRANSFORM = /(?:^|,)\s*no-transform\s*(?:,|$)/i;
const NO_BODY_STATUS = new Set([204, 206, 304]);

function withVary(current: string | null): string {
  if (!current) return 'Accept-Encoding';
  if (current.trim() === '*' || /(?:^|,)\s*accept-encoding\s*(?:,|$)/i.test(current)) return current;
  return `${current}, Accept-Encoding`;
}

/**
 * @example
 * app.use('*', compressResponses({ threshold: 1024 }));
 */
export function compressResponses(options: CompressResponsesOptions = {}): MiddlewareHandler {
  const threshold = options.threshold ?? 1024;
  return async function compressResponsesHandler(c, next) {
    await next();
    const res = c.res;
    if (c.req.method === 'HEAD' || !res.body || NO_BODY_STATUS.has(res.status)) return;
    if (!COMPRESSED_TYPES.test(res.headers.get('content-type') ?? '')) return;
    if (res.headers.has('content-encoding') || NO_TRANSFORM.test(res.headers.get('cache-control') ?? '')) return;
    // The answer depends on Accept-Encoding even when this one goes out plain.
    res.headers.set('vary', withVary(res.headers.get('vary')));
    const declared = res.headers.get('content-length');
    if (declared !== null && Number(declared) < threshold) return;
    const encoding = negotiateEncoding(c.req.header('accept-encoding'));
    if (encoding === 'identity') return;

    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.byteLength < threshold) {
      c.res = new Response(bytes, res);
      return;
    }
    const compressed = await compressBytes(bytes, encoding, 'fast');
    // Hono copies the previous answer's headers onto the new one: set the coded ones after.
    c.res = new Response(compressed as Uint8Array<ArrayBuffer>, res);
    c.res.headers.set('content-encoding', encoding);
    c.res.headers.set('content-length', String(compressed.byteLength));
  };
}
