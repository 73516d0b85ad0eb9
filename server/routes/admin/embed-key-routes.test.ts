import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signEmbedToken } from '@insight-engine/sdk/node';
import { adminClient, createOrg, TEST_ADMIN_KEY } from '../../testing/admin-fixtures.ts';
import { createTestServer, TEST_EMBED_SECRET, type TestServer } from '../../testing/test-services.ts';
import { until } from '../../testing/wait.ts';

let server: TestServer;
let api: ReturnType<typeof adminClient>;

/** GET /api/embed/story with a token, as a browser on `origin` would (no Origin: a server-side caller). */
async function story(token: string, origin?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (origin) headers['origin'] = origin;
  const res = await server.app.request('/api/embed/story', { headers });
  const body = (await res.json()) as { code?: string; id?: string };
  return { status: res.status, code: body.code, allowOrigin: res.headers.get('access-control-allow-origin'), vary: res.headers.get('vary') };
}

/** A token signed like a host backend would, with its own `jti`. */
async function hostToken(options: { secret?: string; kid?: string; expiresIn?: number; jti?: string } = {}): Promise<string> {
  const token = await signEmbedToken({
    secret: options.secret ?? TEST_EMBED_SECRET,
    ...(options.kid ? { kid: options.kid } : {}),
    story: 'retail-overview',
    params: { tenant_id: 1 },
    ...(options.expiresIn ? { expiresIn: options.expiresIn } : {}),
  });
  if (!options.jti) return token;
  // Re-sign with a chosen jti (the SDK picks a random one).
  const { SignJWT, decodeJwt } = await import('jose');
  const claims = decodeJwt(token);
  return new SignJWT({ ...claims, jti: options.jti })
    .setProtectedHeader(options.kid ? { alg: 'HS256', kid: options.kid } : { alg: 'HS256' })
    .sign(new TextEncoder().encode(options.secret ?? TEST_EMBED_SECRET));
}

beforeAll(async () => {
  server = await createTestServer();
  api = adminClient(server.app, TEST_ADMIN_KEY);
});
afterAll(async () => {
  await server?.close();
});

describe('/api/embed-keys', () => {
  let kid: string;
  let secret: string;

  it('creates a key whose secret is shown once and sealed at rest', async () => {
    const res = await api('POST', '/api/embed-keys', { name: 'web app', allowedOrigins: ['https://app.example.com'], maxTtlSeconds: 600 });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ name: 'web app', allowedOrigins: ['https://app.example.com'], maxTtlSeconds: 600, revokedAt: null });
    ({ id: kid, secret } = res.json);
    expect(secret.length).toBeGreaterThanOrEqual(40);
    const list = await api('GET', '/api/embed-keys');
    expect(list.json.items.map((k: { id: string }) => k.id)).toEqual(['default', kid]);
    expect(list.text).not.toContain(secret);
    expect((await api('GET', `/api/embed-keys/${kid}`)).text).not.toContain(secret);
    const row = await server.services.store.db.selectFrom('embed_keys').select('secret_sealed').where('id', '=', kid).executeTakeFirstOrThrow();
    expect(row.secret_sealed).not.toContain(secret);
    expect(server.services.box.open(row.secret_sealed)).toBe(secret);
  });

  it('refuses origins with a path and lifetimes past 24 hours', async () => {
    const path = await api('POST', '/api/embed-keys', { name: 'bad', allowedOrigins: ['https://app.example.com/embed'] });
    expect([path.status, path.json.code]).toEqual([400, 'ERR_VALIDATION']);
    const long = await api('POST', '/api/embed-keys', { name: 'bad', maxTtlSeconds: 90_000 });
    expect([long.status, long.json.code]).toEqual([400, 'ERR_VALIDATION']);
  });

  it('verifies tokens signed with the new key by its kid, within its maximum lifetime', async () => {
    expect((await story(await hostToken({ secret, kid }))).status).toBe(200);
    const tooLong = await story(await hostToken({ secret, kid, expiresIn: 3600 }));
    expect([tooLong.status, tooLong.code]).toEqual([401, 'ERR_TOKEN_LIFETIME']);
  });

  it('applies a lower maximum lifetime at once', async () => {
    const token = await hostToken({ secret, kid, expiresIn: 500 });
    expect((await story(token)).status).toBe(200);
    expect((await api('PATCH', `/api/embed-keys/${kid}`, { maxTtlSeconds: 300 })).status).toBe(200);
    expect((await story(token)).code).toBe('ERR_TOKEN_LIFETIME');
    expect((await api('PATCH', `/api/embed-keys/${kid}`, { maxTtlSeconds: 600 })).json.maxTtlSeconds).toBe(600);
  });

  it('allows browser requests only from the key’s origins', async () => {
    const token = await hostToken({ secret, kid });
    const allowed = await story(token, 'https://app.example.com');
    expect(allowed.status).toBe(200);
    const other = await story(token, 'https://evil.example.net');
    expect([other.status, other.code]).toEqual([403, 'ERR_ORIGIN_NOT_ALLOWED']);
    // The default key falls back to the server-wide list ('*' in tests).
    expect((await story(await hostToken(), 'https://evil.example.net')).status).toBe(200);
  });

  it('echoes the origin instead of "*" when the token’s key names its origins', async () => {
    const token = await hostToken({ secret, kid });
    const allowed = await story(token, 'https://app.example.com');
    expect([allowed.status, allowed.allowOrigin]).toEqual([200, 'https://app.example.com']);
    expect(allowed.vary).toMatch(/\bOrigin\b/);
    // Refused, and not readable by the page either; without an Origin there is nothing to allow.
    expect((await story(token, 'https://evil.example.net')).allowOrigin).toBeNull();
    expect((await story(token)).allowOrigin).toBeNull();
    // A key without origins of its own keeps the server-wide '*' (tests run with it).
    expect((await story(await hostToken(), 'https://evil.example.net')).allowOrigin).toBe('*');
  });

  it('answers CORS preflights for any origin some key allows', async () => {
    const preflight = (origin: string) =>
      server.app.request('/api/embed/story', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect((await preflight('https://app.example.com')).headers.get('access-control-allow-origin')).toBeTruthy();
  });

  it('revokes a key at once: its tokens are refused on the next request', async () => {
    const token = await hostToken({ secret, kid });
    expect((await story(token)).status).toBe(200);
    expect((await api('DELETE', `/api/embed-keys/${kid}`)).status).toBe(204);
    const after = await story(token);
    expect([after.status, after.code]).toEqual([401, 'ERR_TOKEN_KEY_UNKNOWN']);
    expect((await api('GET', `/api/embed-keys/${kid}`)).json.revokedAt).not.toBeNull();
    // Tokens of the other key are untouched.
    expect((await story(await hostToken())).status).toBe(200);
  });

  it('stops minting with a revoked key: POST /api/embed/tokens signs with an active one', async () => {
    const minted = await api('POST', '/api/embed/tokens', { story: 'retail-overview', params: { tenant_id: 1 } });
    expect(minted.json.kid).toBe('default');
  });
});

describe('revoking one embed token by jti', () => {
  it('refuses that token at once and no other', async () => {
    const token = await hostToken({ jti: 'order-page-42' });
    const sibling = await hostToken({ jti: 'order-page-43' });
    expect((await story(token)).status).toBe(200);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const res = await api('POST', '/api/embed-keys/revoked-tokens', { jti: 'order-page-42', exp });
    expect(res.status).toBe(201);
    const after = await story(token);
    expect([after.status, after.code]).toEqual([401, 'ERR_TOKEN_REVOKED']);
    expect((await story(sibling)).status).toBe(200);
  });

  it('is scoped to the organisation that revoked it', async () => {
    const other = await createOrg(server.services.store.db, 'jti');
    const otherApi = adminClient(server.app, other.key);
    const token = await hostToken({ jti: 'shared-jti' });
    expect((await otherApi('POST', '/api/embed-keys/revoked-tokens', { jti: 'shared-jti', exp: Math.floor(Date.now() / 1000) + 600 })).status).toBe(201);
    expect((await story(token)).status).toBe(200);
  });
});

describe('audit of embed tokens', () => {
  it('records a token’s first use once, however often it is used', async () => {
    const token = await hostToken({ jti: 'first-use-audit' });
    for (let i = 0; i < 3; i++) expect((await story(token)).status).toBe(200);
    // A reload of the key ring verifies the token afresh; it is still one entry.
    server.services.keys.forget();
    expect((await story(token)).status).toBe(200);
    // The audit entry is written in the background: wait for it, however long a busy machine takes.
    let entries: any[] = [];
    await until(async () => {
      entries = (await api('GET', '/api/audit?action=embed.token.first_use&limit=200')).json.items.filter((e: any) => e.after?.jti === 'first-use-audit');
      return entries.length > 0;
    }, { intervalMs: 100, what: 'first-use audit entry' });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: { type: 'embed', id: 'default' }, resource: { type: 'stories', id: 'retail-overview' }, after: { kid: 'default', params: { tenant_id: 1 } } });
    expect(JSON.stringify(entries[0])).not.toContain(token);
  });

  it('records embed key changes without the secret', async () => {
    const created = await api('POST', '/api/embed-keys', { name: 'audited' });
    const audit = await api('GET', `/api/audit?resource=${created.json.id}`);
    expect(audit.json.items).toHaveLength(1);
    expect(audit.json.items[0]).toMatchObject({ action: 'POST /api/embed-keys', status: 201, after: { id: created.json.id, secret: '[redacted]' } });
    expect(audit.text).not.toContain(created.json.secret);
  });
});
