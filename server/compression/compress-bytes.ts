/**
 * Brotli and gzip over node:zlib, at two effort levels: `max` for files
 * compressed once ahead of time (brotli 11 takes ~12 s on the 1.1 MB Vega
 * chunk, a cost paid at build, never per request) and `fast` for answers
 * compressed while the viewer waits (brotli 5: ~10% larger, ~60× faster).
 * Node 20's CompressionStream has no brotli, hence zlib; its async calls
 * run on libuv's thread pool, off the event loop.
 */
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Encoding } from './accept-encoding.ts';

export type CompressionEffort = 'max' | 'fast';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

const BROTLI_QUALITY: Record<CompressionEffort, number> = { max: constants.BROTLI_MAX_QUALITY, fast: 5 };
const GZIP_LEVEL: Record<CompressionEffort, number> = { max: constants.Z_BEST_COMPRESSION, fast: 6 };

/**
 * @example
 * const body = await compressBytes(await readFile('insight-embed.js'), 'br', 'max');
 */
export function compressBytes(bytes: Uint8Array, encoding: Encoding, effort: CompressionEffort): Promise<Buffer> {
  if (encoding === 'br') {
    return brotli(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY[effort],
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
      },
    });
  }
  return gzipAsync(bytes, { level: GZIP_LEVEL[effort] });
}
