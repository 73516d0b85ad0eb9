/**
 * One live connector (and so one pool) per connection, created on first use
 * from the sealed settings in the platform store and closed on delete and
 * at shutdown. Live connectors are keyed by organisation and connection, so a
 * connector one organisation warmed is never handed to another that names the
 * same connection id: that one goes to the store, which answers
 * ERR_CONNECTION_NOT_FOUND.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.ts';
import { InsightError } from '../errors/insight-error.ts';
import type { StoreSchema } from '../store/store-schema.ts';
import type { Connector } from './connector.ts';
import { createMysqlConnector } from './mysql-connector.ts';
import { createPGliteConnector } from './pglite-connector.ts';
import { createPostgresConnector } from './postgres-connector.ts';
import type { HostPolicy } from './host-policy.ts';

export type ConnectionSettings =
  | { type: 'pglite'; path: string }
  | { type: 'postgres'; host: string; port: number; database: string; user: string; password?: string; ssl?: boolean }
  | { type: 'mysql'; host: string; port: number; database: string; user: string; password?: string };

export interface ConnectionRegistry {
  /** The organisation's live connector for the connection; ERR_CONNECTION_NOT_FOUND when the organisation does not own it. */
  get(orgId: string, connectionId: string): Promise<Connector>;
  /** Registers a connector created elsewhere (the embedded demo warehouse) for its owning organisation. */
  attach(orgId: string, connectionId: string, connector: Connector): void;
  /** Closes and forgets a connection's connector (after an update or delete). Connection ids are unique across organisations. */
  release(connectionId: string): Promise<void>;
  closeAll(): Promise<void>;
}

/** The folder every embedded warehouse of an organisation lives in, relative to the data dir. */
export function orgWarehouseDir(orgId: string): string {
  return `warehouses/${orgId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/**
 * The folder of an embedded database, confined to its organisation's own
 * warehouse folder: a stored path that is absolute, climbs with `..` or
 * lands elsewhere could open the platform store or another organisation's
 * warehouse. Throws ERR_CONNECTION_HOST_NOT_ALLOWED.
 */
export function pgliteDir(dataDir: string, orgId: string, stored: string, demo?: EmbeddedDemo): string {
  const root = path.resolve(dataDir, orgWarehouseDir(orgId));
  const dir = path.resolve(dataDir, stored);
  const isDemo = demo !== undefined && demo.orgId === orgId && demo.path === stored;
  const escapes = path.isAbsolute(stored) || stored.split(/[\\/]/).includes('..') || (path.dirname(dir) !== root && !isDemo);
  if (escapes) throw new InsightError('ERR_CONNECTION_HOST_NOT_ALLOWED', 'An embedded database must live in its organisation\'s folder');
  return dir;
}

/** The demo warehouse sits beside the platform store, outside the warehouses folder, for its organisation only. */
export interface EmbeddedDemo {
  orgId: string;
  path: string;
}

export interface ConnectorPlace {
  /** Where embedded databases live. */
  dataDir: string;
  /** The organisation the connection belongs to (confines embedded databases). */
  orgId: string;
  /** Decides and pins the address of every networked database. */
  hostPolicy: HostPolicy;
  demo?: EmbeddedDemo;
}

/**
 * The only way from stored settings to a live connector: a networked database
 * is reached at the address the host policy checked (never by its name again,
 * so a second DNS answer cannot differ), an embedded one inside its
 * organisation's folder.
 */
export async function connectorFor(settings: ConnectionSettings, place: ConnectorPlace): Promise<Connector> {
  switch (settings.type) {
    case 'postgres': {
      const pinned = await place.hostPolicy.resolve(settings.host);
      return createPostgresConnector({ ...settings, host: pinned.address, ...(pinned.name ? { tlsServername: pinned.name } : {}) });
    }
    case 'mysql': {
      const pinned = await place.hostPolicy.resolve(settings.host);
      return createMysqlConnector({ ...settings, host: pinned.address });
    }
    case 'pglite': {
      const dir = pgliteDir(place.dataDir, place.orgId, settings.path, place.demo);
      // PGlite creates its own folder but not the parents (warehouses/<org>/).
      await mkdir(path.dirname(dir), { recursive: true });
      return createPGliteConnector(await PGlite.create(dir), { ownsDatabase: true });
    }
  }
}

export function createConnectionRegistry(db: Kysely<StoreSchema>, box: SecretBox, options: Omit<ConnectorPlace, 'orgId'>): ConnectionRegistry {
  /** Keyed by liveKey(orgId, connectionId). */
  const live = new Map<string, { connectionId: string; connector: Promise<Connector> }>();
  const liveKey = (orgId: string, connectionId: string) => `${orgId}\u0000${connectionId}`;

  async function open(orgId: string, connectionId: string): Promise<Connector> {
    const row = await db.selectFrom('connections').select(['config_sealed']).where('id', '=', connectionId).where('org_id', '=', orgId).executeTakeFirst();
    if (!row) throw new InsightError('ERR_CONNECTION_NOT_FOUND');
    const settings = JSON.parse(box.open(row.config_sealed)) as ConnectionSettings;
    return connectorFor(settings, { ...options, orgId });
  }

  return {
    get(orgId, connectionId) {
      const key = liveKey(orgId, connectionId);
      const found = live.get(key);
      if (found) return found.connector;
      const entry = { connectionId, connector: open(orgId, connectionId) };
      live.set(key, entry);
      entry.connector.catch(() => {
        if (live.get(key) === entry) live.delete(key);
      });
      return entry.connector;
    },
    attach(orgId, connectionId, connector) {
      live.set(liveKey(orgId, connectionId), { connectionId, connector: Promise.resolve(connector) });
    },
    async release(connectionId) {
      const released: Array<Promise<Connector>> = [];
      for (const [key, entry] of live) {
        if (entry.connectionId !== connectionId) continue;
        live.delete(key);
        released.push(entry.connector);
      }
      await Promise.all(released.map((c) => c.then((x) => x.close()).catch(() => {})));
    },
    async closeAll() {
      const all = [...live.values()];
      live.clear();
      await Promise.all(all.map((e) => e.connector.then((x) => x.close()).catch(() => {})));
    },
  };
}
