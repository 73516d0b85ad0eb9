/**
 * Request data whose keys become object keys. zod's record (like a plain `{}`
 * with `out[key] = value`) silently drops a key named `__proto__`, and a plain
 * object answers `constructor` or `toString` lookups from its prototype. Both
 * let a name the user chose behave unlike every other name. These helpers keep
 * every own key and read only own keys.
 */
import { z } from 'zod';

/**
 * Like `z.record(key, value)`, documented the same way in the API document,
 * but the result is a null-prototype object that keeps every key the input
 * had, `__proto__` included, so the code that reads it can refuse unknown names
 * uniformly.
 *
 * @example
 * const body = z.object({ filters: ownRecord(z.string().max(100), z.unknown()).default({}) });
 */
export function ownRecord<K extends string, V>(key: z.ZodType<K>, value: z.ZodType<V>) {
  const documented = z.toJSONSchema(z.record(key, value), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete documented['$schema'];
  return z
    .unknown()
    .transform((input, ctx): Record<K, V> => {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        ctx.addIssue({ code: 'custom', message: 'Invalid input: expected record' });
        return z.NEVER;
      }
      const out = Object.create(null) as Record<K, V>;
      for (const [name, raw] of Object.entries(input)) {
        const k = key.safeParse(name);
        const v = value.safeParse(raw);
        if (!k.success) for (const issue of k.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [name] });
        if (!v.success) for (const issue of v.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [name, ...issue.path] });
        if (k.success && v.success) out[k.data] = v.data;
      }
      return out;
    })
    .meta(documented);
}

/**
 * The table's own value for a key that came from outside (a request, a
 * question's word), never an inherited member such as `constructor`.
 *
 * @example
 * const grain = ownValue(GRAIN_NOUNS, word); // undefined for 'constructor'
 */
export function ownValue<T>(table: Readonly<Record<string, T>>, key: string | number): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** An empty null-prototype object to collect request-named keys into (`out[name] = v` cannot set a prototype). */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
