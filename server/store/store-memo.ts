/**
 * What the hot path reads from the platform store (embed keys and revoked
 * token ids, published stories, datasets, organisation settings), kept in
 * memory until a write says it changed, instead of for a fixed time: a
 * cached card request then runs no statement at all.
 *
 * - `forget()` drops every entry at once; the next `get` reads the store.
 *   Writes on this instance call it directly, writes on other instances
 *   through the change feed (server/store/change-feed.ts).
 * - `refresh()` re-reads every entry in the background and swaps each one in
 *   when it arrives, so nothing waits for it; the change feed calls it on a
 *   timer, a backstop should a change message ever be lost.
 */
export interface StoreMemo<V> {
  get(key: string, load: () => Promise<V>): Promise<V>;
  forget(): void;
  refresh(): void;
}

interface Entry<V> {
  value: Promise<V>;
  load: () => Promise<V>;
}

/**
 * @example
 * const memo = createStoreMemo<DatasetRow>();
 * const row = await memo.get(`${orgId}\u0000${name}`, () => readDataset(orgId, name));
 */
export function createStoreMemo<V>(options: { limit?: number } = {}): StoreMemo<V> {
  const limit = options.limit ?? 10_000;
  const entries = new Map<string, Entry<V>>();
  // A refresh that started before a forget must not bring back what the forget dropped.
  let generation = 0;

  function keep(key: string, entry: Entry<V>): Entry<V> {
    entries.set(key, entry);
    // Failures are not kept: the next request asks the store again (and gets the error itself).
    entry.value.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return entry;
  }

  return {
    get(key, load) {
      const hit = entries.get(key);
      if (hit) return hit.value;
      if (entries.size >= limit) entries.delete(entries.keys().next().value as string);
      return keep(key, { value: load(), load }).value;
    },
    forget() {
      generation++;
      entries.clear();
    },
    refresh() {
      const at = generation;
      for (const [key, entry] of entries) {
        const value = entry.load();
        const current = () => generation === at && entries.get(key) === entry;
        value.then(
          () => {
            if (current()) keep(key, { value, load: entry.load });
          },
          () => {
            if (current()) entries.delete(key);
          },
        );
      }
    },
  };
}
