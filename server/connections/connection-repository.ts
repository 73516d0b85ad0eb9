/**
 * Connections in the platform store, as the admin API manages them. Driver
 * settings, credentials included, exist in clear text only between the
 * request body and `box.seal`; what leaves this module is a view without the
 * password (`hasPassword` says whether one is set). Every read and write is
 * scoped by organisation, so another organisation's id reads as not found.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { SchemaInfo } from '../connectors/connector.ts';
import { orgWarehouseDir, type ConnectionSettings } from '../connectors/connection-registry.ts';
import type { HostPolicy } from '../connectors/host-policy.ts';
import { parseConnectionUrl } from '../connectors/connection-url.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { InsightError } from '../errors/insight-error.ts';
import { isUniqueViolation } from '../store/is-unique-violation.ts';
import { writeVersioned, type ExpectedVersion } from '../store/resource-version.ts';
import type { ConnectionRow, StoreSchema } from '../store/store-schema.ts';

export const CONNECTION_TYPES = ['postgres', 'mysql', 'pglite'] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

const DEFAULT_PORTS = { postgres: 5432, mysql: 3306 } as const;

const settingsFields = {
  name: z.string().trim().min(1).max(100),
  /** `postgres://user:password@host:port/db?sslmode=require`, or the discrete fields below. */
  url: z.string().min(1).max(2000),
  host: z.string().regex(/^[A-Za-z0-9._:[\]-]{1,255}$/, 'must be a host name or address'),
  port: z.number().int().min(1).max(65_535),
  database: z.string().min(1).max(128),
  user: z.string().min(1).max(128),
  password: z.string().max(1024),
  ssl: z.boolean(),
};

export const createConnectionSchema = z
  .object({
    name: settingsFields.name,
    type: z.enum(CONNECTION_TYPES),
    url: settingsFields.url.optional(),
    host: settingsFields.host.optional(),
    port: settingsFields.port.optional(),
    database: settingsFields.database.optional(),
    user: settingsFields.user.optional(),
    password: settingsFields.password.optional(),
    ssl: settingsFields.ssl.optional(),
  })
  .strict();

export const updateConnectionSchema = z
  .object({
    name: settingsFields.name.optional(),
    url: settingsFields.url.optional(),
    host: settingsFields.host.optional(),
    port: settingsFields.port.optional(),
    database: settingsFields.database.optional(),
    user: settingsFields.user.optional(),
    /** `null` removes the password; leaving it out keeps the stored one. */
    password: settingsFields.password.nullable().optional(),
    ssl: settingsFields.ssl.optional(),
  })
  .strict();

export type CreateConnectionInput = z.infer<typeof createConnectionSchema>;
export type UpdateConnectionInput = z.infer<typeof updateConnectionSchema>;

/** What the API shows of a connection: never the password. */
export interface ConnectionView {
  id: string;
  name: string;
  type: ConnectionType;
  host: string | null;
  port: number | null;
  database: string | null;
  user: string | null;
  ssl: boolean;
  hasPassword: boolean;
  /** Incremented by every change; the ETag is this number in quotes. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ConnectionSchemaView extends SchemaInfo {
  connectionId: string;
  fetchedAt: string;
}

export interface ConnectionRepository {
  list(orgId: string): Promise<ConnectionView[]>;
  /** Throws ERR_CONNECTION_NOT_FOUND, also for an id of another organisation. */
  get(orgId: string, id: string): Promise<ConnectionView>;
  create(orgId: string, input: CreateConnectionInput): Promise<ConnectionView>;
  /** With `expected`, only over that version (ERR_VERSION_CONFLICT otherwise). */
  update(orgId: string, id: string, input: UpdateConnectionInput, expected?: ExpectedVersion): Promise<ConnectionView>;
  /** Refuses (ERR_CONFLICT) while datasets read through the connection. */
  remove(orgId: string, id: string, expected?: ExpectedVersion): Promise<void>;
  readSchema(orgId: string, id: string): Promise<ConnectionSchemaView | undefined>;
  writeSchema(orgId: string, id: string, schema: SchemaInfo): Promise<ConnectionSchemaView>;
}

function invalid(path: string, message: string): InsightError {
  return new InsightError('ERR_VALIDATION', 'The connection settings are not valid', { errors: [{ path, message }] });
}

/**
 * An embedded database lives in a folder the server picks, inside the
 * organisation's own folder: a path from the request could name the platform
 * store or another organisation's warehouse.
 */
function pglitePath(orgId: string, connectionId: string): string {
  return `${orgWarehouseDir(orgId)}/${connectionId}`;
}

type ServerSettings = Exclude<ConnectionSettings, { type: 'pglite' }>;
type ServerFields = Partial<Pick<CreateConnectionInput, 'url' | 'host' | 'port' | 'database' | 'user' | 'ssl'>> & { password?: string | null | undefined };

const SERVER_FIELDS = ['url', 'host', 'port', 'database', 'user', 'password', 'ssl'] as const;

/** Settings of a database server from a URL or from discrete fields, on top of the current ones when updating. */
function serverSettings(type: ServerSettings['type'], input: ServerFields, current?: ServerSettings): ServerSettings {
  let next: Partial<ServerSettings> & { ssl?: boolean } = current ? { ...current } : {};
  if (input.url !== undefined) {
    for (const field of ['host', 'port', 'database', 'user', 'password'] as const) {
      if (input[field] !== undefined) throw invalid(field, 'give either url or the separate fields, not both');
    }
    const parsed = parseConnectionUrl(input.url);
    if (parsed.type !== type) throw invalid('url', `the URL is for ${parsed.type}, the connection is ${type}`);
    next = { ...next, host: parsed.host, port: parsed.port, database: parsed.database, user: parsed.user };
    // A URL without a password keeps the stored one: dashboards often hide it.
    if (parsed.password !== undefined) next.password = parsed.password;
    if (parsed.ssl !== undefined) next.ssl = parsed.ssl;
  } else {
    if (input.host !== undefined) next.host = input.host;
    if (input.port !== undefined) next.port = input.port;
    if (input.database !== undefined) next.database = input.database;
    if (input.user !== undefined) next.user = input.user;
  }
  if (typeof input.password === 'string') next.password = input.password;
  if (input.password === null) delete next.password;
  if (input.ssl !== undefined) next.ssl = input.ssl;

  if (!next.host) throw invalid('host', 'a host (or url) is required');
  if (!next.database) throw invalid('database', 'a database (or url) is required');
  if (!next.user) throw invalid('user', 'a user (or url) is required');
  const base = { host: next.host, port: next.port ?? DEFAULT_PORTS[type], database: next.database, user: next.user, ...(next.password !== undefined ? { password: next.password } : {}) };
  if (type === 'mysql') {
    // Refused rather than ignored: silently dropping TLS would send the password in clear text.
    if (next.ssl) throw invalid('ssl', 'TLS is not supported for MySQL connections yet');
    return { type, ...base };
  }
  return { type, ...base, ...(next.ssl !== undefined ? { ssl: next.ssl } : {}) };
}

function viewOf(row: ConnectionRow, settings: ConnectionSettings): ConnectionView {
  const server = settings.type === 'pglite' ? undefined : settings;
  return {
    id: row.id,
    name: row.name,
    type: row.type as ConnectionType,
    host: server?.host ?? null,
    port: server?.port ?? null,
    database: server?.database ?? null,
    user: server?.user ?? null,
    ssl: server?.type === 'postgres' ? (server.ssl ?? false) : false,
    hasPassword: server?.password !== undefined && server.password !== '',
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function conflictOr(error: unknown, name: string): unknown {
  return isUniqueViolation(error) ? new InsightError('ERR_CONFLICT', `A connection named "${name}" already exists`, { name }) : error;
}

/**
 * @example
 * const connections = createConnectionRepository(store.db, box, { hostPolicy: createHostPolicy() });
 * const view = await connections.create(orgId, { name: 'warehouse', type: 'postgres', url: 'postgres://reader:s3cret@db/shop' });
 * view.hasPassword; // true, and the password itself is nowhere in `view`
 */
export function createConnectionRepository(db: Kysely<StoreSchema>, box: SecretBox, options: { hostPolicy: HostPolicy }): ConnectionRepository {
  const open = (row: ConnectionRow) => JSON.parse(box.open(row.config_sealed)) as ConnectionSettings;

  const notFound = () => new InsightError('ERR_CONNECTION_NOT_FOUND');

  async function row(orgId: string, id: string, tx: Kysely<StoreSchema> | Transaction<StoreSchema> = db): Promise<ConnectionRow> {
    const found = await tx.selectFrom('connections').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    if (!found) throw new InsightError('ERR_CONNECTION_NOT_FOUND');
    return found;
  }

  return {
    async list(orgId) {
      const rows = await db.selectFrom('connections').selectAll().where('org_id', '=', orgId).orderBy('name').execute();
      return rows.map((r) => viewOf(r, open(r)));
    },

    async get(orgId, id) {
      const found = await row(orgId, id);
      return viewOf(found, open(found));
    },

    async create(orgId, input) {
      const id = `c_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
      let settings: ConnectionSettings;
      if (input.type === 'pglite') {
        const given = SERVER_FIELDS.find((f) => input[f] !== undefined);
        if (given) throw invalid(given, 'an embedded pglite database takes no server settings');
        settings = { type: 'pglite', path: pglitePath(orgId, id) };
      } else {
        settings = serverSettings(input.type, input);
        await options.hostPolicy.admit(settings.host);
      }
      try {
        const created = await db
          .insertInto('connections')
          .values({ id, org_id: orgId, name: input.name, type: input.type, config_sealed: box.seal(JSON.stringify(settings)) })
          .returningAll()
          .executeTakeFirstOrThrow();
        return viewOf(created, settings);
      } catch (error) {
        throw conflictOr(error, input.name);
      }
    },

    async update(orgId, id, input, expected) {
      let name = input.name;
      try {
        return await writeVersioned(db, 'connections', { orgId, id }, expected, notFound, async (tx) => {
          const current = await row(orgId, id, tx);
          name ??= current.name;
          const stored = open(current);
          let settings: ConnectionSettings = stored;
          if (stored.type === 'pglite') {
            const given = SERVER_FIELDS.find((f) => input[f] !== undefined);
            if (given) throw invalid(given, 'an embedded pglite database takes no server settings');
          } else if (SERVER_FIELDS.some((f) => input[f] !== undefined)) {
            settings = serverSettings(stored.type, input, stored);
            await options.hostPolicy.admit(settings.host);
          }
          const updated = await tx
            .updateTable('connections')
            .set({ ...(input.name !== undefined ? { name: input.name } : {}), config_sealed: box.seal(JSON.stringify(settings)), updated_at: new Date() })
            .where('org_id', '=', orgId)
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirstOrThrow();
          // Another host or database has another schema; the next read introspects afresh.
          if (settings !== stored) await tx.deleteFrom('connection_schemas').where('connection_id', '=', id).execute();
          return viewOf(updated, settings);
        });
      } catch (error) {
        throw conflictOr(error, name ?? '');
      }
    },

    async remove(orgId, id, expected) {
      await writeVersioned(db, 'connections', { orgId, id }, expected, notFound, async (tx) => {
        const users = await tx.selectFrom('datasets').select('name').where('org_id', '=', orgId).where('connection_id', '=', id).orderBy('name').execute();
        if (users.length > 0) {
          throw new InsightError('ERR_CONFLICT', 'Datasets still read through this connection; delete or move them first', { datasets: users.map((d) => d.name) });
        }
        // The guard closes the race with a dataset created meanwhile, which the foreign key would delete along.
        const deleted = await tx
          .deleteFrom('connections')
          .where('org_id', '=', orgId)
          .where('id', '=', id)
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('datasets').select('id').where('datasets.connection_id', '=', id))))
          .executeTakeFirst();
        if (Number(deleted.numDeletedRows) === 0) throw new InsightError('ERR_CONFLICT', 'Datasets still read through this connection; delete or move them first');
      });
    },

    async readSchema(orgId, id) {
      await row(orgId, id);
      const cached = await db.selectFrom('connection_schemas').selectAll().where('org_id', '=', orgId).where('connection_id', '=', id).executeTakeFirst();
      if (!cached) return undefined;
      return { connectionId: id, fetchedAt: cached.fetched_at.toISOString(), ...(cached.schema as SchemaInfo) };
    },

    async writeSchema(orgId, id, schema) {
      await row(orgId, id);
      const fetchedAt = new Date();
      await db
        .insertInto('connection_schemas')
        .values({ connection_id: id, org_id: orgId, schema: JSON.stringify(schema), fetched_at: fetchedAt })
        .onConflict((oc) => oc.column('connection_id').doUpdateSet({ schema: JSON.stringify(schema), fetched_at: fetchedAt }))
        .execute();
      return { connectionId: id, fetchedAt: fetchedAt.toISOString(), ...schema };
    },
  };
}
