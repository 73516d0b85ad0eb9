/**
 * Builds a complete server for tests: in-memory platform store, a small
 * seeded demo warehouse, the real query engine and cache, and a helper that
 * mints embed tokens with the SDK's node entry.
 */
import { loadConfig, type InsightConfig } from '../config.ts';
import { createApp } from '../app.ts';
import { createServices, type Services } from '../services.ts';
import { signEmbedToken, type SignEmbedTokenOptions } from '@insight-engine/sdk/node';

export const TEST_EMBED_SECRET = 'test-embed-secret-that-is-long-enough-0123456789';

export interface TestServer {
  services: Services;
  app: ReturnType<typeof createApp>;
  token(options?: Partial<SignEmbedTokenOptions>): Promise<string>;
  close(): Promise<void>;
}

export async function createTestServer(overrides: Partial<InsightConfig> = {}, options: { storeSchema?: string; onStoreQuery?: (sql: string) => void } = {}): Promise<TestServer> {
  const config: InsightConfig = {
    ...loadConfig({
      INSIGHT_DATA_DIR: `/tmp/insight-test-${process.pid}`,
      INSIGHT_SECRET_KEY: 'test-secret-key-0123456789',
      INSIGHT_ADMIN_API_KEY: 'ik_test_admin_key_0123456789',
      INSIGHT_EMBED_SECRET: TEST_EMBED_SECRET,
      INSIGHT_DEMO_ORDERS: '3000',
      // The PostgreSQL and MariaDB services of the tests run on loopback, which production refuses by default.
      INSIGHT_CONNECTION_HOSTS: '127.0.0.1',
    }),
    ...overrides,
  };
  const services = await createServices(config, { inMemory: true, ...options });
  const app = createApp(services);
  return {
    services,
    app,
    token: (o = {}) => signEmbedToken({ secret: TEST_EMBED_SECRET, story: 'retail-overview', params: { tenant_id: 1 }, ...o }),
    close: () => services.close(),
  };
}
