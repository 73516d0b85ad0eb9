/**
 * What a share of a story lets a user session do: `view` reads the story,
 * `edit` also changes its draft, `admin` also publishes, deletes and manages
 * its shares, all on that one story only. A role that already grants a
 * permission org-wide keeps it; API keys have their role only.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, addApiKey, TEST_ADMIN_KEY } from '../../testing/admin-fixtures.ts';
import { POSTGRES_URL, serviceAvailable } from '../../testing/services.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

let server: TestServer;
let owner: ReturnType<typeof adminClient>;
/** A custom role that cannot read stories org-wide: such a user sees only what is shared with them. */
let shareOnlyRole: string;

const PASSWORD = 'a long enough password for shares';
let users = 0;

/** A user of the default organisation with the role, logged in: their id and a client with their session. */
async function userSession(role: string, on: TestServer = server) {
  users += 1;
  const email = `user${users}@shares.test`;
  const created = await adminClient(on.app, TEST_ADMIN_KEY)('POST', '/api/users', { email, name: `User ${users}`, role, password: PASSWORD });
  expect(created.status, created.text).toBe(201);
  const login = await on.app.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  expect(login.status).toBe(200);
  const { accessToken } = (await login.json()) as { accessToken: string };
  return { id: created.json.id as string, api: adminClient(on.app, accessToken) };
}

async function newStory(title: string, on: TestServer = server) {
  const res = await adminClient(on.app, TEST_ADMIN_KEY)('POST', '/api/stories', { title });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; slug: string; pages: Array<{ id: string }> };
}

async function share(storyId: string, userId: string, level: 'view' | 'edit' | 'admin', on: TestServer = server) {
  const res = await adminClient(on.app, TEST_ADMIN_KEY)('POST', `/api/stories/${storyId}/shares`, { userId, level });
  expect(res.status, res.text).toBeLessThan(300);
}

const TEXT_CARD = { type: 'text', title: 'Note', options: { markdown: 'Hello' } };

beforeAll(async () => {
  server = await createTestServer({ demo: false });
  owner = adminClient(server.app, TEST_ADMIN_KEY);
  const role = await owner('POST', '/api/roles', { name: 'Share only', permissions: ['file:read', 'user:read'] });
  expect(role.status, role.text).toBe(201);
  shareOnlyRole = role.json.id;
});

afterAll(async () => {
  await server?.close();
});

describe('a viewer with an edit share', () => {
  it('edits that story’s draft but neither publishes it, deletes it nor shares it', async () => {
    const story = await newStory('Edit share story');
    const viewer = await userSession('viewer');
    await share(story.id, viewer.id, 'edit');

    const patched = await viewer.api('PATCH', `/api/stories/${story.id}`, { title: 'Edited by a viewer' });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.title).toBe('Edited by a viewer');
    const page = await viewer.api('POST', `/api/stories/${story.id}/pages`, { title: 'Second' });
    expect(page.status, page.text).toBe(201);
    const order = [page.json.id, story.pages[0]!.id];
    expect((await viewer.api('POST', `/api/stories/${story.id}/pages/reorder`, { order })).json.pages.map((p: { id: string }) => p.id)).toEqual(order);
    const card = await viewer.api('POST', `/api/stories/${story.id}/pages/${page.json.id}/cards`, TEXT_CARD);
    expect(card.status, card.text).toBe(201);
    expect((await viewer.api('PATCH', `/api/stories/${story.id}/cards/${card.json.id}`, { title: 'Renamed' })).json.title).toBe('Renamed');
    expect((await viewer.api('DELETE', `/api/stories/${story.id}/cards/${card.json.id}`)).status).toBe(204);
    expect((await owner('GET', `/api/stories/${story.id}`)).json).toMatchObject({ title: 'Edited by a viewer', pages: [{ id: page.json.id, cards: [] }, { id: story.pages[0]!.id }] });

    for (const [method, path, body, permission] of [
      ['POST', `/api/stories/${story.id}/publish`, undefined, 'story:publish'],
      ['POST', `/api/stories/${story.id}/unpublish`, undefined, 'story:publish'],
      ['DELETE', `/api/stories/${story.id}`, undefined, 'story:delete'],
      ['POST', `/api/stories/${story.id}/shares`, { userId: viewer.id, level: 'admin' }, 'share:grant'],
      ['DELETE', `/api/stories/${story.id}/shares/${viewer.id}`, undefined, 'share:grant'],
    ] as const) {
      const res = await viewer.api(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json).toMatchObject({ code: 'ERR_FORBIDDEN', permission });
    }
    expect((await owner('GET', `/api/stories/${story.id}`)).json.status).toBe('draft');
    expect((await owner('GET', `/api/stories/${story.id}/shares`)).json.items).toEqual([expect.objectContaining({ userId: viewer.id, level: 'edit' })]);
  });

  it('cannot edit another story of the organisation', async () => {
    const shared = await newStory('Shared for editing');
    const other = await newStory('Not shared at all');
    const viewer = await userSession('viewer');
    await share(shared.id, viewer.id, 'edit');

    for (const [method, path, body] of [
      ['PATCH', `/api/stories/${other.id}`, { title: 'Taken' }],
      ['POST', `/api/stories/${other.id}/pages`, { title: 'Injected' }],
      ['POST', `/api/stories/${other.id}/pages/${other.pages[0]!.id}/cards`, TEXT_CARD],
    ] as const) {
      const res = await viewer.api(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json).toMatchObject({ code: 'ERR_FORBIDDEN', permission: 'story:edit' });
    }
    // The viewer role still reads every story org-wide.
    expect((await viewer.api('GET', `/api/stories/${other.id}`)).json.title).toBe('Not shared at all');
    expect((await owner('GET', `/api/stories/${other.id}`)).json.pages).toHaveLength(1);
  });
});

describe('a viewer with an admin share', () => {
  it('publishes, unpublishes, manages the shares of and deletes that story', async () => {
    const story = await newStory('Admin share story');
    const viewer = await userSession('viewer');
    const colleague = await userSession('viewer');
    await share(story.id, viewer.id, 'admin');

    const published = await viewer.api('POST', `/api/stories/${story.id}/publish`);
    expect(published.status, published.text).toBe(200);
    expect(published.json).toMatchObject({ status: 'published', version: 1 });
    expect((await viewer.api('GET', `/api/stories/${story.id}/versions`)).json.items).toHaveLength(1);
    expect((await viewer.api('POST', `/api/stories/${story.id}/unpublish`)).json.status).toBe('draft');

    expect((await viewer.api('POST', `/api/stories/${story.id}/shares`, { userId: colleague.id, level: 'edit' })).status).toBe(201);
    expect((await colleague.api('PATCH', `/api/stories/${story.id}`, { title: 'By the colleague' })).status).toBe(200);
    expect((await viewer.api('DELETE', `/api/stories/${story.id}/shares/${colleague.id}`)).status).toBe(204);
    expect((await colleague.api('PATCH', `/api/stories/${story.id}`, { title: 'Again' })).status).toBe(403);

    expect((await viewer.api('DELETE', `/api/stories/${story.id}`)).status).toBe(204);
    expect((await owner('GET', `/api/stories/${story.id}`)).status).toBe(404);
  });
});

describe('without a share', () => {
  it('a viewer may read but not change a story (403)', async () => {
    const story = await newStory('Unshared story');
    const viewer = await userSession('viewer');
    expect((await viewer.api('GET', `/api/stories/${story.id}`)).status).toBe(200);
    const res = await viewer.api('PATCH', `/api/stories/${story.id}`, { title: 'Nope' });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'ERR_FORBIDDEN', permission: 'story:edit' });
  });

  it('a user who cannot read stories org-wide gets 404 for every route of the story', async () => {
    const story = await newStory('Invisible story');
    const outsider = await userSession(shareOnlyRole);
    for (const [method, path, body] of [
      ['GET', `/api/stories/${story.id}`],
      ['GET', `/api/stories/${story.id}/export`],
      ['GET', `/api/stories/${story.id}/versions`],
      ['GET', `/api/stories/${story.id}/shares`],
      ['PATCH', `/api/stories/${story.id}`, { title: 'Nope' }],
      ['POST', `/api/stories/${story.id}/publish`],
      ['DELETE', `/api/stories/${story.id}`],
      ['POST', `/api/stories/${story.id}/shares`, { userId: outsider.id, level: 'admin' }],
    ] as const) {
      const res = await outsider.api(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.code).toBe('ERR_STORY_NOT_FOUND');
    }
    // Exactly what a story id that does not exist answers.
    expect((await outsider.api('GET', '/api/stories/s_does_not_exist')).json.code).toBe('ERR_STORY_NOT_FOUND');
  });
});

describe('a view share for a user who cannot read stories org-wide', () => {
  it('reads, exports and lists the versions of that story but cannot change it (403)', async () => {
    const story = await newStory('View share story');
    const reader = await userSession(shareOnlyRole);
    await share(story.id, reader.id, 'view');

    expect((await reader.api('GET', `/api/stories/${story.id}`)).json.title).toBe('View share story');
    expect((await reader.api('GET', `/api/stories/${story.id}/export`)).json).toMatchObject({ slug: story.slug });
    expect((await reader.api('GET', `/api/stories/${story.id}/versions`)).status).toBe(200);
    expect((await reader.api('GET', `/api/stories/${story.id}/shares`)).json.items).toEqual([expect.objectContaining({ userId: reader.id, level: 'view' })]);
    const res = await reader.api('PATCH', `/api/stories/${story.id}`, { title: 'Nope' });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'ERR_FORBIDDEN', permission: 'story:edit' });
  });
});

describe('revoking and changing a share', () => {
  it('takes effect on the very next request of an open session', async () => {
    const story = await newStory('Revoked share story');
    const viewer = await userSession('viewer');
    const reader = await userSession(shareOnlyRole);
    await share(story.id, viewer.id, 'edit');
    await share(story.id, reader.id, 'view');
    expect((await viewer.api('PATCH', `/api/stories/${story.id}`, { title: 'While shared' })).status).toBe(200);
    expect((await reader.api('GET', `/api/stories/${story.id}`)).status).toBe(200);

    expect((await owner('DELETE', `/api/stories/${story.id}/shares/${viewer.id}`)).status).toBe(204);
    expect((await owner('DELETE', `/api/stories/${story.id}/shares/${reader.id}`)).status).toBe(204);
    expect((await viewer.api('PATCH', `/api/stories/${story.id}`, { title: 'After revoking' })).status).toBe(403);
    expect((await reader.api('GET', `/api/stories/${story.id}`)).status).toBe(404);
    expect((await reader.api('GET', '/api/stories')).json).toMatchObject({ total: 0, items: [] });

    // Lowering a share from admin to view takes publishing away at once too.
    await share(story.id, viewer.id, 'admin');
    expect((await viewer.api('POST', `/api/stories/${story.id}/publish`)).status).toBe(200);
    await share(story.id, viewer.id, 'view');
    expect((await viewer.api('POST', `/api/stories/${story.id}/unpublish`)).status).toBe(403);
    expect((await owner('GET', `/api/stories/${story.id}`)).json).toMatchObject({ title: 'While shared', status: 'published' });
  });
});

describe('listing stories', () => {
  it('shows a user who cannot read stories org-wide only the stories shared with them, searched and paged', async () => {
    const reader = await userSession(shareOnlyRole);
    const a = await newStory('Listed alpha');
    const b = await newStory('Listed beta');
    const c = await newStory('Listed gamma');
    await newStory('Listed hidden');
    await share(a.id, reader.id, 'view');
    await share(b.id, reader.id, 'edit');
    await share(c.id, reader.id, 'admin');

    const all = await reader.api('GET', '/api/stories');
    expect(all.status).toBe(200);
    expect(all.json.total).toBe(3);
    expect(all.json.items.map((s: { id: string }) => s.id)).toEqual([a.id, b.id, c.id]);
    expect(all.text).not.toContain('Listed hidden');

    const first = await reader.api('GET', '/api/stories?limit=2');
    expect(first.json.items.map((s: { id: string }) => s.id)).toEqual([a.id, b.id]);
    const second = await reader.api('GET', `/api/stories?limit=2&cursor=${first.json.nextCursor}`);
    expect(second.json).toMatchObject({ total: 3, nextCursor: null, items: [{ id: c.id }] });
    expect((await reader.api('GET', '/api/stories?q=beta')).json).toMatchObject({ total: 1, items: [{ id: b.id }] });
    expect((await reader.api('GET', '/api/stories?q=hidden')).json).toMatchObject({ total: 0, items: [] });

    // A role that reads stories org-wide lists them all, shared or not.
    const viewer = await userSession('viewer');
    expect((await viewer.api('GET', '/api/stories?q=listed')).json.total).toBe(4);
  });

  it('still refuses an API key whose role cannot read stories (shares are for users)', async () => {
    const key = await owner('POST', '/api/api-keys', { name: 'Share-only key', role: shareOnlyRole });
    expect(key.status, key.text).toBe(201);
    const res = await adminClient(server.app, key.json.key)('GET', '/api/stories');
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'ERR_FORBIDDEN', permission: 'datasource:read' });
  });
});

describe('roles that grant the permission org-wide', () => {
  it('keep it without any share, for users and API keys alike', async () => {
    const story = await newStory('Analyst story');
    const analyst = await userSession('analyst');
    const analystKey = adminClient(server.app, (await addApiKey(server.services.store.db, server.services.defaultOrgId, 'analyst')).key);
    expect((await analyst.api('PATCH', `/api/stories/${story.id}`, { title: 'By the analyst user' })).status).toBe(200);
    expect((await analystKey('PATCH', `/api/stories/${story.id}`, { title: 'By the analyst key' })).status).toBe(200);
    // The analyst role does not publish; a view share adds nothing to that.
    await share(story.id, analyst.id, 'view');
    expect((await analyst.api('POST', `/api/stories/${story.id}/publish`)).status).toBe(403);
  });
});

describe.skipIf(!(await serviceAvailable('postgres')))('with the platform store on PostgreSQL', () => {
  const schema = `insight_story_shares_${process.pid}`;
  let pgServer: TestServer;

  beforeAll(async () => {
    pgServer = await createTestServer({ databaseUrl: POSTGRES_URL, demo: false }, { storeSchema: schema });
  });

  afterAll(async () => {
    await pgServer?.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  it('lists, edits and publishes by share exactly as on the embedded store', async () => {
    const role = await adminClient(pgServer.app, TEST_ADMIN_KEY)('POST', '/api/roles', { name: 'Share only', permissions: ['user:read'] });
    expect(role.status, role.text).toBe(201);
    const user = await userSession(role.json.id, pgServer);
    const editable = await newStory('Postgres 100% editable', pgServer);
    const publishable = await newStory('Postgres publishable', pgServer);
    await newStory('Postgres hidden', pgServer);
    await share(editable.id, user.id, 'edit', pgServer);
    await share(publishable.id, user.id, 'admin', pgServer);

    expect((await user.api('GET', '/api/stories?q=postgres')).json).toMatchObject({ total: 2, items: [{ id: editable.id }, { id: publishable.id }] });
    // `%` in a search matches literally, as in the organisation's list.
    expect((await user.api('GET', '/api/stories?q=100%25')).json).toMatchObject({ total: 1, items: [{ id: editable.id }] });
    expect((await user.api('PATCH', `/api/stories/${editable.id}`, { title: 'Postgres edited' })).status).toBe(200);
    expect((await user.api('POST', `/api/stories/${editable.id}/publish`)).status).toBe(403);
    expect((await user.api('POST', `/api/stories/${publishable.id}/publish`)).json).toMatchObject({ status: 'published', version: 1 });
  });
});
