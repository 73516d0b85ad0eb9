/**
 * An organisation picks the host and port of its connections, so the server
 * must not become its way into the server's own network (SSRF). Every target
 * here is on loopback or refused before any socket opens: no test sends a
 * packet anywhere else.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../app.ts';
import { createConnectionRegistry, type ConnectionSettings } from '../../connectors/connection-registry.ts';
import { createHostPolicy, type HostLookup } from '../../connectors/host-policy.ts';
import { adminClient, TEST_ADMIN_KEY } from '../../testing/admin-fixtures.ts';
import { MYSQL_URL, POSTGRES_URL, serviceAvailable } from '../../testing/services.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

const available = (await serviceAvailable('postgres')) && (await serviceAvailable('mysql'));

/** Address literals of this machine and of the metadata service, in every spelling the OS accepts. */
const REFUSED_HOSTS = [
  '127.0.0.1',
  '127.0.0.2',
  '2130706433', // decimal
  '0x7f000001', // hex
  '017700000001', // octal
  '0177.0.0.1',
  '0x7f.0.0.1',
  '127.1', // short forms
  '0x7f.1',
  '0',
  '0.0.0.0',
  '::1',
  '[::1]',
  '::ffff:127.0.0.1', // IPv4-mapped IPv6
  '::ffff:7f00:1',
  '[::ffff:7f00:1]',
  '169.254.169.254', // metadata
  '2852039166',
  '0xa9fea9fe',
  '::ffff:a9fe:a9fe',
  'fd00:ec2::254',
  '10.0.0.1',
  '172.16.0.1',
  '192.168.1.1',
  'fe80::1',
  'metadata.google.internal', // metadata names
  'metadata',
  'localhost', // names resolving to this machine
];

/** Fields for a connection to `host`; IPv6 literals go in brackets inside URLs. */
const urlHost = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

describe.skipIf(!available)('connection hosts pass the host policy before any socket opens', () => {
  let strict: TestServer;
  let api: ReturnType<typeof adminClient>;

  /** A connection row written straight into the store, as if an operator had narrowed the allowlist since. */
  async function storedConnection(server: TestServer, settings: ConnectionSettings): Promise<string> {
    const id = `c_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    await server.services.store.db
      .insertInto('connections')
      .values({ id, org_id: server.services.defaultOrgId, name: id, type: settings.type, config_sealed: server.services.box.seal(JSON.stringify(settings)) })
      .execute();
    return id;
  }

  beforeAll(async () => {
    // The production default: public hosts only.
    strict = await createTestServer({ demo: false, connectionHosts: [] });
    api = adminClient(strict.app, TEST_ADMIN_KEY);
  });

  afterAll(async () => {
    await strict?.close();
    // Only there when a regression let an embedded database escape.
    for (const dir of [path.join(os.tmpdir(), `insight-ssrf-escape-${process.pid}`), path.join(os.tmpdir(), `insight-ssrf-escape-${process.pid}-absolute`)]) {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(REFUSED_HOSTS)('refuses to create a connection to %s, as fields and as a URL', async (host) => {
    const fields = await api('POST', '/api/connections', { name: `f-${host}`, type: 'postgres', host: host.replace(/^\[|\]$/g, ''), port: 5432, database: 'test', user: 'postgres' });
    expect(fields.status).toBe(403);
    expect(fields.json.code).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
    const url = await api('POST', '/api/connections', { name: `u-${host}`, type: 'mysql', url: `mysql://root@${urlHost(host)}:3306/test` });
    expect(url.json.code).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
  });

  it('stored nothing for the refused hosts', async () => {
    expect((await api('GET', '/api/connections')).json.items).toEqual([]);
  });

  it('refuses to move a connection to a refused host, on any port, and keeps the old settings', async () => {
    // A public name that does not resolve here can be stored; it is checked again before any connection.
    const created = await api('POST', '/api/connections', { name: 'public', type: 'postgres', url: 'postgres://reader@db.example.com:5432/shop' });
    expect(created.status).toBe(201);
    for (const [host, port] of [['169.254.169.254', 80], ['127.0.0.1', 6379], ['metadata.google.internal', 80], ['::ffff:7f00:1', 22]] as const) {
      const patched = await api('PATCH', `/api/connections/${created.json.id}`, { host, port });
      expect(patched.json.code).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
    }
    const moved = await api('PATCH', `/api/connections/${created.json.id}`, { url: 'postgres://reader@[::ffff:127.0.0.1]:5432/shop' });
    expect(moved.json.code).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
    expect((await api('GET', `/api/connections/${created.json.id}`)).json).toMatchObject({ host: 'db.example.com', port: 5432 });
    expect((await api('DELETE', `/api/connections/${created.json.id}`)).status).toBe(204);
  });

  it('checks stored settings again when a pool opens: test, schema and queries cannot reach a refused host', async () => {
    const pg = new URL(POSTGRES_URL);
    const id = await storedConnection(strict, { type: 'postgres', host: pg.hostname, port: Number(pg.port), database: pg.pathname.slice(1), user: pg.username });
    expect((await api('POST', `/api/connections/${id}/test`)).json.code).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
    expect((await api('GET', `/api/connections/${id}/schema?refresh=1`)).json.code).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
    const viaName = await storedConnection(strict, { type: 'mysql', host: 'localhost', port: 3306, database: 'test', user: 'root' });
    expect((await api('POST', `/api/connections/${viaName}/test`)).json.code).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
  });

  it('keeps an embedded database inside its organisation folder', async () => {
    // Escapes that stay under the temporary folder, so that a regression cannot write a database anywhere that matters.
    const escape = `insight-ssrf-escape-${process.pid}`;
    const absolute = path.join(os.tmpdir(), `${escape}-absolute`);
    const dataDir = strict.services.config.dataDir;
    for (const stored of [`../${escape}`, absolute, 'warehouses/org_other/c_1', 'warehouses/org_default/../org_other/c_2', 'demo-warehouse/../escape']) {
      const id = await storedConnection(strict, { type: 'pglite', path: stored });
      expect((await api('POST', `/api/connections/${id}/test`)).json.code).toBe('ERR_CONNECTION_HOST_NOT_ALLOWED');
    }
    for (const dir of [path.resolve(dataDir, '..', escape), absolute, path.join(dataDir, 'warehouses/org_other'), path.join(dataDir, 'escape')]) {
      expect(existsSync(dir)).toBe(false);
    }
  });

  it('gives an organisation no way to point the model client elsewhere: no base URL in its settings', async () => {
    // Redirects and base URLs of the model client are the operator's (OPENAI_BASE_URL), never an organisation's.
    const res = await api('PUT', '/api/config', { ai: { baseUrl: 'http://169.254.169.254/latest/' } });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('ERR_VALIDATION');
  });
});

describe.skipIf(!available)('pinning: the driver connects to the address the policy checked', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await createTestServer({ demo: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A registry over the server's store whose policy asks a scripted resolver; counts the lookups. */
  function registryWith(answers: string[][]) {
    const calls: string[] = [];
    const lookup: HostLookup = async (host) => {
      const list = answers[Math.min(calls.length, answers.length - 1)]!;
      calls.push(host);
      return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    const registry = createConnectionRegistry(server.services.store.db, server.services.box, { dataDir: server.services.config.dataDir, hostPolicy: createHostPolicy({ allow: ['127.0.0.1'], lookup }) });
    return { registry, calls };
  }

  it('reaches the database through a name no real resolver knows, so the checked address is what the driver used', async () => {
    const pg = new URL(POSTGRES_URL);
    // Stored through the API: the name does not resolve here, which the policy lets be stored.
    const api = adminClient(server.app, TEST_ADMIN_KEY);
    const created = await api('POST', '/api/connections', { name: 'pinned', type: 'postgres', host: 'warehouse.pinned.test', port: Number(pg.port), database: pg.pathname.slice(1), user: pg.username });
    expect(created.status).toBe(201);
    const { registry, calls } = registryWith([['127.0.0.1']]);
    try {
      const connector = await registry.get(server.services.defaultOrgId, created.json.id);
      await connector.test();
      await connector.test();
      expect(calls).toEqual(['warehouse.pinned.test']);
    } finally {
      await registry.closeAll();
    }
  });

  it('refuses a name whose next answer is a refused address (rebinding)', async () => {
    const my = new URL(MYSQL_URL);
    const api = adminClient(server.app, TEST_ADMIN_KEY);
    const created = await api('POST', '/api/connections', { name: 'rebinding', type: 'mysql', host: 'rebind.pinned.test', port: Number(my.port), database: my.pathname.slice(1), user: my.username });
    const { registry } = registryWith([['169.254.169.254']]);
    try {
      await expect(registry.get(server.services.defaultOrgId, created.json.id)).rejects.toMatchObject({ code: 'ERR_CONNECTION_HOST_NOT_ALLOWED' });
    } finally {
      await registry.closeAll();
    }
  });
});

describe.skipIf(!available)('one answer for every way a connection can fail', () => {
  let server: TestServer;
  let app: ReturnType<typeof createApp>;
  const logged: Record<string, unknown>[] = [];
  const sockets = new Set<net.Socket>();
  let garbage: net.Server;
  let hangUp: net.Server;
  let closedPort: number;

  const listen = (onSocket: (socket: net.Socket) => void) =>
    new Promise<net.Server>((resolve) => {
      const s = net.createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => {});
        onSocket(socket);
      });
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
  const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

  beforeAll(async () => {
    server = await createTestServer({ demo: false });
    app = createApp(server.services, { log: (line) => logged.push(line) });
    // An open port that is no database: it answers bytes of nonsense, then hangs up.
    garbage = await listen((socket) => socket.end(Buffer.from('SSH-2.0-OpenSSH_9.6\r\n\x00\xff\x13garbage\r\n')));
    hangUp = await listen((socket) => socket.destroy());
    const closed = await listen(() => {});
    closedPort = portOf(closed);
    await new Promise((resolve) => closed.close(resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all([garbage, hangUp].map((s) => s && new Promise((resolve) => s.close(resolve))));
    await server?.close();
  });

  /** The problem body of a connection test, without the request id. */
  async function testAnswer(type: 'postgres' | 'mysql', port: number, password?: string) {
    const api = adminClient(app, TEST_ADMIN_KEY);
    const url = new URL(type === 'postgres' ? POSTGRES_URL : MYSQL_URL);
    const created = await api('POST', '/api/connections', {
      name: `${type}-${port}-${randomUUID().slice(0, 8)}`,
      type,
      host: '127.0.0.1',
      port,
      database: url.pathname.slice(1),
      user: url.username,
      ...(password ? { password } : {}),
    });
    expect(created.status).toBe(201);
    const res = await api('POST', `/api/connections/${created.json.id}/test`);
    const { requestId: _id, ...body } = res.json;
    expect(res.text).not.toMatch(/ECONN|reason|errno|garbage|SSH/i);
    return { status: res.status, body };
  }

  it.each(['postgres', 'mysql'] as const)('%s: a closed port, an open port that is no database and one that hangs up answer alike', async (type) => {
    const closed = await testAnswer(type, closedPort);
    const open = await testAnswer(type, portOf(garbage));
    const hungUp = await testAnswer(type, portOf(hangUp));
    expect(closed.status).toBe(503);
    expect(closed.body).toMatchObject({ code: 'ERR_DATABASE_UNAVAILABLE', detail: 'could not connect' });
    expect(open).toEqual(closed);
    expect(hungUp).toEqual(closed);
  });

  it('answers the same for a real database that refuses the login', async () => {
    const closed = await testAnswer('postgres', closedPort);
    const refusedLogin = await testAnswer('mysql', Number(new URL(MYSQL_URL).port), 'not-the-password-123');
    expect(refusedLogin).toEqual(closed);
  });

  it('tells the operator why in the server log', async () => {
    logged.length = 0;
    await testAnswer('postgres', closedPort);
    expect(logged).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'database unreachable', reason: 'ECONNREFUSED' }));
  });
});
