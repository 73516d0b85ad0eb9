/**
 * Two server processes sharing one PostgreSQL platform store and one Redis,
 * behind a round-robin "load balancer" in the test, as README § Running
 * several instances describes: a token minted by one works on the other, a
 * result cached by one is a hit on the other, and identical concurrent cold
 * requests spread over both run one statement (counted by PostgreSQL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, REDIS_URL, serviceAvailable } from '../testing/services.ts';
import { freePort } from '../testing/tcp-proxy.ts';

const ready = (await serviceAvailable('postgres')) && (await serviceAvailable('redis'));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
const STORE_DB = `insight_two_${suffix}`;
const TABLE = `two_orders_${suffix}`;
const ADMIN_KEY = `ik_two_instances_${randomBytes(12).toString('hex')}`;

interface Instance {
  url: string;
  child: ChildProcess;
  output: string[];
}

async function startInstance(storeUrl: string, dataDir: string): Promise<Instance> {
  const port = await freePort();
  const output: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: storeUrl,
      REDIS_URL,
      INSIGHT_DATA_DIR: dataDir,
      INSIGHT_DEMO: '0',
      INSIGHT_CONNECTION_HOSTS: '127.0.0.1',
      INSIGHT_SECRET_KEY: 'two-instances-shared-secret-key',
      INSIGHT_ADMIN_API_KEY: ADMIN_KEY,
      INSIGHT_EMBED_SECRET: 'two-instances-embed-secret-0123456789abcdef',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`instance exited: ${output.join('')}`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) return { url, child, output };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`instance did not become ready: ${output.join('')}`);
}

describe.skipIf(!ready)('two instances behind a round-robin balancer', () => {
  let owner: pg.Client;
  const instances: Instance[] = [];
  const dataDirs: string[] = [];
  let turn = 0;
  let cardId: string;

  /** The balancer: every call goes to the next instance. */
  const balanced = (pathname: string, init: RequestInit = {}) => fetch(`${instances[turn++ % instances.length]!.url}${pathname}`, init);
  const on = (i: number, pathname: string, init: RequestInit = {}) => fetch(`${instances[i]!.url}${pathname}`, init);
  const admin = (method: string, body?: unknown) => ({
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const cardRequest = (token: string, filters: Record<string, unknown>) => ({
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ filters }),
  });

  /** Statements both processes ran on customer databases, from their Prometheus metrics. */
  async function statementsRun(): Promise<number> {
    let total = 0;
    for (let i = 0; i < instances.length; i++) {
      const text = await (await on(i, '/metrics')).text();
      for (const line of text.split('\n')) {
        if (line.startsWith('insight_query_duration_seconds_count')) total += Number(line.split(' ').at(-1));
      }
    }
    return total;
  }


  beforeAll(async () => {
    owner = new pg.Client({ connectionString: POSTGRES_URL });
    await owner.connect();
    await owner.query(`CREATE DATABASE ${STORE_DB}`);
    await owner.query(`CREATE TABLE ${TABLE} (id integer NOT NULL, tenant_id integer NOT NULL, region text NOT NULL, amount numeric(10, 2) NOT NULL)`);
    await owner.query(`INSERT INTO ${TABLE} SELECT g, 1 + g % 3, (array['North','South','East','West'])[1 + g % 4], (g % 500) / 4.0 FROM generate_series(1, 5000) AS g`);
    // A 300 ms sleep per statement, so a burst arrives while the first statement still runs. The
    // sleep lives in a view of the warehouse: the SQL guard refuses pg_sleep in dataset SQL.
    await owner.query(`CREATE VIEW ${TABLE}_slow AS SELECT * FROM ${TABLE} WHERE (SELECT 1 FROM pg_sleep(0.3)) = 1`);
    const storeUrl = POSTGRES_URL.replace(/\/[^/]*$/, `/${STORE_DB}`);
    // One after the other, as a rolling deploy would: the first migrates the store, the second finds it migrated.
    for (let i = 0; i < 2; i++) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'insight-two-'));
      dataDirs.push(dir);
      instances.push(await startInstance(storeUrl, dir));
    }

    const connection = await (await balanced('/api/connections', admin('POST', { name: 'two', type: 'postgres', url: POSTGRES_URL }))).json();
    const dataset = await balanced(
      '/api/datasets',
      admin('POST', {
        name: 'two_orders',
        label: 'Orders',
        connectionId: connection.id,
        sql: `select * from ${TABLE}_slow`,
        rowPolicy: 'tenant_id = {{tenant_id}}',
        columns: [
          { name: 'id', type: 'number', role: 'dimension' },
          { name: 'tenant_id', type: 'number', role: 'dimension' },
          { name: 'region', type: 'string', role: 'dimension' },
          { name: 'amount', type: 'number', role: 'measure' },
        ],
      }),
    );
    expect(dataset.status, await dataset.clone().text()).toBe(201);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(
      instances.map(
        (i) =>
          new Promise<void>((resolve) => {
            if (i.child.exitCode !== null) return resolve();
            i.child.once('exit', () => resolve());
            i.child.kill('SIGTERM');
            setTimeout(() => i.child.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    if (owner) {
      await owner.query(`DROP TABLE IF EXISTS ${TABLE} CASCADE`);
      await owner.query(`DROP DATABASE IF EXISTS ${STORE_DB} WITH (FORCE)`);
      await owner.end();
    }
  });

  it('shares authored content, tokens, cached results and single-flight', async () => {
    // A story written through one instance...
    const slug = `two-${suffix.replace(/_/g, '-')}`;
    const story = {
      slug,
      title: 'Two instances',
      status: 'published',
      filters: [{ name: 'region', label: 'Region', type: 'select', dataset: 'two_orders', column: 'region' }],
      pages: [{ key: 'p', title: 'P', cards: [{ key: 'by-region', type: 'table', title: 'By region', query: { dataset: 'two_orders', dimensions: [{ column: 'region' }], measures: [{ agg: 'sum', column: 'amount', as: 'revenue' }] } }] }],
    };
    const imported = await on(0, '/api/stories/import', admin('POST', story));
    expect(imported.status, await imported.clone().text()).toBeLessThan(300);

    // ...a token minted by instance 0...
    const minted = await on(0, '/api/embed/tokens', admin('POST', { story: slug, params: { tenant_id: 2 } }));
    expect(minted.status).toBe(200);
    const { token } = (await minted.json()) as { token: string };

    // ...reads the story on instance 1.
    const view = await on(1, '/api/embed/story', { headers: { authorization: `Bearer ${token}` } });
    expect(view.status).toBe(200);
    cardId = ((await view.json()) as { pages: Array<{ cards: Array<{ id: string }> }> }).pages[0]!.cards[0]!.id;

    // A result computed by instance 0 is a cache hit on instance 1.
    const first = await (await on(0, `/api/embed/cards/${cardId}/data`, cardRequest(token, { region: 'North' }))).json();
    const second = await (await on(1, `/api/embed/cards/${cardId}/data`, cardRequest(token, { region: 'North' }))).json();
    expect(first.fromCache).toBe(false);
    expect(second.fromCache).toBe(true);
    expect(second.rows).toEqual(first.rows);
    const truth = await owner.query(`select sum(amount)::float8 as v from ${TABLE} where tenant_id = 2 and region = 'North'`);
    expect(Number(first.rows[0][1])).toBeCloseTo(Number(truth.rows[0].v), 2);

    // 60 identical concurrent cold requests through the balancer: one statement in the database,
    // counted by each process at its connector (insight_query_duration_seconds_count). PostgreSQL's own
    // scan counter lags here by up to 10 s (an idle backend publishes late), so the in-process test
    // (server/query/single-flight.test.ts) is the one that counts in the database.
    const before = await statementsRun();
    const burst = await Promise.all(Array.from({ length: 60 }, () => balanced(`/api/embed/cards/${cardId}/data`, cardRequest(token, { region: 'East' })).then((r) => r.json())));
    expect(new Set(burst.map((b) => JSON.stringify(b.rows))).size).toBe(1);
    const statements = (await statementsRun()) - before;
    console.log(`[two-instances] 60 concurrent cold requests over 2 processes → ${statements} statement(s) run`);
    expect(statements).toBe(1);
  }, 120_000);
});
