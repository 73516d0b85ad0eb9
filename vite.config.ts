/**
 * Package builds (each package runs its own with `npm run build -w <package>`;
 * `npm run build` at the top builds them all, and `npm install` runs that):
 * - default mode → embed/dist: the embed script for `<script type="module" src>`
 *   (lit + components + SDK client in one file; Vega in lazy chunks).
 * - `--mode script` → embed/dist/insight-iframe.js (iframe page bootstrap) and
 *   embed/dist/insight-sdk.js (browser SDK for `import` from the server).
 * - `--mode sdk` → sdk/dist: ESM entries of the SDK (browser, node and protocol).
 * Paths are absolute from this file, so the builds run from any folder.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));
const at = (file: string) => path.join(root, file);

export default defineConfig(({ mode }): UserConfig => {
  if (mode === 'script') {
    // Next to the embed script (run after the default mode, which empties embed/dist).
    return {
      root,
      build: {
        outDir: at('embed/dist'),
        emptyOutDir: false,
        target: 'es2022',
        sourcemap: true,
        lib: { entry: { 'insight-iframe': at('embed/iframe/iframe-page.ts'), 'insight-sdk': at('sdk/index.ts') }, formats: ['es' as const] },
        rollupOptions: { output: { chunkFileNames: 'chunks/[name]-[hash].js' } },
      },
    };
  }
  if (mode === 'sdk') {
    return {
      root,
      build: {
        outDir: at('sdk/dist'),
        emptyOutDir: true,
        target: 'es2022',
        sourcemap: true,
        lib: { entry: { index: at('sdk/index.ts'), node: at('sdk/node.ts'), protocol: at('sdk/protocol.ts'), 'date-presets': at('sdk/date-presets.ts') }, formats: ['es' as const] },
        rollupOptions: { external: [/^node:/] },
      },
    };
  }
  return {
    root,
    build: {
      outDir: at('embed/dist'),
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      lib: { entry: { 'insight-embed': at('embed/index.ts') }, formats: ['es' as const] },
      rollupOptions: {
        output: { chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  };
});
