/**
 * Compressed answers of the whole app over real HTTP: card data and other
 * JSON above 1 KB in the coding the client accepts, below it as they are,
 * downloads untouched, admin ETags still good for If-Match, and the embed
 * bundle served precompressed. Read with node:http, which does not decode.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoryView } from '@insight-engine/sdk/protocol';
import { createApp } from '../app.ts';
import { TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { decodedBody, rawRequest, type RawResponse } from '../testing/raw-request.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';
import { precompressDir } from './precompress.ts';

let server: TestServer;
let base: string;
let close: () => Promise<void>;
let staticDir: string;
let token: string;
let story: StoryView;

const embed = (url: string, headers: Record<string, string> = {}, init: { method?: string; body?: string } = {}) =>
  rawRequest(`${base}${url}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...headers } });

const cardId = (key: string) => {
  const card = story.pages.flatMap((p) => p.cards).find((c) => c.key === key);
  if (!card) throw new Error(`no card ${key}`);
  return card.id;
};
const cardData = (key: string, headers: Record<string, string> = {}) => embed(`/api/embed/cards/${cardId(key)}/data`, headers, { method: 'POST', body: '{"filters":{}}' });
/** A card's rows, without the timings and cache flags that change between two reads. */
const rowsOf = (res: RawResponse) => {
  const { columns, rows, rowCount } = JSON.parse(decodedBody(res).toString()) as { columns: unknown; rows: unknown; rowCount: unknown };
  return { columns, rows, rowCount };
};

beforeAll(async () => {
  server = await createTestServer();
  staticDir = await mkdtemp(path.join(os.tmpdir(), 'insight-app-static-'));
  await mkdir(path.join(staticDir, 'chunks'));
  await writeFile(path.join(staticDir, 'insight-embed.js'), 'export const embed = () => "insight";\n'.repeat(500));
  await writeFile(path.join(staticDir, 'chunks', 'vega-AbCd1234.js'), 'export const vega = () => "vega";\n'.repeat(2000));
  await precompressDir(staticDir);
  const app = createApp(server.services, { staticDir });
  await new Promise<void>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      base = `http://127.0.0.1:${info.port}`;
      close = () => new Promise((r) => s.close(() => r()));
      resolve();
    });
  });
  token = await server.token({ permissions: ['view', 'export'] });
  story = JSON.parse((await embed('/api/embed/story')).body.toString()) as StoryView;
});

afterAll(async () => {
  await close?.();
  await server?.close();
  await rm(staticDir, { recursive: true, force: true });
});

describe('JSON answers', () => {
  it('sends the story (~7 KB) in brotli to a browser, and the same JSON once decoded', async () => {
    const plain = await embed('/api/embed/story');
    const br = await embed('/api/embed/story', { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.byteLength).toBeGreaterThan(1024);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toContain('application/json');
    expect(Number(br.headers['content-length'])).toBe(br.body.byteLength);
    expect(br.body.byteLength).toBeLessThan(plain.body.byteLength / 3);
    expect(decodedBody(br).equals(plain.body)).toBe(true);
    for (const res of [plain, br]) expect(res.headers['vary']).toMatch(/(?:^|,\s*)Accept-Encoding(?:,|$)/);
  });

  it.each([
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0, gzip;q=0', undefined],
    ['identity', undefined],
  ] as const)('card data over 1 KB with Accept-Encoding %j → %s', async (accept, coding) => {
    const plain = await cardData('top-customers');
    const res = await cardData('top-customers', { 'accept-encoding': accept });
    expect(plain.body.byteLength).toBeGreaterThan(1024);
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(coding);
    expect(res.headers['vary']).toMatch(/Accept-Encoding/);
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(rowsOf(res)).toEqual(rowsOf(plain));
  });

  it('sends card data under 1 KB as it is, still with Vary', async () => {
    const res = await cardData('revenue-by-category', { 'accept-encoding': 'br, gzip' });
    expect(res.status).toBe(200);
    expect(res.body.byteLength).toBeLessThan(1024);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['vary']).toMatch(/Accept-Encoding/);
    expect(JSON.parse(res.body.toString()).rows.length).toBeGreaterThan(0);
  });

  it('sends a small problem as it is', async () => {
    const res = await embed(`/api/embed/cards/no-such-card/data`, { 'accept-encoding': 'br' }, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(res.body.toString()).code).toBe('ERR_CARD_NOT_FOUND');
  });

  it('leaves a CSV download as it is', async () => {
    const res = await embed(`/api/embed/cards/${cardId('top-customers')}/export?format=csv`, { 'accept-encoding': 'br, gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename=/);
    expect(res.body.toString().split('\n').length).toBeGreaterThan(2);
  });

  it('keeps an admin ETag strong, so If-Match read from a compressed answer still writes', async () => {
    const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'accept-encoding': 'br' };
    const list = JSON.parse(decodedBody(await rawRequest(`${base}/api/stories`, { headers: admin })).toString()) as { items: Array<{ id: string; slug: string }> };
    const id = list.items.find((s) => s.slug === 'retail-overview')?.id;
    const read = await rawRequest(`${base}/api/stories/${id}`, { headers: admin });
    expect(read.status).toBe(200);
    expect(read.headers['content-encoding']).toBe('br');
    const etag = read.headers['etag'] as string;
    expect(etag).toMatch(/^"\d+"$/);
    const write = await rawRequest(`${base}/api/stories/${id}`, {
      method: 'PATCH',
      headers: { ...admin, 'content-type': 'application/json', 'if-match': etag },
      body: JSON.stringify({ description: 'Read compressed, written back' }),
    });
    expect(write.status, decodedBody(write).toString()).toBe(200);
    expect(write.headers['etag']).not.toBe(etag);
  });
});

describe('the embed bundle', () => {
  it('is served precompressed, chunks immutable, the entry revalidated', async () => {
    const entry = await rawRequest(`${base}/static/insight-embed.js`, { headers: { 'accept-encoding': 'br' } });
    expect(entry.headers['content-encoding']).toBe('br');
    expect(entry.headers['cache-control']).toBe('public, max-age=60');
    expect(entry.headers['access-control-allow-origin']).toBe('*');
    const revalidated = await rawRequest(`${base}/static/insight-embed.js`, { headers: { 'accept-encoding': 'br', 'if-none-match': entry.headers['etag'] as string } });
    expect(revalidated.status).toBe(304);
    const chunk = await rawRequest(`${base}/static/chunks/vega-AbCd1234.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(chunk.headers['content-encoding']).toBe('gzip');
    expect(chunk.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(decodedBody(chunk).toString()).toBe('export const vega = () => "vega";\n'.repeat(2000));
  });
});
