import { createHash } from 'node:crypto';
import { InsightError } from '../errors/insight-error.ts';

/**
 * The cache key of one query run: sha256 of a canonical, type-tagged encoding of
 * the connection, the SQL that runs and its bound parameters. Tenants differ in
 * their bound parameters, so two tenants never share an entry. Inputs that
 * could return different rows must never share a key, so every value carries
 * its type: 1 and '1', NaN and null, a Date and its ISO string, a bigint and a
 * number, a Buffer and an array of bytes all key apart (plain JSON conflates
 * several of these). Object keys are sorted so their order does not matter.
 *
 * @example
 * resultCacheKey({ connectionId: 'c1', sql: 'select * from t where tenant_id = $1', params: [42] });
 */
export function resultCacheKey(parts: { connectionId: string; sql: string; params: readonly unknown[] }): string {
  const canonical = JSON.stringify(['insight-result/1', parts.connectionId, parts.sql, encode(parts.params)]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Every value becomes [type, payload], so no two types can encode alike. */
function encode(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      return ['s', value];
    case 'number':
      // JSON turns NaN and ±Infinity into null.
      return ['n', Number.isFinite(value) ? value : String(value)];
    case 'bigint':
      return ['i', value.toString()];
    case 'boolean':
      return ['b', value];
    case 'undefined':
      return ['u'];
    case 'object':
      if (value === null) return ['z'];
      if (Array.isArray(value)) return ['a', value.map(encode)];
      if (value instanceof Date) return ['d', value.getTime()];
      if (value instanceof Uint8Array) return ['x', Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')];
      if (isPlainObject(value)) {
        return ['o', Object.keys(value).sort().map((name) => [name, encode(value[name])])];
      }
  }
  // Anything else (functions, class instances, Map...) has no canonical form we could trust.
  throw new InsightError('ERR_INTERNAL', 'A query parameter has a type the result cache cannot key');
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
