import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EMBED_KEY_ID } from '../bootstrap/ensure-default-org.ts';
import { createOrg } from '../testing/admin-fixtures.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';
import { frameAncestorsDirective, storyFrameOrigins, toFrameSource } from './embed-page.ts';

let server: TestServer;

const frameAncestors = (res: Response) => (res.headers.get('content-security-policy') ?? '').split(';').map((d) => d.trim()).find((d) => d.startsWith('frame-ancestors'));

const setOrigins = (id: string, origins: string[]) =>
  server.services.store.db.updateTable('embed_keys').set({ allowed_origins: JSON.stringify(origins) }).where('id', '=', id).execute();

beforeAll(async () => {
  server = await createTestServer({ allowedOrigins: ['https://configured.example'] });
});

afterAll(async () => {
  await server?.close();
});

describe('frame-ancestors sources', () => {
  it('keeps plain origins and drops anything that could add a directive', () => {
    expect(toFrameSource('https://app.example.com/')).toBe('https://app.example.com');
    expect(toFrameSource('https://*.example.com:8443')).toBe('https://*.example.com:8443');
    expect(toFrameSource("https://a.example; script-src 'unsafe-inline'")).toBeUndefined();
    expect(toFrameSource('javascript:alert(1)')).toBeUndefined();
    expect(frameAncestorsDirective(['https://a.example', 'https://a.example', 'nonsense'])).toBe('frame-ancestors https://a.example');
    expect(frameAncestorsDirective([])).toBe("frame-ancestors 'self'");
  });
});

describe('GET /embed/story/:id', () => {
  it('serves a page without inline script that loads the embed script and the iframe bootstrap', async () => {
    await setOrigins(DEFAULT_EMBED_KEY_ID, ['https://host.example']);
    const res = await server.app.request('/embed/story/retail-overview');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => m[1]?.match(/src="([^"]+)"/)?.[1])).toEqual(['/static/insight-embed.js', '/static/insight-iframe.js']);
    expect(scripts.every((m) => (m[2] ?? '').trim() === '')).toBe(true);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-eval/);
    expect(res.headers.get('x-frame-options')).toBeNull();
  });

  it('lists exactly the allowed origins of the organisation\'s active embed keys, by id or slug', async () => {
    await setOrigins(DEFAULT_EMBED_KEY_ID, ['https://host.example', 'https://admin.host.example:8443']);
    const bySlug = await server.app.request('/embed/story/retail-overview');
    expect(frameAncestors(bySlug)).toBe('frame-ancestors https://host.example https://admin.host.example:8443');
    const story = await server.services.store.db.selectFrom('stories').select('id').where('slug', '=', 'retail-overview').executeTakeFirstOrThrow();
    const byId = await server.app.request(`/embed/story/${story.id}`);
    expect(frameAncestors(byId)).toBe(frameAncestors(bySlug));
  });

  it('leaves out revoked keys and origins of other organisations', async () => {
    const other = await createOrg(server.services.store.db, 'framing-other');
    await server.services.store.db
      .insertInto('embed_keys')
      .values({ id: 'other-key', org_id: other.orgId, name: 'theirs', secret_sealed: server.services.box.seal('x'.repeat(40)), allowed_origins: '["https://other-vendor.example"]', max_ttl_seconds: 600, revoked_at: null })
      .execute();
    await server.services.store.db
      .insertInto('embed_keys')
      .values({ id: 'revoked-key', org_id: 'org_default', name: 'old', secret_sealed: server.services.box.seal('y'.repeat(40)), allowed_origins: '["https://old-host.example"]', max_ttl_seconds: 600, revoked_at: new Date() })
      .execute();
    await setOrigins(DEFAULT_EMBED_KEY_ID, ['https://host.example']);
    const res = await server.app.request('/embed/story/retail-overview');
    expect(frameAncestors(res)).toBe('frame-ancestors https://host.example');
  });

  it("falls back to the configured origins, then to 'self'", async () => {
    await setOrigins(DEFAULT_EMBED_KEY_ID, []);
    expect(frameAncestors(await server.app.request('/embed/story/retail-overview'))).toBe('frame-ancestors https://configured.example');
    // A server configured with no origins: only the page's own origin may frame it.
    const origins = await storyFrameOrigins(server.services.store.db, 'retail-overview', []);
    expect(frameAncestorsDirective(origins ?? ['unexpected'])).toBe("frame-ancestors 'self'");
  });

  it('answers 404 for an unknown story, and keeps X-Frame-Options on other routes', async () => {
    const res = await server.app.request('/embed/story/no-such-story');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('ERR_STORY_NOT_FOUND');
    expect(res.headers.get('x-frame-options')).not.toBeNull();
    expect((await server.app.request('/healthz')).headers.get('x-frame-options')).not.toBeNull();
  });
});
