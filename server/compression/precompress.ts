/**
 * Writes `name.br` (brotli 11) and `name.gz` (gzip 9) next to every
 * compressible file of a built folder, so the server sends the smallest
 * bytes without compressing per request. The components package runs it
 * at the end of its build (`npm run build -w @insight-engine/embed`):
 *
 *   node --import tsx server/compression/precompress.ts embed/dist
 *
 * A sibling newer than its file is kept (a second run only compresses what
 * changed). A sibling is written only when it is smaller than the file.
 * Source maps get gzip only: brotli 11 on the 4 MB Vega map takes ~26 s and
 * maps are fetched by developer tools, not by viewers.
 */
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENCODING_SUFFIX, ENCODINGS, type Encoding } from './accept-encoding.ts';
import { compressBytes } from './compress-bytes.ts';

/** Which codings each compressible file type gets ahead of time. */
const PRECOMPRESSED = new Map<string, readonly Encoding[]>([
  ...['.js', '.mjs', '.css', '.json', '.html', '.svg', '.txt', '.wasm'].map((ext) => [ext, ENCODINGS] as const),
  ['.map', ['gzip']],
]);

/** Below this size a compressed answer saves less than the headers it adds. */
export const PRECOMPRESS_MIN_BYTES = 1024;

export interface PrecompressOptions {
  /** Files smaller than this stay as they are (default 1024 bytes). */
  minBytes?: number;
}

export interface PrecompressReport {
  /** Siblings written, relative to the folder (`chunks/embed-CTjdFFUe.js.br`). */
  written: string[];
  /** Siblings already newer than their file. */
  upToDate: number;
  /** Bytes of the files that have siblings, and of their brotli siblings (gzip where there is none). */
  originalBytes: number;
  compressedBytes: number;
}

/** Whether a file is worth compressing at all: a text-like type, at least `minBytes` long. */
export function isCompressible(file: string, size: number, minBytes = PRECOMPRESS_MIN_BYTES): boolean {
  return size >= minBytes && PRECOMPRESSED.has(path.extname(file).toLowerCase());
}

/** The codings a file gets ahead of time (none for small files and types that do not compress). */
export function precompressedEncodings(file: string, size: number, minBytes = PRECOMPRESS_MIN_BYTES): readonly Encoding[] {
  return isCompressible(file, size, minBytes) ? (PRECOMPRESSED.get(path.extname(file).toLowerCase()) ?? []) : [];
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

const mtimeOf = (file: string) => stat(file).then((s) => s.mtimeMs, () => undefined);

/**
 * @example
 * const report = await precompressDir('embed/dist');
 * console.log(`${report.written.length} files written`);
 */
export async function precompressDir(dir: string, options: PrecompressOptions = {}): Promise<PrecompressReport> {
  const report: PrecompressReport = { written: [], upToDate: 0, originalBytes: 0, compressedBytes: 0 };
  const files: Array<{ file: string; size: number; mtimeMs: number; encodings: readonly Encoding[] }> = [];
  for await (const file of walk(dir)) {
    const info = await stat(file);
    const encodings = precompressedEncodings(file, info.size, options.minBytes);
    if (encodings.length > 0) files.push({ file, size: info.size, mtimeMs: info.mtimeMs, encodings });
  }
  // Largest first, so the long brotli runs overlap instead of ending the queue alone.
  files.sort((a, b) => b.size - a.size);

  const one = async ({ file, size, mtimeMs, encodings }: (typeof files)[number]) => {
    let bytes: Buffer | undefined;
    const sizes: number[] = [];
    for (const encoding of encodings) {
      const target = file + ENCODING_SUFFIX[encoding];
      const targetMtime = await mtimeOf(target);
      if (targetMtime !== undefined && targetMtime >= mtimeMs) {
        report.upToDate++;
        sizes.push((await stat(target)).size);
        continue;
      }
      bytes ??= await readFile(file);
      const compressed = await compressBytes(bytes, encoding, 'max');
      if (compressed.byteLength >= size) {
        // Nothing gained: no sibling, and none left from an older build.
        await rm(target, { force: true });
        continue;
      }
      // Written aside and renamed, so a server reading the folder never sends half a file.
      const temporary = `${target}.${process.pid}.tmp`;
      await writeFile(temporary, compressed);
      await rename(temporary, target);
      report.written.push(path.relative(dir, target));
      sizes.push(compressed.byteLength);
    }
    if (sizes.length > 0) {
      report.originalBytes += size;
      report.compressedBytes += sizes[0] as number;
    }
  };

  const queue = [...files];
  const workers = Array.from({ length: Math.min(availableParallelism(), queue.length) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await one(next);
  });
  await Promise.all(workers);
  report.written.sort();
  return report;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node --import tsx server/compression/precompress.ts <folder>');
    process.exit(2);
  }
  const started = Date.now();
  try {
    const report = await precompressDir(path.resolve(dir));
    const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
    console.log(
      `[precompress] ${dir}: ${report.written.length} files written, ${report.upToDate} up to date; ` +
        `${kb(report.originalBytes)} → ${kb(report.compressedBytes)} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  } catch (error) {
    console.error(`[precompress] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
