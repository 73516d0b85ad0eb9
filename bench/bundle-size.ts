/**
 * Embed bundle sizes, gzipped, after `npm run build`: the initial script a
 * host page loads (lit + components + SDK client, target ≤ 40 KB), the Vega
 * chunk it loads with the first chart, the other lazy chunks (markdown for
 * text cards), and the standalone scripts: the browser SDK (insight-sdk.js)
 * and the iframe page's bootstrap (insight-iframe.js).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const dir = path.resolve('embed/dist');
const entry = path.join(dir, 'insight-embed.js');
const STANDALONE = ['insight-sdk.js', 'insight-iframe.js'];

function files(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(folder, e.name);
    return e.isDirectory() ? files(full) : full.endsWith('.js') ? [full] : [];
  });
}

export interface FileSize {
  file: string;
  raw: number;
  gzip: number;
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);

export function bundleSizes() {
  statSync(entry);
  const size = (file: string): FileSize => {
    const raw = readFileSync(file);
    return { file: path.relative(dir, file), raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length };
  };
  const initial = size(entry);
  const scripts = STANDALONE.map((name) => path.join(dir, name)).filter(existsSync).map(size);
  const lazy = files(path.join(dir, 'chunks')).map(size);
  // vega-embed's chunk carries vega and vega-lite; it is the one naming vega-embed.
  const vega = lazy.find((f) => readFileSync(path.join(dir, f.file), 'utf8').includes('vega-embed'));
  return { initial, vega, lazy, lazyGzipTotal: lazy.reduce((s, f) => s + f.gzip, 0), scripts };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = bundleSizes();
  console.log('| script | raw KB | gzip KB |\n| --- | ---: | ---: |');
  console.log(`| initial: ${sizes.initial.file} (lit + components + SDK client) | ${kb(sizes.initial.raw)} | ${kb(sizes.initial.gzip)} |`);
  if (sizes.vega) console.log(`| lazy, first chart: ${sizes.vega.file} (Vega) | ${kb(sizes.vega.raw)} | ${kb(sizes.vega.gzip)} |`);
  for (const f of sizes.lazy.filter((f) => f !== sizes.vega).sort((a, b) => b.gzip - a.gzip)) console.log(`| lazy: ${f.file} | ${kb(f.raw)} | ${kb(f.gzip)} |`);
  for (const f of sizes.scripts) console.log(`| standalone: ${f.file} | ${kb(f.raw)} | ${kb(f.gzip)} |`);
  console.log(`\ninitial script ${kb(sizes.initial.gzip)} KB gzipped (target ≤ 40 KB): ${sizes.initial.gzip <= 40 * 1024 ? 'within target' : 'OVER target'}`);
  console.log(`Vega chunk ${sizes.vega ? kb(sizes.vega.gzip) : '—'} KB gzipped; all lazy chunks ${kb(sizes.lazyGzipTotal)} KB gzipped`);
}
