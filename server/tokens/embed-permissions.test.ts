/**
 * Every embed route checks the token's permissions: `view` for the story,
 * card data and filter values, `export` for exports, `ask` for questions,
 * and drill targets appear only with `drill`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbedPermission } from '@insight-engine/sdk/protocol';
import { createTestServer, type TestServer } from '../testing/test-services.ts';

let server: TestServer;
let cardId: string;
let filterId: string;

const request = async (permissions: EmbedPermission[], method: string, path: string, body?: unknown) => {
  const token = await server.token({ permissions });
  const res = await server.app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text.startsWith('{') ? JSON.parse(text) : undefined };
};

beforeAll(async () => {
  server = await createTestServer();
  const story = await request(['view'], 'GET', '/api/embed/story');
  const card = story.json.pages.flatMap((p: { cards: Array<{ id: string; type: string }> }) => p.cards).find((c: { type: string }) => c.type !== 'text');
  cardId = card.id;
  filterId = story.json.filters[0].id;
});
afterAll(async () => {
  await server?.close();
});

const ROUTES: Array<[EmbedPermission, string, () => string, unknown?]> = [
  ['view', 'GET', () => '/api/embed/story'],
  ['view', 'POST', () => `/api/embed/cards/${cardId}/data`, { filters: {} }],
  ['view', 'GET', () => `/api/embed/filters/${filterId}/values`],
  ['export', 'GET', () => `/api/embed/cards/${cardId}/export?format=csv`],
  ['ask', 'GET', () => '/api/embed/ask/suggestions'],
];

describe('embed token permissions', () => {
  it.each(ROUTES)('%s is required by %s %s', async (permission, method, path, body) => {
    const all: EmbedPermission[] = ['view', 'drill', 'ask', 'export'];
    const without = all.filter((p) => p !== permission);
    const refused = await request(without, method, path(), body);
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: 'ERR_FORBIDDEN', permission });
    const allowed = await request(all, method, path(), body);
    expect(allowed.status).toBe(200);
  });

  it('shows drill targets only to tokens with drill', async () => {
    const drills = (json: any) => json.pages.flatMap((p: { cards: Array<{ drill: unknown }> }) => p.cards.map((c) => c.drill)).filter(Boolean);
    const withDrill = await request(['view', 'drill'], 'GET', '/api/embed/story');
    const withoutDrill = await request(['view'], 'GET', '/api/embed/story');
    expect(drills(withDrill.json).length).toBeGreaterThan(0);
    expect(drills(withoutDrill.json)).toEqual([]);
  });
});
