/**
 * Optimistic concurrency on every versioned admin resource, table-driven: the
 * ETag and `version` a read gives, If-Match honoured by writes and deletes
 * (412 ERR_VERSION_CONFLICT with the current version, nothing changed), two
 * concurrent writers with the same If-Match (exactly one wins), and the 428
 * of INSIGHT_REQUIRE_IF_MATCH. The same table runs against the PostgreSQL
 * platform store, where the two writers really race.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONNECTION_ID, SALES_DATASET } from '../../demo-content/provision-demo.ts';
import { adminClient, TEST_ADMIN_KEY } from '../../testing/admin-fixtures.ts';
import { POSTGRES_URL, serviceAvailable } from '../../testing/services.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

type Api = ReturnType<typeof adminClient>;

interface Resource {
  /** Where GET reads the resource (a story for its pages, cards and filters). */
  read: string;
  /** The write of change number `n`: what it writes ends in `#n`. */
  write: (n: number) => { method: 'PATCH' | 'PUT'; path: string; body: unknown };
  /** What the read shows of the last write. */
  written: (json: any) => unknown;
  /** DELETE path, and whether the resource is still there as `read` shows it. */
  remove: string;
  present: (api: Api) => Promise<boolean>;
}

interface Case {
  name: string;
  /** Needs the demo warehouse and its `sales` dataset. */
  demo?: boolean;
  create: (api: Api, unique: string) => Promise<Resource>;
}

async function created(api: Api, path: string, body: unknown): Promise<any> {
  const res = await api('POST', path, body);
  expect(res.status, `${path}: ${res.text}`).toBe(201);
  return res.json;
}

const found = (api: Api, path: string) => async () => (await api('GET', path)).status === 200;

async function newStory(api: Api, unique: string) {
  const story = await created(api, '/api/stories', { title: `Story ${unique}` });
  return { story, path: `/api/stories/${story.id}` };
}

/** A page, card or filter: written at its own path, read (and versioned) through its story. */
function storyPart(api: Api, storyPath: string, partPath: string, find: (story: any) => any, member: string): Resource {
  return {
    read: storyPath,
    write: (n) => ({ method: 'PATCH', path: partPath, body: { [member]: `${member} #${n}` } }),
    written: (j) => find(j)?.[member],
    remove: partPath,
    present: async () => find((await api('GET', storyPath)).json) !== undefined,
  };
}

const CASES: Case[] = [
  {
    name: 'story',
    async create(api, unique) {
      const { path } = await newStory(api, unique);
      return { read: path, write: (n) => ({ method: 'PATCH', path, body: { title: `Title #${n}` } }), written: (j) => j.title, remove: path, present: found(api, path) };
    },
  },
  {
    name: 'story page',
    async create(api, unique) {
      const { path } = await newStory(api, unique);
      // A second page, so the one under test may be deleted.
      const page = await created(api, `${path}/pages`, { title: 'Second' });
      return storyPart(api, path, `${path}/pages/${page.id}`, (j) => j.pages.find((p: any) => p.id === page.id), 'title');
    },
  },
  {
    name: 'story card',
    async create(api, unique) {
      const { story, path } = await newStory(api, unique);
      const card = await created(api, `${path}/pages/${story.pages[0].id}/cards`, { type: 'text', title: 'Note', options: { markdown: 'hello' } });
      return storyPart(api, path, `${path}/cards/${card.id}`, (j) => j.pages.flatMap((p: any) => p.cards).find((c: any) => c.id === card.id), 'title');
    },
  },
  {
    name: 'story filter',
    demo: true,
    async create(api, unique) {
      const { path } = await newStory(api, unique);
      const filter = await created(api, `${path}/filters`, { name: 'region', label: 'Region', type: 'select', dataset: 'sales', column: 'region' });
      return storyPart(api, path, `${path}/filters/${filter.id}`, (j) => j.filters.find((f: any) => f.id === filter.id), 'label');
    },
  },
  {
    name: 'dataset',
    demo: true,
    async create(api, unique) {
      // No row policy: the dataset's checks are not what this test is about.
      const body = { ...SALES_DATASET, rowPolicy: undefined, name: `sales_${unique}`, connectionId: DEMO_CONNECTION_ID };
      const path = `/api/datasets/${(await created(api, '/api/datasets', body)).id}`;
      return { read: path, write: (n) => ({ method: 'PUT', path, body: { ...body, label: `Sales #${n}` } }), written: (j) => j.label, remove: path, present: found(api, path) };
    },
  },
  {
    name: 'connection',
    async create(api, unique) {
      const path = `/api/connections/${(await created(api, '/api/connections', { name: `embedded ${unique}`, type: 'pglite' })).id}`;
      return { read: path, write: (n) => ({ method: 'PATCH', path, body: { name: `embedded ${unique} #${n}` } }), written: (j) => j.name, remove: path, present: found(api, path) };
    },
  },
  {
    name: 'saved query',
    demo: true,
    async create(api, unique) {
      const body = { name: `Revenue ${unique}`, kind: 'sql', connectionId: DEMO_CONNECTION_ID, sql: 'select region, sum(revenue) as revenue from sales group by region' };
      const path = `/api/saved-queries/${(await created(api, '/api/saved-queries', body)).id}`;
      return { read: path, write: (n) => ({ method: 'PUT', path, body: { ...body, description: `take #${n}` } }), written: (j) => j.description, remove: path, present: found(api, path) };
    },
  },
  {
    name: 'role',
    async create(api, unique) {
      const path = `/api/roles/${(await created(api, '/api/roles', { name: `Readers ${unique}`, permissions: ['datasource:read'] })).id}`;
      return { read: path, write: (n) => ({ method: 'PATCH', path, body: { description: `take #${n}` } }), written: (j) => j.description, remove: path, present: found(api, path) };
    },
  },
  {
    name: 'collection',
    async create(api, unique) {
      const path = `/api/collections/${(await created(api, '/api/collections', { name: `Folder ${unique}` })).id}`;
      return { read: path, write: (n) => ({ method: 'PATCH', path, body: { name: `Folder ${unique} #${n}` } }), written: (j) => j.name, remove: path, present: found(api, path) };
    },
  },
  {
    name: 'embed key',
    async create(api, unique) {
      const path = `/api/embed-keys/${(await created(api, '/api/embed-keys', { name: `Key ${unique}` })).id}`;
      // DELETE revokes: the key stays readable, with revokedAt set.
      return {
        read: path,
        write: (n) => ({ method: 'PATCH', path, body: { name: `Key ${unique} #${n}` } }),
        written: (j) => j.name,
        remove: path,
        present: async () => (await api('GET', path)).json.revokedAt === null,
      };
    },
  },
];

let counter = 0;
const unique = () => `${process.pid}_${++counter}`;

/** The ETag and version a GET gives, checked to agree. */
async function current(api: Api, path: string): Promise<{ etag: string; version: number; json: any }> {
  const res = await api('GET', path);
  expect(res.status).toBe(200);
  const etag = res.headers.get('etag');
  expect(etag).toBe(`"${res.json.version}"`);
  return { etag: etag as string, version: res.json.version, json: res.json };
}

const send = (api: Api, w: { method: string; path: string; body: unknown }, ifMatch?: string) => api(w.method, w.path, w.body, ifMatch === undefined ? {} : { 'if-match': ifMatch });

function concurrencySuite(label: string, cases: Case[], start: () => TestServer) {
  describe.each(cases)(`${label}: $name`, (c) => {
    let api: Api;
    beforeAll(() => {
      api = adminClient(start().app, TEST_ADMIN_KEY);
    });

    it('answers reads and writes with an ETag, and applies a write over the current version', async () => {
      const r = await c.create(api, unique());
      const before = await current(api, r.read);
      expect(before.version).toBeGreaterThanOrEqual(1);
      const res = await send(api, r.write(1), before.etag);
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('etag')).toBe(`"${before.version + 1}"`);
      const after = await current(api, r.read);
      expect(after.version).toBe(before.version + 1);
      expect(r.written(after.json)).toMatch(/#1$/);
    });

    it('refuses a write over a stale version with 412 and the current version, changing nothing', async () => {
      const r = await c.create(api, unique());
      const stale = await current(api, r.read);
      expect((await send(api, r.write(1), stale.etag)).status).toBe(200);
      const fresh = await current(api, r.read);

      const refused = await send(api, r.write(2), stale.etag);
      expect(refused.status).toBe(412);
      expect(refused.contentType).toContain('application/problem+json');
      expect(refused.json).toMatchObject({ code: 'ERR_VERSION_CONFLICT', currentVersion: fresh.version });
      expect(refused.headers.get('etag')).toBe(fresh.etag);
      // A weak or foreign tag never matches either.
      expect((await send(api, r.write(2), `W/${fresh.etag}`)).status).toBe(412);
      expect((await send(api, r.write(2), '"not-a-version"')).status).toBe(412);

      const after = await current(api, r.read);
      expect(after.version).toBe(fresh.version);
      expect(r.written(after.json)).toEqual(r.written(fresh.json));
    });

    it('refuses a delete over a stale version and keeps the resource; deletes over the current one', async () => {
      const r = await c.create(api, unique());
      const stale = await current(api, r.read);
      expect((await send(api, r.write(1), '*')).status).toBe(200);
      const refused = await api('DELETE', r.remove, undefined, { 'if-match': stale.etag });
      expect(refused.status).toBe(412);
      expect(refused.json.code).toBe('ERR_VERSION_CONFLICT');
      expect(await r.present(api)).toBe(true);
      const fresh = await current(api, r.read);
      expect((await api('DELETE', r.remove, undefined, { 'if-match': fresh.etag })).status).toBe(204);
      expect(await r.present(api)).toBe(false);
    });

    it('lets exactly one of two concurrent writers with the same If-Match win', async () => {
      const r = await c.create(api, unique());
      const { etag, version } = await current(api, r.read);
      const results = await Promise.all([send(api, r.write(1), etag), send(api, r.write(2), etag)]);
      expect(results.map((res) => res.status).sort()).toEqual([200, 412]);
      const loser = results.find((res) => res.status === 412);
      expect(loser?.json).toMatchObject({ code: 'ERR_VERSION_CONFLICT', currentVersion: version + 1 });
      const winner = results.findIndex((res) => res.status === 200) + 1;
      const after = await current(api, r.read);
      expect(after.version).toBe(version + 1);
      expect(r.written(after.json)).toMatch(new RegExp(`#${winner}$`));
    });
  });
}

describe('on the embedded store', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  }, 60_000);
  afterAll(() => server?.close());
  concurrencySuite('embedded', CASES, () => server);

  it('keeps If-Match optional by default: a write without it applies to any version', async () => {
    const api = adminClient(server.app, TEST_ADMIN_KEY);
    for (const c of CASES) {
      const r = await c.create(api, unique());
      const res = await send(api, r.write(1));
      expect(res.status, `${c.name}: ${res.text}`).toBe(200);
      expect(res.headers.get('etag'), c.name).toMatch(/^"\d+"$/);
    }
  });

  it('documents If-Match, the ETag and the 412 and 428 answers on versioned routes', async () => {
    const doc = (await (await server.app.request('/api/openapi.json')).json()) as any;
    for (const [path, method] of [
      ['/api/stories/{id}', 'patch'],
      ['/api/stories/{id}/cards/{cardId}', 'delete'],
      ['/api/datasets/{id}', 'put'],
      ['/api/connections/{id}', 'delete'],
      ['/api/saved-queries/{id}', 'put'],
      ['/api/roles/{id}', 'patch'],
      ['/api/collections/{id}', 'patch'],
      ['/api/embed-keys/{id}', 'patch'],
    ] as const) {
      const op = doc.paths[path][method];
      expect(op.parameters, `${method} ${path}`).toContainEqual(expect.objectContaining({ name: 'If-Match', in: 'header', required: false }));
      expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['412', '428']));
    }
    expect(doc.paths['/api/datasets/{id}'].get.responses['200'].headers).toHaveProperty('ETag');
    expect(doc.paths['/api/stories/{id}/cards/{cardId}'].patch.responses['200'].headers).toHaveProperty('ETag');
  });
});

describe('with INSIGHT_REQUIRE_IF_MATCH=1', () => {
  let server: TestServer;
  let api: Api;
  beforeAll(async () => {
    server = await createTestServer({ requireIfMatch: true });
    api = adminClient(server.app, TEST_ADMIN_KEY);
  }, 60_000);
  afterAll(() => server?.close());

  it.each(CASES)('refuses a $name write or delete without If-Match (428), and takes * or the current ETag', async (c) => {
    const r = await c.create(api, unique());
    const missing = await send(api, r.write(1));
    expect(missing.status).toBe(428);
    expect(missing.json.code).toBe('ERR_PRECONDITION_REQUIRED');
    expect((await api('DELETE', r.remove)).json.code).toBe('ERR_PRECONDITION_REQUIRED');
    expect(await r.present(api)).toBe(true);
    expect((await send(api, r.write(1), '*')).status).toBe(200);
    const { etag } = await current(api, r.read);
    expect((await api('DELETE', r.remove, undefined, { 'if-match': etag })).status).toBe(204);
  });
});

describe.skipIf(!(await serviceAvailable('postgres')))('on the PostgreSQL platform store', () => {
  const SCHEMA = `insight_versioning_test_${process.pid}`;
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ demo: false, databaseUrl: POSTGRES_URL }, { storeSchema: SCHEMA });
    expect(server.services.store.kind).toBe('postgres');
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade`);
    await client.end();
  });
  concurrencySuite(
    'postgres',
    CASES.filter((c) => !c.demo),
    () => server,
  );
});
