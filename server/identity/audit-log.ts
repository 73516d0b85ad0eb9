/**
 * The audit log: who changed what in an organisation, when, from where, and
 * the state before and after, with every secret-looking field redacted
 * before it is written. Also every embed token's first use, once.
 */
import { decodeTimeCursor, encodeTimeCursor } from '../store/page-cursor.ts';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditActorType, StoreSchema } from '../store/store-schema.ts';
import { emptyRecord } from '../schema/own-record.ts';

export interface AuditEntry {
  orgId: string;
  actor: { type: AuditActorType; id: string | null };
  /** `POST /api/users/:id` for admin requests, or a dotted event name (`auth.login`, `embed.token.first_use`). */
  action: string;
  resourceType?: string | null;
  resourceId?: string | null;
  status?: number | null;
  before?: unknown;
  after?: unknown;
  ip?: string | null;
  userAgent?: string | null;
  /** Entries with the same key are recorded once. */
  dedupeKey?: string | null;
}

export interface AuditEntryView {
  id: string;
  actor: { type: AuditActorType; id: string | null };
  action: string;
  resource: { type: string | null; id: string | null };
  status: number | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
}

export interface AuditFilters {
  actor?: string | undefined;
  actorType?: AuditActorType | undefined;
  /** Exact action, or a prefix when it ends with `*`. */
  action?: string | undefined;
  /** A resource type (`users`) or a resource id. */
  resource?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /**
   * Records an entry soon, off the caller's path: entries wait in memory (the
   * same dedupe key once) and are written together at most `batchDelayMs`
   * later. For events of the request hot path, such as an embed token's first use.
   */
  recordLater(entry: AuditEntry): void;
  /** Writes the entries waiting from recordLater (tests, shutdown). */
  flush(): Promise<void>;
  list(orgId: string, filters: AuditFilters): Promise<{ items: AuditEntryView[]; nextCursor: string | null }>;
}

/** Field names whose values never reach the log: passwords, secrets, keys, tokens and hashes of them. */
const SECRET_FIELD = /password|secret|token|hash|credential|^key$|apikey|api_key|private|sealed/i;
export const REDACTED = '[redacted]';

/**
 * A bounded copy of a value for the log: secret-looking fields redacted,
 * depth, array length and string length capped (a query result is summarised,
 * not stored).
 *
 * @example
 * summarise({ name: 'ci', key: 'ik_…' }) // { name: 'ci', key: '[redacted]' }
 */
export function summarise(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 200)}…` : value;
  if (Array.isArray(value)) {
    if (depth >= 3) return `[${value.length} items]`;
    const head = value.slice(0, 20).map((v) => summarise(v, depth + 1));
    return value.length > 20 ? [...head, `… ${value.length - 20} more`] : head;
  }
  if (typeof value === 'object') {
    if (depth >= 3) return '{…}';
    const out = emptyRecord<unknown>();
    for (const [k, v] of Object.entries(value as Record<string, unknown>).slice(0, 50)) {
      // Result rows are data of a customer's tenants, not a change: only their count is kept.
      out[k] = SECRET_FIELD.test(k) ? REDACTED : k === 'rows' && Array.isArray(v) ? `[${v.length} rows]` : summarise(v, depth + 1);
    }
    return out;
  }
  return undefined;
}



const json = (value: unknown) => (value === undefined ? null : JSON.stringify(summarise(value)));

/**
 * @example
 * const audit = createAuditLog(store.db);
 * await audit.record({ orgId, actor: { type: 'user', id: userId }, action: 'auth.logout' });
 */
export function createAuditLog(db: Kysely<StoreSchema>, options: { batchDelayMs?: number; onError?: (error: unknown) => void } = {}): AuditLog {
  const batchDelayMs = options.batchDelayMs ?? 1000;
  /** Entries of recordLater by dedupe key (or a unique one), written together. */
  let waiting = new Map<string, AuditEntry>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();

  const rowOf = (entry: AuditEntry) => ({
    id: `au_${randomUUID().replace(/-/g, '')}`,
    org_id: entry.orgId,
    actor_type: entry.actor.type,
    actor_id: entry.actor.id,
    action: entry.action.slice(0, 300),
    resource_type: entry.resourceType ?? null,
    resource_id: entry.resourceId?.slice(0, 200) ?? null,
    status: entry.status ?? null,
    before: json(entry.before),
    after: json(entry.after),
    ip: entry.ip?.slice(0, 100) ?? null,
    user_agent: entry.userAgent?.slice(0, 500) ?? null,
    dedupe_key: entry.dedupeKey ?? null,
  });

  function writeWaiting(): Promise<void> {
    timer = undefined;
    const batch = [...waiting.values()];
    waiting = new Map();
    if (batch.length === 0) return writing;
    writing = writing.then(async () => {
      for (let i = 0; i < batch.length; i += 100) {
        try {
          await db
            .insertInto('audit_log')
            .values(batch.slice(i, i + 100).map(rowOf))
            .onConflict((oc) => oc.column('dedupe_key').doNothing())
            .execute();
        } catch (error) {
          options.onError?.(error);
        }
      }
    });
    return writing;
  }

  return {
    async record(entry) {
      const insert = db.insertInto('audit_log').values(rowOf(entry));
      await (entry.dedupeKey ? insert.onConflict((oc) => oc.column('dedupe_key').doNothing()) : insert).execute();
    },

    recordLater(entry) {
      if (waiting.size >= 10_000) return void options.onError?.(new Error('audit log: too many entries waiting'));
      waiting.set(entry.dedupeKey ?? randomUUID(), entry);
      if (!timer) {
        timer = setTimeout(() => void writeWaiting(), batchDelayMs);
        timer.unref?.();
      }
    },

    async flush() {
      if (timer) clearTimeout(timer);
      await writeWaiting();
    },

    async list(orgId, filters) {
      let query = db.selectFrom('audit_log').selectAll().where('org_id', '=', orgId);
      if (filters.actor) query = query.where('actor_id', '=', filters.actor);
      if (filters.actorType) query = query.where('actor_type', '=', filters.actorType);
      if (filters.action) {
        const action = filters.action;
        query = action.endsWith('*')
          ? query.where('action', 'like', `${action.slice(0, -1).replace(/[\\%_]/g, (m) => `\\${m}`)}%`)
          : query.where('action', '=', action);
      }
      if (filters.resource) {
        const resource = filters.resource;
        query = query.where((eb) => eb.or([eb('resource_type', '=', resource), eb('resource_id', '=', resource)]));
      }
      if (filters.from) query = query.where('created_at', '>=', filters.from);
      if (filters.to) query = query.where('created_at', '<', filters.to);
      if (filters.cursor) {
        const after = decodeTimeCursor(filters.cursor);
        query = query.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]));
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filters.limit + 1).execute();
      const page = rows.slice(0, filters.limit);
      const last = page.at(-1);
      return {
        items: page.map((r) => ({
          id: r.id,
          actor: { type: r.actor_type, id: r.actor_id },
          action: r.action,
          resource: { type: r.resource_type, id: r.resource_id },
          status: r.status,
          before: r.before,
          after: r.after,
          ip: r.ip,
          userAgent: r.user_agent,
          createdAt: r.created_at.toISOString(),
        })),
        nextCursor: rows.length > filters.limit && last ? encodeTimeCursor(last.created_at, last.id) : null,
      };
    },
  };
}
