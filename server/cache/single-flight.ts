/**
 * At most one running promise per key: callers of a key that is already
 * running share its outcome (value or rejection) instead of starting another.
 */
export class SingleFlight<T> {
  readonly #flights = new Map<string, { promise: Promise<T>; tags: readonly string[] }>();

  run(key: string, tags: readonly string[], fn: () => Promise<T>): Promise<T> {
    const running = this.#flights.get(key);
    if (running) return running.promise;
    const flight = { promise: (async () => fn())(), tags };
    this.#flights.set(key, flight);
    // Compare before deleting: forgetTag may have let a newer flight take the key.
    const settle = () => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    flight.promise.then(settle, settle);
    return flight.promise;
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
}
