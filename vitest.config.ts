import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const sdkSources = fileURLToPath(new URL('./sdk/', import.meta.url));

export default defineConfig({
  // The SDK package resolves to its sources here, as in tsconfig.json's paths.
  resolve: {
    alias: [
      { find: /^@insight-engine\/sdk$/, replacement: `${sdkSources}index.ts` },
      { find: /^@insight-engine\/sdk\/(.+)$/, replacement: `${sdkSources}$1.ts` },
    ],
  },
  test: {
    include: ['server/**/*.test.ts', 'sdk/**/*.test.ts', 'demo/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'embed/**'],
    // Generous for a machine whose cores are busy: waits inside tests name a hang
    // well before this (server/testing/wait.ts), and nothing asserts elapsed time.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Suites share the real PostgreSQL, MariaDB and Redis services; files run
    // in parallel workers but each uses its own schema/database/key prefix.
    pool: 'forks',
  },
});
