import { InsightError } from '../errors/insight-error.ts';

interface Flight<T> {
  promise: Promise<T>;
  tags: readonly string[];
  /** Owned by the flight, never by a caller: aborted only when the last waiter has left. */
  controller: AbortController;
  waiters: number;
  settled: boolean;
}

/**
 * At most one running promise per key: callers of a key that is already
 * running share its outcome (value or rejection) instead of starting another.
 *
 * The shared work runs under the flight's own AbortSignal. A caller's signal
 * only detaches that caller (its promise rejects with ERR_QUERY_CANCELLED);
 * the work is aborted once every caller has left, so one viewer closing a tab
 * never cancels the query for the others who joined it.
 */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Flight<T>>();

  /**
   * @example
   * const rows = await flights.run(key, ['dataset:abc'], (signal) => connector.execute(sql, params, { signal }), request.signal);
   */
  run(key: string, tags: readonly string[], fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new InsightError('ERR_QUERY_CANCELLED'));
    const flight = this.#flights.get(key) ?? this.#start(key, tags, fn);
    flight.waiters++;
    if (!signal) return flight.promise;
    return new Promise<T>((resolve, reject) => {
      const leave = () => {
        reject(new InsightError('ERR_QUERY_CANCELLED'));
        flight.waiters--;
        if (flight.waiters === 0 && !flight.settled) {
          // Nobody wants the result any more: stop the work, and let later callers start afresh.
          if (this.#flights.get(key) === flight) this.#flights.delete(key);
          flight.controller.abort();
        }
      };
      signal.addEventListener('abort', leave, { once: true });
      const detach = () => signal.removeEventListener('abort', leave);
      flight.promise.then(
        (value) => {
          detach();
          resolve(value);
        },
        (error: unknown) => {
          detach();
          reject(error);
        },
      );
    });
  }

  /** Callers currently waiting on a running flight (for metrics and tests). */
  waiting(): number {
    let total = 0;
    for (const flight of this.#flights.values()) total += flight.waiters;
    return total;
  }

  /**
   * Later callers start a new flight instead of joining one under this tag:
   * a computation that began before an invalidation may return the old data.
   */
  forgetTag(tag: string): void {
    for (const [key, flight] of this.#flights) {
      if (flight.tags.includes(tag)) this.#flights.delete(key);
    }
  }

  #start(key: string, tags: readonly string[], fn: (signal: AbortSignal) => Promise<T>): Flight<T> {
    const controller = new AbortController();
    const flight: Flight<T> = { promise: (async () => fn(controller.signal))(), tags, controller, waiters: 0, settled: false };
    this.#flights.set(key, flight);
    // Compare before deleting: forgetTag or a full leave may have let a newer flight take the key.
    const settle = () => {
      flight.settled = true;
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    flight.promise.then(settle, settle);
    return flight;
  }
}
