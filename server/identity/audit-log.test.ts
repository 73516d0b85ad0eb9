import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/open-store.ts';
import { createAuditLog, REDACTED, summarise } from './audit-log.ts';

let store: Store;
beforeAll(async () => {
  store = await openStore({ dataDir: 'memory://' });
  await store.db.insertInto('organisations').values({ id: 'org_a', name: 'A', slug: 'a' }).execute();
});
afterAll(async () => {
  await store?.close();
});

describe('summarise', () => {
  it('redacts every secret-looking field at any depth', () => {
    const out = summarise({
      name: 'n',
      password: 'p1',
      key: 'ik_1',
      apiKey: 'ik_2',
      secret: 's',
      refreshToken: 'rt',
      accessToken: 'at',
      nested: { passwordHash: 'h', config: { clientSecret: 'cs', host: 'db' } },
      keyId: 'k_1',
      kid: 'default',
    });
    expect(out).toEqual({
      name: 'n',
      password: REDACTED,
      key: REDACTED,
      apiKey: REDACTED,
      secret: REDACTED,
      refreshToken: REDACTED,
      accessToken: REDACTED,
      nested: { passwordHash: REDACTED, config: { clientSecret: REDACTED, host: 'db' } },
      keyId: 'k_1',
      kid: 'default',
    });
  });

  it('keeps result rows out and bounds arrays and strings', () => {
    expect(summarise({ rows: [[1], [2]], rowCount: 2 })).toEqual({ rows: '[2 rows]', rowCount: 2 });
    const long = summarise({ list: Array.from({ length: 30 }, (_, i) => i), text: 'x'.repeat(500) }) as { list: unknown[]; text: string };
    expect(long.list).toHaveLength(21);
    expect(long.text.length).toBeLessThan(210);
  });
});

describe('audit log', () => {
  it('records an entry with a dedupe key once', async () => {
    const audit = createAuditLog(store.db);
    const entry = { orgId: 'org_a', actor: { type: 'embed' as const, id: 'host-user' }, action: 'embed.token.first_use', dedupeKey: 'embed-token:jti:org_a:1' };
    await audit.record(entry);
    await audit.record(entry);
    await audit.record({ ...entry, dedupeKey: 'embed-token:jti:org_a:2' });
    const page = await audit.list('org_a', { action: 'embed.token.first_use', limit: 10 });
    expect(page.items).toHaveLength(2);
  });

  it('matches an action prefix literally', async () => {
    const audit = createAuditLog(store.db);
    await audit.record({ orgId: 'org_a', actor: { type: 'user', id: 'u' }, action: 'auth.login' });
    await audit.record({ orgId: 'org_a', actor: { type: 'user', id: 'u' }, action: 'authXlogin' });
    expect((await audit.list('org_a', { action: 'auth.*', limit: 10 })).items.map((e) => e.action)).toEqual(['auth.login']);
    expect((await audit.list('org_a', { action: 'auth_*', limit: 10 })).items).toEqual([]);
  });
});
