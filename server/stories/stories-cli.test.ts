/** `scripts/stories.ts` (the `stories` package script), run as a user runs it: a child process. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../store/open-store.ts';
import { TEST_ADMIN_KEY } from '../testing/admin-fixtures.ts';
import { createTestServer, type TestServer } from '../testing/test-services.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

async function stories(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/stories.ts', ...args], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'insight-stories-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stories CLI against the admin API', () => {
  let server: TestServer;
  let http: Server;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await createTestServer();
    http = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: server.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
    });
    const address = http.address();
    env = { INSIGHT_SERVER: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, INSIGHT_ADMIN_API_KEY: TEST_ADMIN_KEY };
  });

  afterAll(async () => {
    await new Promise((resolve) => http?.close(resolve));
    await server?.close();
  });

  it('exports a story to a file and imports it back idempotently, then with a change', async () => {
    const file = path.join(dir, 'retail.json');
    const exported = await stories(['export', 'retail-overview', file], env);
    expect(exported.code, exported.stderr).toBe(0);
    const definition = JSON.parse(readFileSync(file, 'utf8'));
    expect(definition).toMatchObject({ slug: 'retail-overview', status: 'published' });

    const again = await stories(['import', file], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^unchanged: s_\w+ \(published version 1\)/);

    writeFileSync(file, JSON.stringify({ ...definition, title: 'Retail overview, revised' }));
    const changed = await stories(['import', file], env);
    expect(changed.stdout).toMatch(/^updated: s_\w+ \(published version 2\)/);
    const view = await server.services.stories.load(server.services.defaultOrgId, 'retail-overview', { publishedOnly: true });
    expect(view.title).toBe('Retail overview, revised');
  }, 120_000);

  it('fails with the problem code and a non-zero exit', async () => {
    const missing = await stories(['export', 'no-such-story'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no story with the slug');
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ slug: 'bad', title: 'Bad', pages: [] }));
    const invalid = await stories(['import', file], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('ERR_VALIDATION');
    const denied = await stories(['import', file], { ...env, INSIGHT_ADMIN_API_KEY: 'ik_wrong_key_0000000000' });
    expect(denied.stderr).toContain('ERR_UNAUTHENTICATED');
    expect((await stories([], env)).code).toBe(2);
  }, 120_000);
});

describe('stories CLI against the platform store', () => {
  it('imports into and exports from an embedded store, round trip unchanged', async () => {
    const dataDir = path.join(dir, 'data');
    const store = await openStore({ dataDir });
    await store.db.insertInto('organisations').values({ id: 'org_default', name: 'Default', slug: 'default' }).execute();
    await store.close();
    const env = { INSIGHT_DATA_DIR: dataDir };

    const source = path.join(root, 'server/demo-content/retail-overview.story.json');
    const created = await stories(['import', source], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^created: s_\w+ \(published version 1\)/);

    const out = await stories(['export', 'retail-overview'], env);
    expect(out.code, out.stderr).toBe(0);
    const file = path.join(dir, 'store-export.json');
    writeFileSync(file, out.stdout);
    expect((await stories(['import', file], env)).stdout).toMatch(/^unchanged:/);
    expect((await stories(['export', 'retail-overview'], env)).stdout).toBe(out.stdout);
    expect((await stories(['export', 'retail-overview', '--org', 'org_nope'], env)).stderr).toContain('no organisation');
  }, 180_000);
});
