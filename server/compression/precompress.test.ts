import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { precompressDir } from './precompress.ts';

/** Script-like text that compresses well, `bytes` long. */
const script = (bytes: number, seed = 'a') =>
  Array.from({ length: Math.ceil(bytes / 40) }, (_, i) => `export const ${seed}${i} = () => ${i} * 2;\n`).join('').slice(0, bytes);

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'insight-precompress-'));
  await mkdir(path.join(dir, 'chunks'));
  await writeFile(path.join(dir, 'insight-embed.js'), script(20_000));
  await writeFile(path.join(dir, 'chunks', 'vega-AbCd1234.js'), script(50_000, 'v'));
  await writeFile(path.join(dir, 'insight-embed.js.map'), JSON.stringify({ version: 3, mappings: script(5_000, 'm') }));
  await writeFile(path.join(dir, 'tiny.js'), script(500));
  await writeFile(path.join(dir, 'logo.png'), randomBytes(5_000));
  // Random bytes do not compress: no sibling would be smaller.
  await writeFile(path.join(dir, 'noise.js'), randomBytes(5_000));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('precompressDir', () => {
  it('writes brotli and gzip next to compressible files, gzip only for maps, nothing for small, binary or incompressible files', async () => {
    const report = await precompressDir(dir);
    expect(report.written).toEqual([
      'chunks/vega-AbCd1234.js.br',
      'chunks/vega-AbCd1234.js.gz',
      'insight-embed.js.br',
      'insight-embed.js.gz',
      'insight-embed.js.map.gz',
    ]);
    expect((await readdir(dir)).sort()).toEqual(
      ['chunks', 'insight-embed.js', 'insight-embed.js.br', 'insight-embed.js.gz', 'insight-embed.js.map', 'insight-embed.js.map.gz', 'logo.png', 'noise.js', 'tiny.js'].sort(),
    );
    expect(report.compressedBytes).toBeLessThan(report.originalBytes / 4);
  });

  it('writes siblings that decompress to the very bytes of their file', async () => {
    await precompressDir(dir);
    for (const name of ['insight-embed.js', 'chunks/vega-AbCd1234.js']) {
      const original = await readFile(path.join(dir, name));
      expect(brotliDecompressSync(await readFile(path.join(dir, `${name}.br`))).equals(original)).toBe(true);
      expect(gunzipSync(await readFile(path.join(dir, `${name}.gz`))).equals(original)).toBe(true);
    }
  });

  it('keeps siblings newer than their file and redoes those of a file rebuilt since', async () => {
    await precompressDir(dir);
    const again = await precompressDir(dir);
    expect(again.written).toEqual([]);
    expect(again.upToDate).toBe(5);

    const entry = path.join(dir, 'insight-embed.js');
    await writeFile(entry, script(30_000, 'b'));
    const later = new Date((await stat(path.join(dir, 'insight-embed.js.br'))).mtimeMs + 5_000);
    await utimes(entry, later, later);
    const rebuilt = await precompressDir(dir);
    expect(rebuilt.written).toEqual(['insight-embed.js.br', 'insight-embed.js.gz']);
    expect(brotliDecompressSync(await readFile(`${entry}.br`)).equals(await readFile(entry))).toBe(true);
  });

  it('honours a larger size floor', async () => {
    const report = await precompressDir(dir, { minBytes: 30_000 });
    expect(report.written).toEqual(['chunks/vega-AbCd1234.js.br', 'chunks/vega-AbCd1234.js.gz']);
  });
});
