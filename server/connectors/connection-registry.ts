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

export function connectorFor(settings: ConnectionSettings, dataDir: string): Connector | Promise<Connector> {
  switch (settings.type) {
    case 'postgres':
      return createPostgresConnector(settings);
    case 'mysql':
      return createMysqlConnector(settings);
    case 'pglite': {
      const dir = path.resolve(dataDir, settings.path);
      // PGlite creates its own folder but not the parents (warehouses/<org>/).
      return mkdir(path.dirname(dir), { recursive: true })
        .then(() => PGlite.create(dir))
        .then((db) => createPGliteConnector(db, { ownsDatabase: true }));
    }
  }
}

export function createConnectionRegistry(db: Kysely<StoreSchema>, box: SecretBox, options: { dataDir: string }): ConnectionRegistry {
  /** Keyed by liveKey(orgId, connectionId). */
  const live = new Map<string, { connectionId: string; connector: Promise<Connector> }>();
  const liveKey = (orgId: string, connectionId: string) => `${orgId}\u0000${connectionId}`;

  async function open(orgId: string, connectionId: string): Promise<Connector> {
    const row = await db.selectFrom('connections').select(['config_sealed']).where('id', '=', connectionId).where('org_id', '=', orgId).executeTakeFirst();
    if (!row) throw new InsightError('ERR_CONNECTION_NOT_FOUND');
    const settings = JSON.parse(box.open(row.config_sealed)) as ConnectionSettings;
    return connectorFor(settings, options.dataDir);
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
