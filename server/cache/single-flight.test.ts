import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight.ts';

/** A computation that finishes when the test says so and reports the signal it ran under. */
function gate() {
  let open!: (value: string) => void;
  const seen: AbortSignal[] = [];
  const done = new Promise<string>((resolve) => (open = resolve));
  return { seen, open, fn: (signal: AbortSignal) => (seen.push(signal), done) };
}

describe('SingleFlight', () => {
  it('keeps the shared work running while any caller still waits', async () => {
    const flights = new SingleFlight<string>();
    const work = gate();
    const callers = Array.from({ length: 3 }, () => new AbortController());
    const results = callers.map((c) => flights.run('k', [], work.fn, c.signal).then((v) => v, (e: { code?: string }) => e.code));
    callers[0]?.abort();
    callers[1]?.abort();
    expect(work.seen).toHaveLength(1);
    expect(work.seen[0]?.aborted).toBe(false);
    expect(flights.waiting()).toBe(1);
    work.open('rows');
    expect(await Promise.all(results)).toEqual(['ERR_QUERY_CANCELLED', 'ERR_QUERY_CANCELLED', 'rows']);
  });

  it('aborts the shared work when the last caller leaves, and a later caller starts afresh', async () => {
    const flights = new SingleFlight<string>();
    const first = gate();
    const callers = [new AbortController(), new AbortController()];
    const results = callers.map((c) => flights.run('k', [], first.fn, c.signal).catch((e: { code?: string }) => e.code));
    for (const c of callers) c.abort();
    expect(first.seen[0]?.aborted).toBe(true);
    expect(await Promise.all(results)).toEqual(['ERR_QUERY_CANCELLED', 'ERR_QUERY_CANCELLED']);
    const second = gate();
    const later = flights.run('k', [], second.fn);
    second.open('fresh');
    expect(await later).toBe('fresh');
    expect(second.seen).toHaveLength(1);
  });

  it('never aborts for a caller without a signal', async () => {
    const flights = new SingleFlight<string>();
    const work = gate();
    const leaving = new AbortController();
    const left = flights.run('k', [], work.fn, leaving.signal).catch(() => 'left');
    const staying = flights.run('k', [], work.fn);
    leaving.abort();
    expect(work.seen[0]?.aborted).toBe(false);
    work.open('rows');
    expect([await left, await staying]).toEqual(['left', 'rows']);
  });
});
