/**
 * Wires the server's parts together from a configuration. Tests build the
 * same services with their own settings (in-memory store, small demo).
 */
import { createResultCache, type ResultCache } from './cache/result-cache.ts';
import { createConnectionRepository, type ConnectionRepository } from './connections/connection-repository.ts';
import { createConnectionRegistry, type ConnectionRegistry } from './connectors/connection-registry.ts';
import type { InsightConfig } from './config.ts';
import { createSecretBox, type SecretBox } from './crypto/secret-box.ts';
import { createDatasetRepository, type DatasetRepository } from './datasets/dataset-repository.ts';
import { ensureDefaultOrg } from './bootstrap/ensure-default-org.ts';
import { provisionDemo } from './demo-content/provision-demo.ts';
import { createQueryHistory, type QueryHistory } from './history/query-history.ts';
import { createQueryEngine, type QueryEngine } from './query/query-engine.ts';
import { createSavedQueryRepository, type SavedQueryRepository } from './saved-queries/saved-query-repository.ts';
import { openStore, type Store } from './store/open-store.ts';
import { createStoryRepository, type StoryRepository } from './stories/story-repository.ts';
import { createEmbedKeyRing, type EmbedKeyRing } from './tokens/embed-key-ring.ts';

export interface Services {
  config: InsightConfig;
  store: Store;
  box: SecretBox;
  defaultOrgId: string;
  keys: EmbedKeyRing;
  stories: StoryRepository;
  datasets: DatasetRepository;
  connections: ConnectionRegistry;
  /** Connections as the admin API manages them (sealed settings, views without passwords). */
  connectionStore: ConnectionRepository;
  cache: ResultCache;
  engine: QueryEngine;
  history: QueryHistory;
  savedQueries: SavedQueryRepository;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Keep the demo warehouse, and the platform store unless DATABASE_URL is set, in memory (tests). */
  inMemory?: boolean;
  /** Schema of the PostgreSQL platform store (tests isolate themselves with one). */
  storeSchema?: string;
  log?: (message: string) => void;
}

export async function createServices(config: InsightConfig, options: ServiceOptions = {}): Promise<Services> {
  const log = options.log ?? (() => {});
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: options.inMemory ? 'memory://' : config.dataDir,
    ...(options.storeSchema ? { schema: options.storeSchema } : {}),
  });
  const box = createSecretBox(config.secretKey);
  const defaultOrgId = await ensureDefaultOrg(store.db, box, {
    embedSecret: config.embedSecret,
    adminApiKey: config.adminApiKey,
    allowedOrigins: config.allowedOrigins,
  });
  const keys = createEmbedKeyRing(store.db, box, { defaultOrgId });
  const stories = createStoryRepository(store.db);
  const datasets = createDatasetRepository(store.db);
  const connections = createConnectionRegistry(store.db, box, { dataDir: config.dataDir });
  const connectionStore = createConnectionRepository(store.db, box);
  const cache = createResultCache({
    ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
    onEvent: (event) => {
      if (event.type === 'redis-down') log('result cache: Redis is unreachable; serving uncached until it returns');
      if (event.type === 'redis-up') log('result cache: Redis is reachable; caching resumed');
    },
  });
  const settings = { statementTimeoutMs: config.statementTimeoutMs, rowCap: config.rowCap, cacheTtlSeconds: config.cacheTtlSeconds };
  const history = createQueryHistory(store.db, { onError: () => log('query history: an entry could not be written') });
  const engine = createQueryEngine({ datasets, connections, cache, settings: () => settings, history });
  const savedQueries = createSavedQueryRepository(store.db);

  if (config.demo) {
    const started = Date.now();
    log('demo: opening the demo warehouse (the first start seeds it, about 15 s)…');
    const result = await provisionDemo(
      { db: store.db, box, connections, datasets, stories, orgId: defaultOrgId },
      { dataDir: config.dataDir, inMemory: options.inMemory ?? false, orders: config.demoOrders },
    );
    log(`demo: ready in ${Date.now() - started} ms${result.seeded ? ` (seeded ${config.demoOrders} orders)` : ''}`);
  }

  return {
    config,
    store,
    box,
    defaultOrgId,
    keys,
    stories,
    datasets,
    connections,
    connectionStore,
    cache,
    engine,
    history,
    savedQueries,
    async close() {
      await history.flush();
      await connections.closeAll();
      await cache.close();
      await store.close();
    },
  };
}
