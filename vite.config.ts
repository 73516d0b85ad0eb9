/**
 * Library builds:
 * - `vite build` → dist/embed: the embed script for `<script type="module" src>`
 *   (lit + components + SDK client in one file; Vega in lazy chunks).
 * - `vite build --mode sdk` → dist/sdk: ESM entries of the SDK (browser and node).
 * - `vite build --mode script` → dist/embed/insight-iframe.js (iframe page bootstrap)
 *   and dist/embed/insight-sdk.js (browser SDK for `import` from the server).
 */
import { defineConfig, type UserConfig } from 'vite';

export default defineConfig(({ mode }): UserConfig => {
  if (mode === 'script') {
    // Next to the embed script (run after `vite build`, which empties dist/embed):
    // insight-iframe.js, the iframe page's bootstrap, and insight-sdk.js, the
    // browser SDK as one file a host page can import from the server.
    return {
      build: {
        outDir: 'dist/embed',
        emptyOutDir: false,
        target: 'es2022',
        sourcemap: true,
        lib: { entry: { 'insight-iframe': 'embed/iframe/iframe-page.ts', 'insight-sdk': 'sdk/index.ts' }, formats: ['es' as const] },
        rollupOptions: { output: { chunkFileNames: 'chunks/[name]-[hash].js' } },
      },
    };
  }
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
