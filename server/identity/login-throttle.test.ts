import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/open-store.ts';
import { createLoginThrottle } from './login-throttle.ts';

let store: Store;
let clock = Date.parse('2025-01-01T00:00:00Z');
beforeAll(async () => {
  store = await openStore({ dataDir: 'memory://' });
});
afterAll(async () => {
  await store?.close();
});

describe('login throttle', () => {
  it('locks after five failures for fifteen minutes, then starts a fresh count', async () => {
    const throttle = createLoginThrottle(store.db, { now: () => clock });
    for (let i = 0; i < 4; i++) expect(await throttle.fail('a@x.test', '1.1.1.1')).toBe(0);
    expect(await throttle.lockedFor('a@x.test', '1.1.1.1')).toBe(0);
    expect(await throttle.fail('a@x.test', '1.1.1.1')).toBe(900);
    expect(await throttle.lockedFor('a@x.test', '1.1.1.1')).toBe(900);
    expect(await throttle.lockedFor('a@x.test', '2.2.2.2')).toBe(0);

    clock += 14 * 60_000;
    expect(await throttle.lockedFor('a@x.test', '1.1.1.1')).toBe(60);
    clock += 60_001;
    expect(await throttle.lockedFor('a@x.test', '1.1.1.1')).toBe(0);
    // One failure after the lock is the first of a new count, not the sixth.
    expect(await throttle.fail('a@x.test', '1.1.1.1')).toBe(0);
    expect(await throttle.lockedFor('a@x.test', '1.1.1.1')).toBe(0);
  });

  it('forgets failures older than the window, and clears on success', async () => {
    const throttle = createLoginThrottle(store.db, { now: () => clock });
    for (let i = 0; i < 4; i++) await throttle.fail('b@x.test', 'ip');
    clock += 16 * 60_000;
    expect(await throttle.fail('b@x.test', 'ip')).toBe(0);
    for (let i = 0; i < 3; i++) await throttle.fail('b@x.test', 'ip');
    await throttle.succeed('b@x.test', 'ip');
    expect(await throttle.fail('b@x.test', 'ip')).toBe(0);
  });

  it('stores neither the email nor the address in clear', async () => {
    const rows = await store.db.selectFrom('login_attempts').select('key').execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toMatch(/x\.test|1\.1\.1\.1/);
  });
});
