/**
 * The built embed bundle served the way a CDN would serve it: the smallest
 * coding the browser accepts, hashed chunks cached for a year, entry files
 * revalidated by ETag.
 *
 * - Coding: `name.br` / `name.gz` written by `precompressDir` after the
 *   build, when newer than the file. Without them (a build that skipped the
 *   step) the file is compressed on first request at a fast level and kept in
 *   memory, so a viewer never pays for the missing step more than once per
 *   server.
 * - Caching: a name with a content hash under `chunks/` or `assets/` (what
 *   Vite writes) changes whenever its bytes do, so it is `immutable`. Entry
 *   files (`insight-embed.js`) keep their name across releases; a short
 *   max-age and an ETag let browsers revalidate them with a 304.
 * - ETag: a hash of the file's bytes plus the coding (`"…-br"`): each coding
 *   is its own representation. If-None-Match compares the bytes' hash, so a
 *   tag of any coding of the same file answers 304.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { MiddlewareHandler } from 'hono';
import { ENCODING_SUFFIX, ENCODINGS, negotiateEncoding, type Encoding } from './accept-encoding.ts';
import { compressBytes } from './compress-bytes.ts';
import { isCompressible } from './precompress.ts';

export interface StaticAssetsOptions {
  /** The folder served. */
  root: string;
  /** The URL path the folder is mounted under (`/static`). */
  prefix: string;
  /** Whether a file (path relative to the root, `/` separated) carries a content hash in its name. */
  isHashed?: (relativePath: string) => boolean;
  /** Cache-Control of files without a hash (default: one minute, then revalidate by ETag). */
  entryCacheControl?: string;
  /** Memory for files compressed on request when no precompressed sibling exists (default 32 MB). */
  memoryBytes?: number;
}

export const IMMUTABLE = 'public, max-age=31536000, immutable';
const ENTRY_CACHE_CONTROL = 'public, max-age=60';

/** Vite's `chunks/[name]-[hash].js` and `assets/[name]-[hash].css` (8 or more characters of base64url). */
export function isViteHashed(relativePath: string): boolean {
  return /^(?:.*\/)?(?:chunks|assets)\/[^/]*-[A-Za-z0-9_-]{8,}\.[a-z0-9]+(?:\.map)?$/i.test(relativePath);
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Codings are served for a file, never the coded siblings themselves, nor a half-written one. */
const NOT_SERVED = /\.(?:br|gz|tmp)$/i;

/** The file a request names inside the root, or undefined when it would leave it. */
function resolveInside(root: string, prefix: string, requestPath: string): string | undefined {
  let relative: string;
  try {
    relative = decodeURIComponent(requestPath.slice(prefix.length));
  } catch {
    return undefined;
  }
  if (relative.includes('\0') || NOT_SERVED.test(relative)) return undefined;
  const file = path.resolve(root, `.${path.posix.sep}${relative}`);
  return file.startsWith(root + path.sep) ? file : undefined;
}

/** The tags an If-None-Match names, without `W/`, quotes or coding suffix; `*` stays `*`. */
function ifNoneMatchHashes(header: string): Set<string> {
  return new Set(
    header.split(',').map((tag) => tag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1').replace(/-(?:br|gz)$/, '')),
  );
}

interface Stored {
  size: number;
  mtimeMs: number;
}

/**
 * @example
 * app.use('/static/*', staticAssets({ root: path.resolve('embed/dist'), prefix: '/static' }));
 */
export function staticAssets(options: StaticAssetsOptions): MiddlewareHandler {
  const root = path.resolve(options.root);
  const isHashed = options.isHashed ?? isViteHashed;
  const entryCacheControl = options.entryCacheControl ?? ENTRY_CACHE_CONTROL;
  const memoryLimit = options.memoryBytes ?? 32 * 1024 * 1024;

  const versionOf = (s: Stored) => `${s.size}:${s.mtimeMs}`;

  /** Per file, the hash of its bytes at one version (a rebuilt file replaces its entry). */
  const hashes = new Map<string, { version: string; hash: Promise<string> }>();
  const hashOf = (file: string, s: Stored): Promise<string> => {
    const known = hashes.get(file);
    if (known?.version === versionOf(s)) return known.hash;
    const hash = readFile(file).then((bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 32));
    hashes.set(file, { version: versionOf(s), hash });
    hash.catch(() => hashes.delete(file));
    return hash;
  };

  /** Files compressed on request, least recently used first; null when compressing did not make one smaller. */
  const memory = new Map<string, Buffer | null>();
  const compressing = new Map<string, Promise<Buffer | null>>();
  let memoryUsed = 0;
  const remember = (key: string, bytes: Buffer | null) => {
    memory.set(key, bytes);
    memoryUsed += bytes?.byteLength ?? 0;
    for (const [oldKey, old] of memory) {
      if (memoryUsed <= memoryLimit) break;
      memory.delete(oldKey);
      memoryUsed -= old?.byteLength ?? 0;
    }
  };
  const compressOnRequest = async (file: string, s: Stored, encoding: Encoding): Promise<Buffer | null> => {
    const key = `${file}\0${versionOf(s)}\0${encoding}`;
    if (memory.has(key)) {
      const bytes = memory.get(key) ?? null;
      memory.delete(key);
      memory.set(key, bytes);
      return bytes;
    }
    // Concurrent first requests share one compression.
    let pending = compressing.get(key);
    if (!pending) {
      pending = readFile(file)
        .then((bytes) => compressBytes(bytes, encoding, 'fast'))
        .then((bytes) => {
          const kept = bytes.byteLength < s.size ? bytes : null;
          remember(key, kept);
          return kept;
        })
        .finally(() => compressing.delete(key));
      compressing.set(key, pending);
    }
    return pending;
  };

  /** The fresh precompressed sibling of a file, if the build wrote one. */
  const sibling = async (file: string, s: Stored, encoding: Encoding): Promise<{ file: string; size: number } | undefined> => {
    const candidate = file + ENCODING_SUFFIX[encoding];
    const info = await stat(candidate).catch(() => undefined);
    return info?.isFile() && info.mtimeMs >= s.mtimeMs ? { file: candidate, size: info.size } : undefined;
  };

  return async function staticAssetsHandler(c, next) {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    const file = resolveInside(root, options.prefix, c.req.path);
    const info = file ? await stat(file).catch(() => undefined) : undefined;
    if (!file || !info?.isFile()) return next();
    const stored: Stored = { size: info.size, mtimeMs: info.mtimeMs };

    const relative = path.relative(root, file).split(path.sep).join('/');
    const compressible = isCompressible(file, info.size);
    const encoding = compressible ? negotiateEncoding(c.req.header('accept-encoding'), ENCODINGS) : 'identity';
    const hash = await hashOf(file, stored);

    const headers: Record<string, string> = {
      'content-type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'cache-control': isHashed(relative) ? IMMUTABLE : entryCacheControl,
      'access-control-allow-origin': '*',
    };
    if (compressible) headers['vary'] = 'Accept-Encoding';

    // Which bytes: the build's sibling, else compressed here once, else the file.
    let body: { file: string; size: number } | Buffer = { file, size: info.size };
    let coding: Encoding | 'identity' = 'identity';
    if (encoding !== 'identity') {
      const ahead = await sibling(file, stored, encoding);
      const onRequest = ahead ? undefined : await compressOnRequest(file, stored, encoding);
      if (ahead || onRequest) {
        body = ahead ?? (onRequest as Buffer);
        coding = encoding;
      }
    }
    headers['etag'] = `"${hash}${coding === 'identity' ? '' : `-${ENCODING_SUFFIX[coding].slice(1)}`}"`;

    const ifNoneMatch = c.req.header('if-none-match');
    if (ifNoneMatch) {
      const tags = ifNoneMatchHashes(ifNoneMatch);
      if (tags.has('*') || tags.has(hash)) {
        // The headers a 200 would carry that describe caching (RFC 9110 §15.4.5), without a body's.
        const { 'content-type': _type, ...notModified } = headers;
        return c.body(null, 304, notModified);
      }
    }
    if (coding !== 'identity') headers['content-encoding'] = coding;

    const size = Buffer.isBuffer(body) ? body.byteLength : body.size;
    headers['content-length'] = String(size);
    if (c.req.method === 'HEAD' || size === 0) return c.body(null, 200, headers);
    if (Buffer.isBuffer(body)) return c.body(body as Uint8Array<ArrayBuffer>, 200, headers);
    // The size read above bounds the stream: a file rewritten meanwhile cannot overrun Content-Length.
    return c.body(Readable.toWeb(createReadStream(body.file, { start: 0, end: size - 1 })) as ReadableStream<Uint8Array>, 200, headers);
  };
}
