/**
 * Library builds:
 * - `vite build` → dist/embed: the embed script for `<script type="module" src>`
 *   (lit + components + SDK client in one file; Vega in lazy chunks).
 * - `vite build --mode sdk` → dist/sdk: ESM entries of the SDK (browser and node).
 */
import { defineConfig, type UserConfig } from 'vite';

export default defineConfig(({ mode }): UserConfig => {
  if (mode === 'sdk') {
    return {
      build: {
        outDir: 'dist/sdk',
        emptyOutDir: true,
        target: 'es2022',
        sourcemap: true,
        lib: { entry: { index: 'sdk/index.ts', node: 'sdk/node.ts' }, formats: ['es' as const] },
        rollupOptions: { external: ['jose', /^node:/] },
      },
    };
  }
  return {
    build: {
      outDir: 'dist/embed',
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      lib: { entry: { 'insight-embed': 'embed/index.ts' }, formats: ['es' as const] },
      rollupOptions: {
        output: { chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  };
});
