/**
 * Row isolation under concurrency: many tenants' tokens hit the same cards
 * with the same filter values at the same time, on PostgreSQL and MariaDB,
 * cold and cached, through two instances sharing Redis. Every response is
 * checked against that tenant's own rows, computed with plain SQL by the
 * database owner. A cache key that forgot the tenant, a pooled session that
 * kept another request's state, or a single-flight that handed one tenant's
 * flight to another would all show up as a wrong total here.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signEmbedToken } from '@insight-engine/sdk/node';
import { adminClient, TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { MYSQL_URL, POSTGRES_URL, REDIS_URL, serviceAvailable } from '../testing/services.ts';
import { createTestServer, TEST_EMBED_SECRET, type TestServer } from '../testing/test-services.ts';

const postgres = await serviceAvailable('postgres');
const mariadb = await serviceAvailable('mysql');
const redis = await serviceAvailable('redis');

const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
const TABLE = `iso_orders_${suffix}`;
const STORE_SCHEMA = `iso_store_${suffix}`;
const TENANTS = [1, 2, 3, 4, 5, 6, 7];
const REGIONS = ['North', 'South', 'East', 'West'];
const ROWS = 6000;

/** Deterministic rows: tenant, region and amount all vary with the id, unevenly. */
const rowSql = (g: string) => `${g}, 1 + (${g} * 7919) % 7, (array['North','South','East','West'])[1 + (${g} * 31) % 4], ((${g} * 37) % 1000) / 4.0`;

type Expected = Map<string, Array<[string, number, number]>>;

describe.skipIf(!postgres || !redis)('row isolation under concurrency', () => {
  let owner: pg.Client;
  let maria: mysql.Connection | undefined;
  const servers: TestServer[] = [];
  const cards: Record<'pg' | 'maria', string> = { pg: '', maria: '' };
  const storySlug = `isolation-${suffix.replace(/_/g, '-')}`;
  const expected: Record<'pg' | 'maria', Expected> = { pg: new Map(), maria: new Map() };

  const keyOf = (tenant: number, region: string | null) => `${tenant}:${region ?? '*'}`;

  async function truth(kind: 'pg' | 'maria', tenant: number, region: string | null): Promise<Array<[string, number, number]>> {
    const where = region ? `tenant_id = ${tenant} and region = '${region}'` : `tenant_id = ${tenant}`;
    const sql = `select region, sum(amount) as revenue, count(*) as orders from ${TABLE} where ${where} group by region order by region`;
    const rows = kind === 'pg' ? (await owner.query(sql)).rows : ((await maria!.query(sql))[0] as Array<Record<string, unknown>>);
    return rows.map((r) => [String(r['region']), Number(r['revenue']), Number(r['orders'])]);
  }

  beforeAll(async () => {
    owner = new pg.Client({ connectionString: POSTGRES_URL });
    await owner.connect();
    await owner.query(`CREATE TABLE ${TABLE} (id integer NOT NULL, tenant_id integer NOT NULL, region text NOT NULL, amount numeric(10, 2) NOT NULL)`);
    await owner.query(`INSERT INTO ${TABLE} SELECT ${rowSql('g')} FROM generate_series(1, ${ROWS}) AS g`);
    if (mariadb) {
      maria = await mysql.createConnection(MYSQL_URL);
      await maria.query(`CREATE TABLE ${TABLE} (id integer NOT NULL, tenant_id integer NOT NULL, region varchar(20) NOT NULL, amount decimal(10, 2) NOT NULL)`);
      const { rows } = await owner.query(`SELECT * FROM ${TABLE} ORDER BY id`);
      for (let i = 0; i < rows.length; i += 1000) {
        await maria.query(`INSERT INTO ${TABLE} VALUES ?`, [rows.slice(i, i + 1000).map((r) => [r.id, r.tenant_id, r.region, r.amount])]);
      }
    }

    const shared = { demo: false, databaseUrl: POSTGRES_URL, redisUrl: REDIS_URL };
    servers.push(await createTestServer(shared, { storeSchema: STORE_SCHEMA }));
    servers.push(await createTestServer(shared, { storeSchema: STORE_SCHEMA }));

    const api = adminClient(servers[0]!.app, TEST_ADMIN_KEY);
    const columns = [
      { name: 'id', type: 'number', role: 'dimension' },
      { name: 'tenant_id', type: 'number', role: 'dimension' },
      { name: 'region', type: 'string', role: 'dimension' },
      { name: 'amount', type: 'number', role: 'measure' },
    ];
    const datasetOn = async (name: string, type: 'postgres' | 'mysql', url: string) => {
      const connection = await api('POST', '/api/connections', { name: `iso-${name}`, type, url });
      expect(connection.status, JSON.stringify(connection.json)).toBe(201);
      const dataset = await api('POST', '/api/datasets', { name, label: name, connectionId: connection.json.id, table: TABLE, rowPolicy: 'tenant_id = {{tenant_id}}', columns });
      expect(dataset.status, JSON.stringify(dataset.json)).toBe(201);
    };
    await datasetOn('iso_pg', 'postgres', POSTGRES_URL);
    if (maria) await datasetOn('iso_maria', 'mysql', MYSQL_URL);

    const card = (key: string, dataset: string) => ({
      key,
      type: 'table',
      title: key,
      query: { dataset, dimensions: [{ column: 'region' }], measures: [{ agg: 'sum', column: 'amount', as: 'revenue' }, { agg: 'count', as: 'orders' }], sort: [{ field: 'region' }] },
    });
    const { id } = await servers[0]!.services.stories.importStory(servers[0]!.services.defaultOrgId, {
      slug: storySlug,
      title: 'Isolation',
      status: 'published',
      filters: [
        { name: 'region', label: 'Region', type: 'select', dataset: 'iso_pg', column: 'region', options: { cards: ['pg'] } },
        ...(maria ? [{ name: 'region_m', label: 'Region', type: 'select', dataset: 'iso_maria', column: 'region', options: { cards: ['maria'] } }] : []),
      ],
      pages: [{ key: 'p', title: 'P', cards: [card('pg', 'iso_pg'), ...(maria ? [card('maria', 'iso_maria')] : [])] }],
    });
    const story = await servers[0]!.services.stories.load(servers[0]!.services.defaultOrgId, id);
    for (const c of story.pages[0]!.cards) cards[c.key as 'pg' | 'maria'] = c.id;

    for (const kind of maria ? (['pg', 'maria'] as const) : (['pg'] as const)) {
      for (const tenant of TENANTS) {
        for (const region of [null, ...REGIONS]) expected[kind].set(keyOf(tenant, region), await truth(kind, tenant, region));
      }
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    if (maria) {
      await maria.query(`DROP TABLE IF EXISTS ${TABLE}`);
      await maria.end();
    }
    if (owner) {
      await owner.query(`DROP TABLE IF EXISTS ${TABLE}`);
      await owner.query(`DROP SCHEMA IF EXISTS ${STORE_SCHEMA} CASCADE`);
      await owner.end();
    }
  });

  /** `count` concurrent requests over random tenants, regions and cards, round-robin over both instances. */
  async function storm(count: number, seed: number) {
    const tokens = new Map(await Promise.all(TENANTS.map(async (t) => [t, await signEmbedToken({ secret: TEST_EMBED_SECRET, story: storySlug, params: { tenant_id: t } })] as const)));
    let state = seed;
    const next = (n: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % n;
    };
    const kinds = maria ? (['pg', 'maria'] as const) : (['pg'] as const);
    const plan = Array.from({ length: count }, (_, i) => ({
      tenant: TENANTS[next(TENANTS.length)]!,
      region: [null, ...REGIONS][next(REGIONS.length + 1)] ?? null,
      kind: kinds[next(kinds.length)]!,
      server: servers[i % servers.length]!,
    }));
    const results = await Promise.all(
      plan.map(async (p) => {
        const filterName = p.kind === 'pg' ? 'region' : 'region_m';
        const res = await p.server.app.request(`/api/embed/cards/${cards[p.kind]}/data`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.get(p.tenant)}`, 'content-type': 'application/json' },
          body: JSON.stringify({ filters: { [filterName]: p.region } }),
        });
        const body = (await res.json()) as { rows: Array<[string, number, number]>; fromCache: boolean };
        return { ...p, status: res.status, body };
      }),
    );
    let wrong = 0;
    for (const r of results) {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const want = expected[r.kind].get(keyOf(r.tenant, r.region))!;
      const got = r.body.rows.map(([region, revenue, orders]) => [region, Number(revenue), Number(orders)]);
      const same = got.length === want.length && got.every((row, i) => row[0] === want[i]![0] && Math.abs((row[1] as number) - want[i]![1]) < 0.005 && row[2] === want[i]![2]);
      if (!same) wrong++;
    }
    return { wrong, cached: results.filter((r) => r.body.fromCache).length, total: results.length };
  }

  it('gives every one of 600 concurrent cold and cached requests its own tenant rows', async () => {
    const cold = await storm(300, 7);
    const warm = await storm(300, 11);
    console.log(`[isolation] ${cold.total + warm.total} requests, 7 tenants, ${maria ? 'PostgreSQL + MariaDB' : 'PostgreSQL'}, 2 instances: wrong ${cold.wrong + warm.wrong}, from cache ${cold.cached + warm.cached}`);
    expect(cold.wrong + warm.wrong).toBe(0);
    // The second storm must have been served (mostly) from the shared cache, or it proved nothing about cache keys.
    expect(warm.cached).toBeGreaterThan(200);
  }, 120_000);

  it('keeps tenants apart when the same filter value arrives for all of them at once', async () => {
    const tokens = await Promise.all(TENANTS.map((t) => signEmbedToken({ secret: TEST_EMBED_SECRET, story: storySlug, params: { tenant_id: t } })));
    const region = 'East';
    // A fresh filter combination per run: a region list that no earlier test asked for, so this starts cold.
    const responses = await Promise.all(
      Array.from({ length: 140 }, async (_, i) => {
        const tenant = TENANTS[i % TENANTS.length]!;
        const res = await servers[i % 2]!.app.request(`/api/embed/cards/${cards.pg}/data`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens[i % TENANTS.length]}`, 'content-type': 'application/json' },
          body: JSON.stringify({ filters: { region } }),
        });
        return { tenant, body: (await res.json()) as { rows: Array<[string, number, number]> } };
      }),
    );
    for (const r of responses) {
      const want = expected.pg.get(keyOf(r.tenant, region))!;
      expect(r.body.rows.map(([g, v, n]) => [g, Number(Number(v).toFixed(2)), Number(n)])).toEqual(want.map(([g, v, n]) => [g, Number(v.toFixed(2)), n]));
    }
  }, 60_000);
});
