/**
 * Embed bundle sizes: the initial script a host page loads (lit + components
 * + SDK client) and the lazy chunks (Vega), gzipped, after `npm run build`.
 * Target for the initial script: ≤ 40 KB gzipped.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const dir = path.resolve('dist/embed');
const entry = path.join(dir, 'insight-embed.js');

function files(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(folder, e.name);
    return e.isDirectory() ? files(full) : full.endsWith('.js') ? [full] : [];
  });
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);
export function bundleSizes() {
  statSync(entry);
  const size = (file: string) => {
    const raw = readFileSync(file);
    return { file: path.relative(dir, file), raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length };
  };
  const initial = size(entry);
  const lazy = files(dir).filter((f) => f !== entry).map(size);
  return { initial, lazy, lazyGzipTotal: lazy.reduce((s, f) => s + f.gzip, 0) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = bundleSizes();
  console.log('| script | raw KB | gzip KB |\n| --- | ---: | ---: |');
  console.log(`| initial: ${sizes.initial.file} | ${kb(sizes.initial.raw)} | ${kb(sizes.initial.gzip)} |`);
  for (const f of sizes.lazy.sort((a, b) => b.gzip - a.gzip)) console.log(`| lazy: ${f.file} | ${kb(f.raw)} | ${kb(f.gzip)} |`);
  console.log(`\ninitial script ${kb(sizes.initial.gzip)} KB gzipped (target ≤ 40 KB): ${sizes.initial.gzip <= 40 * 1024 ? 'within target' : 'OVER target'}`);
  console.log(`lazy chunks ${kb(sizes.lazyGzipTotal)} KB gzipped in total`);
}
