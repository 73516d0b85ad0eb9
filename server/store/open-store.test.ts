import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, serviceAvailable } from '../testing/services.ts';
import { openStore } from './open-store.ts';

const TABLES = ['api_keys', 'audit_log', 'cards', 'collections', 'connection_schemas', 'connections', 'datasets', 'embed_keys', 'filters', 'login_attempts', 'org_settings', 'organisations', 'pages', 'query_history', 'refresh_tokens', 'revoked_embed_tokens', 'roles', 'saved_queries', 'sessions', 'stories', 'story_shares', 'story_versions', 'users'];

describe('embedded PGlite store', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'insight-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates, and keeps what was written across a restart', async () => {
    const first = await openStore({ dataDir: dir });
    await first.db.insertInto('organisations').values({ id: 'org_a', name: 'A', slug: 'a' }).execute();
    await first.close();

    const second = await openStore({ dataDir: dir });
    const rows = await second.db.selectFrom('organisations').select(['id', 'slug']).execute();
    expect(rows).toEqual([{ id: 'org_a', slug: 'a' }]);
    await second.close();
  });
});

describe.skipIf(!(await serviceAvailable('postgres')))('PostgreSQL store (DATABASE_URL)', () => {
  const schema = `insight_store_test_${process.pid}`;
  afterAll(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  it('runs the same migrations on a real PostgreSQL, idempotently', async () => {
    const store = await openStore({ databaseUrl: POSTGRES_URL, dataDir: 'unused', schema });
    await store.db.insertInto('organisations').values({ id: 'org_pg', name: 'PG', slug: 'pg' }).execute();
    await store.close();

    // A second start (or a second instance) migrates nothing and loses nothing.
    const again = await openStore({ databaseUrl: POSTGRES_URL, dataDir: 'unused', schema });
    expect(await again.db.selectFrom('organisations').select('slug').execute()).toEqual([{ slug: 'pg' }]);
    await again.close();

    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    const { rows } = await client.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = $1 and table_name not like 'kysely_%' order by 1`,
      [schema],
    );
    await client.end();
    expect(rows.map((r) => r.table_name)).toEqual(TABLES);
  });

  it('serves the embed API with the store on PostgreSQL', async () => {
    const { createTestServer } = await import('../testing/test-services.ts');
    const server = await createTestServer({ databaseUrl: POSTGRES_URL }, { storeSchema: `${schema}_app` });
    try {
      const res = await server.app.request('/api/embed/story', { headers: { authorization: `Bearer ${await server.token()}` } });
      expect(res.status).toBe(200);
      expect((await res.json()).slug).toBe('retail-overview');
    } finally {
      await server.close();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema}_app cascade`);
      await client.end();
    }
  });
});
