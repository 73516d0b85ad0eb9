/**
 * The static files over real HTTP (the node server writes Content-Length and
 * HEAD answers itself), read with node:http so the bytes are the wire's,
 * not a client's that decompresses on its own.
 */
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodedBody, rawRequest } from '../testing/raw-request.ts';
import { precompressDir } from './precompress.ts';
import { IMMUTABLE, isViteHashed, staticAssets } from './static-assets.ts';

const script = (bytes: number, seed: string) =>
  Array.from({ length: Math.ceil(bytes / 40) }, (_, i) => `export const ${seed}${i} = () => ${i} * 2;\n`).join('').slice(0, bytes);

let dir: string;
let base: string;
let close: () => Promise<void>;

const get = (file: string, headers: Record<string, string> = {}, method = 'GET') => rawRequest(`${base}/static/${file}`, { headers, method });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'insight-static-'));
  await mkdir(path.join(dir, 'chunks'));
  await writeFile(path.join(dir, 'insight-embed.js'), script(20_000, 'e'));
  await writeFile(path.join(dir, 'chunks', 'vega-AbCd12_-.js'), script(50_000, 'v'));
  await writeFile(path.join(dir, 'insight-timeline.js'), script(5_000, 't'));
  await writeFile(path.join(dir, 'tiny.js'), 'export const tiny = 1;\n');
  await precompressDir(dir);
  // Written after the build step: served compressed on request.
  await writeFile(path.join(dir, 'late.css'), `.card { color: red; }\n`.repeat(200));

  const app = new Hono();
  app.use('/static/*', staticAssets({ root: dir, prefix: '/static' }));
  app.notFound((c) => c.json({ code: 'ERR_NOT_FOUND' }, 404));
  await new Promise<void>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      base = `http://127.0.0.1:${info.port}`;
      close = () => new Promise((r) => server.close(() => r()));
      resolve();
    });
  });
});

afterAll(async () => {
  await close?.();
  await rm(dir, { recursive: true, force: true });
});

describe('coding by Accept-Encoding', () => {
  it.each([
    ['gzip, deflate, br, zstd', 'br', '.br'],
    ['gzip', 'gzip', '.gz'],
    ['br;q=0, gzip', 'gzip', '.gz'],
    ['identity', undefined, ''],
    ['br;q=0, gzip;q=0', undefined, ''],
    ['', undefined, ''],
  ] as const)('%j → %s, the precompressed file', async (accept, coding, suffix) => {
    const res = await get('insight-embed.js', accept ? { 'accept-encoding': accept } : {});
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(coding);
    expect(res.headers['vary']).toBe('Accept-Encoding');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(Number(res.headers['content-length'])).toBe(res.body.byteLength);
    // The very sibling the build wrote (brotli 11), not a fresh on-request one.
    expect(res.body.equals(await readFile(path.join(dir, `insight-embed.js${suffix}`)))).toBe(true);
    expect(decodedBody(res).equals(await readFile(path.join(dir, 'insight-embed.js')))).toBe(true);
  });

  it('compresses a file without siblings on request, to the same bytes once decoded', async () => {
    const original = await readFile(path.join(dir, 'late.css'));
    for (const [accept, coding] of [['br', 'br'], ['gzip', 'gzip']] as const) {
      const first = await get('late.css', { 'accept-encoding': accept });
      const second = await get('late.css', { 'accept-encoding': accept });
      expect(first.headers['content-encoding']).toBe(coding);
      expect(first.headers['content-type']).toBe('text/css; charset=utf-8');
      expect(first.body.byteLength).toBeLessThan(original.byteLength / 4);
      expect(decodedBody(first).equals(original)).toBe(true);
      // Kept from the first request.
      expect(second.body.equals(first.body)).toBe(true);
    }
  });

  it('ignores a sibling older than its file', async () => {
    const file = path.join(dir, 'insight-timeline.js');
    await writeFile(file, script(6_000, 'changed'));
    const later = new Date((await stat(`${file}.br`)).mtimeMs + 5_000);
    await utimes(file, later, later);
    const res = await get('insight-timeline.js', { 'accept-encoding': 'br' });
    expect(res.headers['content-encoding']).toBe('br');
    expect(decodedBody(res).equals(await readFile(file))).toBe(true);
  });

  it('sends a file under 1 KB as it is, with no Vary', async () => {
    const res = await get('tiny.js', { 'accept-encoding': 'br, gzip' });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['vary']).toBeUndefined();
    expect(res.body.toString()).toBe('export const tiny = 1;\n');
  });

  it('answers HEAD with the length of the coded body and no body', async () => {
    const res = await get('insight-embed.js', { 'accept-encoding': 'br' }, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(Number(res.headers['content-length'])).toBe((await stat(path.join(dir, 'insight-embed.js.br'))).size);
    expect(res.body.byteLength).toBe(0);
  });
});

describe('caching', () => {
  it('marks hashed chunks immutable and entry files short-lived', async () => {
    expect((await get('chunks/vega-AbCd12_-.js')).headers['cache-control']).toBe(IMMUTABLE);
    for (const entry of ['insight-embed.js', 'insight-timeline.js', 'tiny.js']) {
      const control = (await get(entry)).headers['cache-control'];
      expect(control, entry).toBe('public, max-age=60');
    }
  });

  it('tells hashed names from entry names', () => {
    expect(isViteHashed('chunks/embed-CTjdFFUe.js')).toBe(true);
    expect(isViteHashed('chunks/marked.esm-BxouL12W.js.map')).toBe(true);
    expect(isViteHashed('assets/style-a1B2c3D4.css')).toBe(true);
    // Eight letters after a dash, but an entry: its name stays across releases.
    expect(isViteHashed('insight-timeline.js')).toBe(false);
    expect(isViteHashed('insight-embed.js')).toBe(false);
    expect(isViteHashed('chunks/embed.js')).toBe(false);
  });

  it('answers 304 to the ETag of any coding of an entry file, and 200 once the file changed', async () => {
    const plain = await get('insight-embed.js');
    const br = await get('insight-embed.js', { 'accept-encoding': 'br' });
    const etag = br.headers['etag'] as string;
    expect(etag).toMatch(/^"[0-9a-f]{32}-br"$/);
    // Each coding is its own representation, with its own tag.
    expect(plain.headers['etag']).toBe(etag.replace('-br"', '"'));

    for (const tag of [etag, plain.headers['etag'] as string, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await get('insight-embed.js', { 'accept-encoding': 'br', 'if-none-match': tag });
      expect(again.status, tag).toBe(304);
      expect(again.body.byteLength).toBe(0);
      expect(again.headers['etag']).toBe(etag);
      expect(again.headers['cache-control']).toBe('public, max-age=60');
      expect(again.headers['vary']).toBe('Accept-Encoding');
    }
    expect((await get('insight-embed.js', { 'if-none-match': '"0123456789abcdef0123456789abcdef"' })).status).toBe(200);
  });

  it('sends the file again after a rebuild changed it, under a new ETag', async () => {
    const file = path.join(dir, 'late.css');
    const before = await get('late.css');
    await writeFile(file, `.card { color: blue; }\n`.repeat(200));
    const later = new Date(Date.now() + 5_000);
    await utimes(file, later, later);
    const after = await get('late.css', { 'if-none-match': before.headers['etag'] as string });
    expect(after.status).toBe(200);
    expect(after.headers['etag']).not.toBe(before.headers['etag']);
    expect(after.body.toString()).toContain('blue');
  });
});

describe('what is not served', () => {
  it.each(['../package.json', '%2e%2e/%2e%2e/etc/passwd', 'chunks/..%2f..%2fetc%2fpasswd', 'insight-embed.js.br', 'insight-embed.js.gz', 'missing.js', 'chunks'])('%s → 404', async (file) => {
    const res = await get(file);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body.toString()).code).toBe('ERR_NOT_FOUND');
  });
});
