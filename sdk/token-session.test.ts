import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createInsight } from './insight.ts';
import { RETRY_MAX_MS, retryDelayMs, TokenSession } from './token-session.ts';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An unsigned JWT with `exp` seconds from the (fake) now; the session only reads `exp`, the server verifies. */
const tokenExpiringIn = (seconds: number, id = 'x') => `${b64({ alg: 'HS256' })}.${b64({ exp: Math.floor(Date.now() / 1000) + seconds, jti: id })}.sig`;

describe('retryDelayMs', () => {
  it('doubles from one second and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(retryDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, RETRY_MAX_MS, RETRY_MAX_MS]);
  });
});

describe('TokenSession with fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refreshes at refreshDelayMs before expiry and reschedules from the new token', async () => {
    let issued = 0;
    const provider = vi.fn(async () => tokenExpiringIn(600, `t${++issued}`));
    const seen: string[] = [];
    const session = new TokenSession({ token: tokenExpiringIn(600), tokenProvider: provider, onToken: (t) => seen.push(t) });
    await vi.advanceTimersByTimeAsync(480_000 - 1);
    expect(provider).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(provider).toHaveBeenCalledTimes(1);
    expect(session.token).toBe(seen[0]);
    // The new token lives 600 s from this refresh: the next one runs 480 s later.
    await vi.advanceTimersByTimeAsync(480_000 - 1);
    expect(provider).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(provider).toHaveBeenCalledTimes(2);
    session.destroy();
  });

  it('retries a failing provider with backoff and keeps the old token meanwhile', async () => {
    const original = tokenExpiringIn(90);
    const fresh = tokenExpiringIn(600, 'fresh');
    const provider = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Error('host backend down'))
      .mockRejectedValueOnce(new Error('host backend down'))
      .mockResolvedValue(fresh);
    const failures: Array<[number, number]> = [];
    const session = new TokenSession({ token: original, tokenProvider: provider, onRefreshError: (_e, attempt, wait) => failures.push([attempt, wait]) });
    await vi.advanceTimersByTimeAsync(30_000); // 90 s token: first refresh 60 s before expiry
    expect(provider).toHaveBeenCalledTimes(1);
    expect(failures).toEqual([[1, 1_000]]);
    expect(session.token).toBe(original);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(failures).toEqual([[1, 1_000], [2, 2_000]]);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(provider).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(provider).toHaveBeenCalledTimes(3);
    expect(session.token).toBe(fresh);
    expect(session.scheduled).toBe(true);
    session.destroy();
  });

  it('shares one provider call between concurrent refreshes', async () => {
    const provider = vi.fn(async () => tokenExpiringIn(600));
    const session = new TokenSession({ tokenProvider: provider });
    const [a, b] = await Promise.all([session.refresh(), session.current()]);
    expect(a).toBe(b);
    expect(provider).toHaveBeenCalledTimes(1);
    session.destroy();
  });

  it('destroy() clears the refresh timer, and a pending retry', async () => {
    const provider = vi.fn(async () => {
      throw new Error('down');
    });
    const session = new TokenSession({ token: tokenExpiringIn(600), tokenProvider: provider });
    expect(vi.getTimerCount()).toBe(1);
    session.destroy();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(provider).not.toHaveBeenCalled();

    const retrying = new TokenSession({ token: tokenExpiringIn(61), tokenProvider: provider });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(provider).toHaveBeenCalledTimes(1);
    expect(retrying.scheduled).toBe(true);
    retrying.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('without a provider it schedules nothing and setToken takes a host token', () => {
    const session = new TokenSession({ token: tokenExpiringIn(600) });
    expect(vi.getTimerCount()).toBe(0);
    session.setToken(tokenExpiringIn(900, 'next'));
    expect(session.token).toContain('.');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('createInsight with fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('emits typed token events, hands new tokens to its client, and destroy() clears every timer and listener', async () => {
    const provider = vi.fn(async () => tokenExpiringIn(600, 'refreshed'));
    const insight = createInsight({ server: 'https://analytics.example.com/', token: tokenExpiringIn(600), tokenProvider: provider });
    const events: Array<number | undefined> = [];
    const off = insight.on('token', (e) => events.push(e.expiresAt));
    const errors: number[] = [];
    insight.on('token-error', (e) => errors.push(e.attempt));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(480_000);
    expect(events).toEqual([NOW / 1000 + 480 + 600]);
    expect(insight.client.expiresAt).toBe(NOW / 1000 + 480 + 600);
    off();
    await vi.advanceTimersByTimeAsync(480_000);
    expect(events).toHaveLength(1);
    expect(provider).toHaveBeenCalledTimes(2);

    insight.destroy();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(24 * 3_600_000);
    expect(provider).toHaveBeenCalledTimes(2);
    expect(errors).toEqual([]);
    await expect(insight.embedIframe({} as HTMLElement, { story: 's' })).rejects.toThrow(/destroyed/);
  });
});
