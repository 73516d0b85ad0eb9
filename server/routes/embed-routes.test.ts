import { SignJWT, base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CardData, StoryView } from '@insight-engine/sdk/protocol';
import { DEMO_CONNECTION_ID } from '../demo-content/provision-demo.ts';
import { createTestServer, TEST_EMBED_SECRET, type TestServer } from '../testing/test-services.ts';

let server: TestServer;
let story: StoryView;

const secret = new TextEncoder().encode(TEST_EMBED_SECRET);
const now = () => Math.floor(Date.now() / 1000);

async function request(path: string, token: string | undefined, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (init.body) headers.set('content-type', 'application/json');
  return server.app.request(path, { ...init, headers });
}

async function cardData(cardKey: string, token: string, filters: Record<string, unknown> = {}) {
  const card = story.pages.flatMap((p) => p.cards).find((c) => c.key === cardKey);
  if (!card) throw new Error(`no card ${cardKey}`);
  return request(`/api/embed/cards/${card.id}/data`, token, { method: 'POST', body: JSON.stringify({ filters }) });
}

/** The truth, straight from the warehouse with plain SQL, bypassing the engine's compiler and policy. */
async function warehouse(sql: string, params: unknown[] = []) {
  const connector = await server.services.connections.get(server.services.defaultOrgId, DEMO_CONNECTION_ID);
  return connector.execute(sql, params, { timeoutMs: 10_000, maxRows: 10_000 });
}

beforeAll(async () => {
  server = await createTestServer();
  const res = await request('/api/embed/story', await server.token());
  expect(res.status).toBe(200);
  story = (await res.json()) as StoryView;
});

afterAll(async () => {
  await server?.close();
});

describe('GET /api/embed/story', () => {
  it('returns the pages, cards and filters of the token story', () => {
    expect(story.slug).toBe('retail-overview');
    expect(story.pages.map((p) => p.key)).toEqual(['overview', 'customers', 'products', 'region-detail']);
    expect(story.pages[0]?.cards.map((c) => c.type)).toEqual(['metric', 'metric', 'chart', 'chart']);
    expect(story.filters.map((f) => f.name)).toEqual(['period', 'region', 'category', 'line_value', 'customer']);
    expect(story.permissions).toEqual(['view', 'drill']);
    // A drill target comes with the default `drill` permission.
    expect(story.pages.flatMap((p) => p.cards).some((c) => c.drill?.page === 'region-detail')).toBe(true);
    // The card's query (dataset, policy) stays on the server.
    expect(JSON.stringify(story)).not.toContain('sales_facts');
  });

  it('leaves drill targets out for a token without the drill permission', async () => {
    const res = await request('/api/embed/story', await server.token({ permissions: ['view'] }));
    const view = (await res.json()) as StoryView;
    expect(view.pages.flatMap((p) => p.cards).every((c) => c.drill === null)).toBe(true);
  });

  it('answers problem+json with a stable code without a token', async () => {
    const res = await request('/api/embed/story', undefined);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((await res.json()).code).toBe('ERR_UNAUTHENTICATED');
  });
});

describe('token verification', () => {
  const claims = () => ({ resource: { story: 'retail-overview' }, params: { tenant_id: 1 }, aud: 'insight-embed', iat: now(), exp: now() + 600 });
  const sign = (payload: Record<string, unknown>, key: Uint8Array = secret, alg = 'HS256') =>
    new SignJWT(payload).setProtectedHeader({ alg }).sign(key);

  async function codeFor(token: string) {
    const res = await request('/api/embed/story', token);
    expect(res.status).toBe(401);
    return (await res.json()).code as string;
  }

  it('accepts a well-formed token', async () => {
    const res = await request('/api/embed/story', await sign(claims()));
    expect(res.status).toBe(200);
  });

  it('refuses an expired token', async () => {
    expect(await codeFor(await sign({ ...claims(), iat: now() - 7200, exp: now() - 3600 }))).toBe('ERR_TOKEN_EXPIRED');
  });

  it('refuses alg none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const body = base64url.encode(JSON.stringify(claims()));
    expect(await codeFor(`${header}.${body}.`)).toBe('ERR_TOKEN_ALGORITHM');
  });

  it('refuses other HMAC algorithms', async () => {
    expect(await codeFor(await sign(claims(), secret, 'HS512'))).toBe('ERR_TOKEN_ALGORITHM');
  });

  it('refuses a token signed with another secret', async () => {
    expect(await codeFor(await sign(claims(), new TextEncoder().encode('another-secret-of-sufficient-length-000000')))).toBe('ERR_TOKEN_SIGNATURE');
  });

  it('refuses another audience and a missing audience', async () => {
    expect(await codeFor(await sign({ ...claims(), aud: 'someone-else' }))).toBe('ERR_TOKEN_AUDIENCE');
    const { aud: _aud, ...withoutAudience } = claims();
    expect(['ERR_TOKEN_AUDIENCE', 'ERR_TOKEN_INVALID']).toContain(await codeFor(await sign(withoutAudience)));
  });

  it('refuses a token whose params or resource were edited after signing', async () => {
    const token = await sign(claims());
    const [header, , signature] = token.split('.');
    for (const edited of [{ ...claims(), params: { tenant_id: 2 } }, { ...claims(), resource: { story: 'other' } }]) {
      const forged = `${header}.${base64url.encode(JSON.stringify(edited))}.${signature}`;
      expect(await codeFor(forged)).toBe('ERR_TOKEN_SIGNATURE');
    }
  });

  it('refuses a token without exp or living longer than 24 hours', async () => {
    const { exp: _exp, ...withoutExpiry } = claims();
    expect(await codeFor(await sign(withoutExpiry))).toBe('ERR_TOKEN_INVALID');
    expect(await codeFor(await sign({ ...claims(), exp: now() + 25 * 3600 }))).toBe('ERR_TOKEN_LIFETIME');
  });

  it('refuses a token naming an unknown key and garbage', async () => {
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'nope' }).sign(secret);
    expect(await codeFor(token)).toBe('ERR_TOKEN_KEY_UNKNOWN');
    expect(await codeFor('not-a-token')).toBe('ERR_TOKEN_INVALID');
  });

  it('refuses a token without the claims shape (no resource)', async () => {
    const { resource: _resource, ...withoutResource } = claims();
    expect(await codeFor(await sign(withoutResource))).toBe('ERR_TOKEN_INVALID');
  });
});

describe('POST /api/embed/cards/{cardId}/data', () => {
  it('returns the tenant total revenue, equal to the warehouse truth', async () => {
    for (const tenant of [1, 2, 3]) {
      const res = await cardData('total-revenue', await server.token({ params: { tenant_id: tenant } }));
      expect(res.status).toBe(200);
      const data = (await res.json()) as CardData;
      const truth = await warehouse('select sum(revenue) from sales_facts where tenant_id = $1', [tenant]);
      expect(data.columns.map((c) => c.name)).toEqual(['revenue']);
      expect(data.rows[0]?.[0]).toBeCloseTo(truth.rows[0]?.[0] as number, 2);
      expect(data.rows[0]?.[0]).toBeGreaterThan(0);
    }
  });

  it('never returns another tenant row, whatever the filters', async () => {
    const token = await server.token({ params: { tenant_id: 1 } });
    const tenant1Customers = new Set((await warehouse('select distinct customer from sales_facts where tenant_id = 1')).rows.map((r) => r[0]));
    for (const filters of [{}, { region: 'West' }, { period: { from: '2024-01-01', to: '2025-12-31' } }, { region: null }]) {
      const res = await cardData('top-customers', token, filters);
      expect(res.status).toBe(200);
      const data = (await res.json()) as CardData;
      expect(data.rows.length).toBeGreaterThan(0);
      for (const row of data.rows) expect(tenant1Customers.has(row[0])).toBe(true);
    }
    // Monthly revenue of tenant 1 matches tenant 1 only, not the total of all tenants.
    const months = (await (await cardData('revenue-by-month', token)).json()) as CardData;
    const sum = months.rows.reduce((s, r) => s + (r[1] as number), 0);
    const truth = await warehouse('select sum(revenue) as t1, (select sum(revenue) from sales_facts) as everyone from sales_facts where tenant_id = 1');
    expect(sum).toBeCloseTo(truth.rows[0]?.[0] as number, 1);
    expect(sum).toBeLessThan(truth.rows[0]?.[1] as number);
  });

  it('binds filter values: an injection string matches nothing', async () => {
    const token = await server.token();
    const res = await cardData('top-customers', token, { region: "' OR 1=1 --" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as CardData).rows).toEqual([]);
    const byRegion = await cardData('revenue-by-region', token, { region: "West' OR '1'='1" });
    expect(((await byRegion.json()) as CardData).rows).toEqual([]);
  });

  it('applies the region and date range filters', async () => {
    const token = await server.token({ params: { tenant_id: 2 } });
    const res = await cardData('total-revenue', token, { region: 'West', period: { from: '2024-03-01', to: '2024-05-31' } });
    const data = (await res.json()) as CardData;
    const truth = await warehouse(
      `select sum(revenue) from sales_facts where tenant_id = 2 and region = 'West' and order_date between '2024-03-01' and '2024-05-31'`,
    );
    expect(data.rows[0]?.[0]).toBeCloseTo(truth.rows[0]?.[0] as number, 2);
  });

  it('serves a repeat request from the cache, and never shares entries between tenants', async () => {
    const t1 = await server.token({ params: { tenant_id: 1 } });
    const t3 = await server.token({ params: { tenant_id: 3 } });
    await cardData('revenue-by-category', t1, { region: 'North' });
    const again = (await (await cardData('revenue-by-category', t1, { region: 'North' })).json()) as CardData;
    expect(again.fromCache).toBe(true);
    const other = (await (await cardData('revenue-by-category', t3, { region: 'North' })).json()) as CardData;
    expect(other.fromCache).toBe(false);
    expect(other.rows).not.toEqual(again.rows);
  });

  it('refuses unknown filters and badly shaped values with stable codes', async () => {
    const token = await server.token();
    const unknown = await cardData('total-revenue', token, { tenant_id: 2 });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).code).toBe('ERR_FILTER_UNKNOWN');
    const bad = await cardData('total-revenue', token, { period: { from: "2024-01-01' or 1=1" } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('ERR_FILTER_VALUE');
    const notJson = await request(`/api/embed/cards/${story.pages[0]?.cards[0]?.id}/data`, token, { method: 'POST', body: '{nope' });
    expect((await notJson.json()).code).toBe('ERR_VALIDATION');
  });

  it('refuses filters named like built-in object members as unknown, like any other name', async () => {
    const token = await server.token();
    const cardId = story.pages.flatMap((p) => p.cards).find((c) => c.key === 'total-revenue')?.id;
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      // A raw body: an object literal would turn __proto__ into a prototype instead of a member.
      const res = await request(`/api/embed/cards/${cardId}/data`, token, { method: 'POST', body: `{"filters":{${JSON.stringify(name)}:"North"}}` });
      expect(res.status, name).toBe(400);
      expect((await res.json()).code, name).toBe('ERR_FILTER_UNKNOWN');
    }
  });

  it('checks a token param named __proto__ like any other param', async () => {
    const sign = (params: Record<string, unknown>) =>
      new SignJWT({ resource: { story: 'retail-overview' }, params }).setProtectedHeader({ alg: 'HS256' }).setAudience('insight-embed').setIssuedAt().setExpirationTime('10m').sign(secret);
    // Computed keys make own members; an object is not a valid param value under any name.
    for (const name of ['other', '__proto__']) {
      const res = await cardData('total-revenue', await sign({ tenant_id: 1, [name]: { tenant_id: 2 } }));
      expect(res.status, name).toBe(401);
      expect((await res.json()).code, name).toBe('ERR_TOKEN_INVALID');
    }
  });

  it('denies a token without the policy parameter (fail closed)', async () => {
    const res = await cardData('total-revenue', await server.token({ params: {} }));
    expect(res.status).toBe(403);
    expect((await res.json()).code).toBe('ERR_POLICY_PARAM_MISSING');
  });

  it('keeps a token for one story away from the cards of another', async () => {
    const other = await server.services.stories.importStory(server.services.defaultOrgId, {
      slug: 'other-story',
      title: 'Other',
      status: 'published',
      filters: [{ name: 'tenant', label: 'Tenant', type: 'select', dataset: 'sales', column: 'tenant_id' }],
      pages: [{ key: 'p', title: 'P', cards: [{ key: 'everything', type: 'table', title: 'All', query: { dataset: 'sales', measures: [{ agg: 'count' }] } }] }],
    });
    const otherStory = await server.services.stories.load(server.services.defaultOrgId, other.id);
    const otherCard = otherStory.pages[0]?.cards[0]?.id as string;
    const res = await request(`/api/embed/cards/${otherCard}/data`, await server.token(), { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe('ERR_CARD_NOT_FOUND');
    // With its own token the card answers, and a filter on the locked column is hidden.
    const ownToken = await server.token({ story: 'other-story', params: { tenant_id: 1 } });
    const view = (await (await request('/api/embed/story', ownToken)).json()) as StoryView;
    expect(view.filters).toEqual([]);
    const own = await request(`/api/embed/cards/${otherCard}/data`, ownToken, { method: 'POST', body: JSON.stringify({ filters: { tenant: 2 } }) });
    expect((await own.json()).code).toBe('ERR_FILTER_UNKNOWN');
  });

  it('honours a card\'s own cache lifetime (0 = always fresh)', async () => {
    await server.services.stories.importStory(server.services.defaultOrgId, {
      slug: 'live-story',
      title: 'Live',
      status: 'published',
      pages: [{ key: 'p', title: 'P', cards: [{ key: 'live', type: 'metric', title: 'Live', options: { cacheTtlSeconds: 0 }, query: { dataset: 'sales', measures: [{ agg: 'count', as: 'n' }] } }] }],
    });
    const token = await server.token({ story: 'live-story' });
    const view = (await (await request('/api/embed/story', token)).json()) as StoryView;
    const cardId = view.pages[0]?.cards[0]?.id as string;
    for (let i = 0; i < 2; i++) {
      const data = (await (await request(`/api/embed/cards/${cardId}/data`, token, { method: 'POST', body: '{}' })).json()) as CardData;
      expect(data.fromCache).toBe(false);
    }
  });

  it('hides draft stories from viewers', async () => {
    await server.services.stories.importStory(server.services.defaultOrgId, {
      slug: 'draft-story',
      title: 'Draft',
      pages: [{ key: 'p', title: 'P', cards: [] }],
    });
    const res = await request('/api/embed/story', await server.token({ story: 'draft-story' }));
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe('ERR_STORY_NOT_FOUND');
  });
});

describe('GET /api/embed/filters/{filterId}/values', () => {
  it('lists only values visible to the token', async () => {
    const region = story.filters.find((f) => f.name === 'region');
    const res = await request(`/api/embed/filters/${region?.id}/values`, await server.token());
    expect(res.status).toBe(200);
    const body = (await res.json()) as { values: string[] };
    const truth = (await warehouse('select distinct region from sales_facts where tenant_id = 1 order by 1')).rows.map((r) => r[0]);
    expect(body.values).toEqual(truth);
    const search = (await (await request(`/api/embed/filters/${region?.id}/values?search=es`, await server.token())).json()) as { values: string[] };
    expect(search.values).toEqual(truth.filter((r) => String(r).toLowerCase().includes('es')));
  });
});
