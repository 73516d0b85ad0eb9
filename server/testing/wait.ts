/**
 * Waiting in tests without racing the clock: a gate the test opens when it
 * chooses, and a poll whose deadline only ends a real hang. A loaded machine
 * makes both slower, never wrong.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** A promise the test settles when it chooses, so an ordering does not depend on sleeps. */
export function gate(): { released: Promise<void>; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return { released, release };
}

/**
 * Polls `condition` every `intervalMs` until it holds. The deadline (45 s by
 * default, inside vitest's 60 s test timeout) is there to name a hang, not to
 * bound how long real work may take.
 */
export async function until(condition: () => boolean | Promise<boolean>, { timeoutMs = 45_000, intervalMs = 50, what = 'condition' } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}
