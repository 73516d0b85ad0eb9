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
import { DEMO_WAREHOUSE_PATH, provisionDemo } from './demo-content/provision-demo.ts';
import { createHostPolicy } from './connectors/host-policy.ts';
import { createQueryHistory, type QueryHistory } from './history/query-history.ts';
import { primaryKeys } from './query/dataset-keys.ts';
import { createQueryEngine, type QueryEngine } from './query/query-engine.ts';
import { createOrgConfigRepository, engineSettings, type OrgConfigRepository } from './config-store/org-config.ts';
import { instrumentConnections } from './ops/instrument-connections.ts';
import { createOps, type Ops } from './ops/ops-services.ts';
import { createSavedQueryRepository, type SavedQueryRepository } from './saved-queries/saved-query-repository.ts';
import { createAskService, type AskService } from './ai/ask-service.ts';
import { createLlmClient, type LlmClient } from './ai/llm-client.ts';
import { interpretQuestion, suggestQuestions } from './ai/offline/interpret-question.ts';
import { openStore, type Store } from './store/open-store.ts';
import { createStoryRepository, type StoryRepository } from './stories/story-repository.ts';
import { createEmbedKeyRing, type EmbedKeyRing } from './tokens/embed-key-ring.ts';
import { createChangeFeed } from './store/change-feed.ts';
import { createAuditLog, type AuditLog } from './identity/audit-log.ts';
import { createIdentity, type Identity } from './identity/identity.ts';

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
  /** The model behind questions and narration; null without OPENAI_API_KEY (the offline engine answers). */
  llm: LlmClient | null;
  /** Questions in plain language: the model when configured, else (and as fallback) the offline engine. */
  ask: AskService;
  /** Users, sessions, roles, API keys, embed keys and the login lockout. */
  identity: Identity;
  /** Who changed what (every admin change, every embed token's first use). */
  audit: AuditLog;
  /** Per-organisation settings (GET/PUT /api/config); the engine applies them per call. */
  orgConfig: OrgConfigRepository;
  /** Metrics, rate limiter, readiness and draining. */
  ops: Ops;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Keep the demo warehouse, and the platform store unless DATABASE_URL is set, in memory (tests). */
  inMemory?: boolean;
  /** Schema of the PostgreSQL platform store (tests isolate themselves with one). */
  storeSchema?: string;
  log?: (message: string) => void;
  /** Told of every statement the platform store runs (tests count them). */
  onStoreQuery?: (sql: string) => void;
}

export async function createServices(config: InsightConfig, options: ServiceOptions = {}): Promise<Services> {
  const log = options.log ?? (() => {});
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: options.inMemory ? 'memory://' : config.dataDir,
    ...(options.storeSchema ? { schema: options.storeSchema } : {}),
    ...(options.onStoreQuery ? { onQuery: options.onStoreQuery } : {}),
  });
  const box = createSecretBox(config.secretKey);
  const defaultOrgId = await ensureDefaultOrg(store.db, box, {
    embedSecret: config.embedSecret,
    adminApiKey: config.adminApiKey,
    allowedOrigins: config.allowedOrigins,
  });
  // What the hot path keeps in memory is dropped on every instance when a write changes it.
  const changes = createChangeFeed({ redisUrl: config.redisUrl });
  const audit = createAuditLog(store.db, { onError: () => log('audit log: an embed token use could not be recorded') });
  const keys = createEmbedKeyRing(store.db, box, {
    defaultOrgId,
    changes,
    // Written in batches after the response: a viewer's first request must not wait on the store.
    onTokenFirstUse: (use) => {
      audit.recordLater({
        orgId: use.orgId,
        actor: { type: 'embed', id: use.sub ?? use.keyId },
        action: 'embed.token.first_use',
        resourceType: 'stories',
        resourceId: use.story,
        after: { kid: use.keyId, jti: use.jti ?? null, sub: use.sub ?? null, exp: use.exp, permissions: use.permissions, params: use.params },
        dedupeKey: `embed-token:${use.ref}`,
      });
    },
  });
  const identity = await createIdentity({ db: store.db, box, keys, audit, sessionSecret: config.sessionSecret });
  const stories = createStoryRepository(store.db, { changes });
  const datasets = createDatasetRepository(store.db, { changes });
  const ops = createOps(config, { log });
  // One policy for every connection: checked when settings are stored, pinned when a pool opens.
  const hostPolicy = createHostPolicy({ allow: config.connectionHosts });
  const demoWarehouse = { orgId: defaultOrgId, path: DEMO_WAREHOUSE_PATH };
  const connections = instrumentConnections(createConnectionRegistry(store.db, box, { dataDir: config.dataDir, hostPolicy, demo: demoWarehouse }), ops.metrics, store.db);
  const connectionStore = createConnectionRepository(store.db, box, { hostPolicy });
  const cache = createResultCache({
    ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
    onEvent: (event) => {
      if (event.type === 'redis-down') log('result cache: Redis is unreachable; serving uncached until it returns');
      if (event.type === 'redis-up') log('result cache: Redis is reachable; caching resumed');
    },
  });
  const settings = { statementTimeoutMs: config.statementTimeoutMs, rowCap: config.rowCap, cacheTtlSeconds: config.cacheTtlSeconds };
  const history = createQueryHistory(store.db, { onError: () => log('query history: an entry could not be written') });
  const orgConfig = createOrgConfigRepository(store.db, {
    defaults: { ...settings, ai: { enabled: true, model: config.openai.model, timeoutMs: config.openai.timeoutMs } },
    aiKeyConfigured: Boolean(config.openai.apiKey),
    changes,
  });
  const engine = createQueryEngine({
    datasets,
    connections,
    cache,
    settings: (orgId) => engineSettings(orgConfig, orgId),
    history,
    tableKeys: async (orgId, connectionId) => primaryKeys(await connectionStore.readSchema(orgId, connectionId)),
  });
  ops.metrics.watchCache(cache);
  ops.metrics.watchPools(connections.poolReadings);
  const savedQueries = createSavedQueryRepository(store.db);
  const llm = createLlmClient(config.openai);
  const aiSettings = async (orgId: string) => (await orgConfig.get(orgId)).ai;
  const ask = createAskService({ stories, datasets, engine, connections, savedQueries, offline: { interpretQuestion, suggestQuestions }, llm, aiSettings });

  if (config.demo) {
    const started = Date.now();
    const result = await provisionDemo(
      { db: store.db, box, connections, datasets, stories, orgId: defaultOrgId },
      {
        dataDir: config.dataDir,
        inMemory: options.inMemory ?? false,
        orders: config.demoOrders,
        onSeeding: () => log(`demo: seeding the demo warehouse with ${config.demoOrders} orders (once, on the first start)…`),
      },
    );
    const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    log(result.seeded ? `demo: seeded ${config.demoOrders} orders in ${took}` : `demo: warehouse opened in ${took}`);
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
    llm,
    ask,
    identity,
    audit,
    orgConfig,
    ops,
    async close() {
      await history.flush();
      await audit.flush();
      await changes.close();
      await connections.closeAll();
      await cache.close();
      await ops.close();
      await store.close();
    },
  };
}
