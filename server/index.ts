/**
 * Library entry of the server package: run InsightEngine inside a host's own
 * Node process (`startServer`), or mount its Hono app on another server
 * (`createServices` + `createApp`). The `insight-server` command runs `main.ts`.
 */
export { createApp, type AppOptions } from './app.ts';
export { loadConfig, type InsightConfig } from './config.ts';
export { embedAssetsDir, startServer } from './main.ts';
export { createServices, type Services, type ServiceOptions } from './services.ts';
