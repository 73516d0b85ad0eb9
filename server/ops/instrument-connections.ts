/**
 * Wraps the connection registry so every statement a connector runs is timed
 * into the query histogram (by connection type and outcome), and the live
 * connectors' pools can be read at scrape time. The query engine and the
 * connectors stay unaware of metrics.
 */
import type { Kysely } from 'kysely';
import type { ConnectionRegistry } from '../connectors/connection-registry.ts';
import type { Connector } from '../connectors/connector.ts';
import type { StoreSchema } from '../store/store-schema.ts';
import { queryOutcomeOf, type Metrics, type PoolReading } from './metrics.ts';

export interface InstrumentedRegistry extends ConnectionRegistry {
  /** Pool usage of the connectors open right now. */
  poolReadings(): PoolReading[];
}

export function instrumentConnections(inner: ConnectionRegistry, metrics: Pick<Metrics, 'observeQuery'>, db: Kysely<StoreSchema>): InstrumentedRegistry {
  const wrapped = new WeakMap<Connector, Connector>();
  /** Connection id → its type and the connector handed out, for pool readings. */
  const open = new Map<string, { type: string; connector: Connector }>();

  async function typeOf(connectionId: string, connector: Connector): Promise<string> {
    const known = open.get(connectionId);
    if (known) return known.type;
    const row = await db.selectFrom('connections').select('type').where('id', '=', connectionId).executeTakeFirst().catch(() => undefined);
    return row?.type ?? connector.dialect;
  }

  function wrap(connector: Connector, type: string): Connector {
    let proxy = wrapped.get(connector);
    if (proxy) return proxy;
    proxy = Object.create(connector, {
      execute: {
        value: async (...args: Parameters<Connector['execute']>) => {
          const started = performance.now();
          try {
            const result = await connector.execute(...args);
            metrics.observeQuery(type, 'ok', (performance.now() - started) / 1000);
            return result;
          } catch (error) {
            metrics.observeQuery(type, queryOutcomeOf(error), (performance.now() - started) / 1000);
            throw error;
          }
        },
      },
    }) as Connector;
    wrapped.set(connector, proxy);
    return proxy;
  }

  return {
    async get(orgId, connectionId) {
      const connector = await inner.get(orgId, connectionId);
      const type = await typeOf(connectionId, connector);
      open.set(connectionId, { type, connector });
      return wrap(connector, type);
    },
    attach(orgId, connectionId, connector) {
      inner.attach(orgId, connectionId, connector);
    },
    async release(connectionId) {
      open.delete(connectionId);
      await inner.release(connectionId);
    },
    async closeAll() {
      open.clear();
      await inner.closeAll();
    },
    poolReadings() {
      const readings: PoolReading[] = [];
      for (const [connection, { type, connector }] of open) {
        const stats = connector.poolStats?.();
        if (stats) readings.push({ connection, type, ...stats });
      }
      return readings;
    },
  };
}
