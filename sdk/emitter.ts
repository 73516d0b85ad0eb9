/**
 * A tiny typed event emitter: `on()` returns its own `off`, and `clear()`
 * drops every listener so a destroyed handle holds no host callbacks.
 */
export type Listener<T> = (detail: T) => void;

export class Emitter<M extends object> {
  readonly #listeners = new Map<keyof M, Set<Listener<never>>>();

  on<K extends keyof M>(type: K, listener: Listener<M[K]>): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => {
      set.delete(listener as Listener<never>);
    };
  }

  emit<K extends keyof M>(type: K, detail: M[K]): void {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) {
      try {
        (listener as Listener<M[K]>)(detail);
      } catch (error) {
        // A failing host listener must not stop the others or the SDK.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Number of listeners, all types together. */
  get size(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  clear(): void {
    this.#listeners.clear();
  }
}
