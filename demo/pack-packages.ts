/**
 * The packages as a host gets them: `npm pack` of each workspace package (its
 * `prepack` builds it), a throwaway host project that installs the tarballs,
 * and the runnable code blocks of the README. Used by the demo e2e test and by
 * `npm run pack:packages`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type PackageName = 'sdk' | 'embed' | 'server';

export interface PackedPackage {
  name: string;
  /** Absolute path of the tarball. */
  tarball: string;
  /** Bytes of the tarball, and of its files once unpacked. */
  size: number;
  unpackedSize: number;
  files: number;
}

/**
 * `npm pack -w @insight-engine/<name>` into `dest`. The build runs in production
 * mode whatever the caller's NODE_ENV (a test runner sets `test`, which would
 * select lit's development build).
 */
export async function packPackage(name: PackageName, dest: string): Promise<PackedPackage> {
  mkdirSync(dest, { recursive: true });
  const { stdout } = await run('npm', ['pack', '-w', `@insight-engine/${name}`, '--pack-destination', dest, '--json', '--silent'], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: 'production' },
    maxBuffer: 64 * 1024 * 1024,
  });
  // Build tools may print before npm's JSON: it is the last top-level array.
  const json = JSON.parse(stdout.slice(stdout.lastIndexOf('\n[') + 1 || stdout.indexOf('['))) as Array<{
    name: string;
    filename: string;
    size: number;
    unpackedSize: number;
    entryCount: number;
  }>;
  const packed = json[0];
  if (!packed) throw new Error(`npm pack of ${name} printed no package`);
  return { name: packed.name, tarball: path.join(dest, packed.filename), size: packed.size, unpackedSize: packed.unpackedSize, files: packed.entryCount };
}

/** A host project in `dir` (an ES module package) with the tarballs installed, as `npm install <tarball>` does. */
export async function installIntoHostProject(dir: string, tarballs: string[], options: { offline?: boolean } = {}): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'host-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const args = ['install', '--no-audit', '--no-fund', '--no-package-lock', ...(options.offline ? ['--offline'] : []), ...tarballs];
  await run('npm', args, { cwd: dir, env: { ...process.env, NODE_ENV: 'production' }, maxBuffer: 64 * 1024 * 1024 });
}

/** Unpacks a tarball into `dir` without installing its dependencies; answers the package folder. */
export async function unpackPackage(tarball: string, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', dir]);
  return path.join(dir, 'package');
}

/**
 * The fenced code block of the README that follows the line containing `marker`,
 * so a test runs exactly what the README shows.
 */
export function readmeBlock(marker: string): string {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README has no "${marker}"`);
  const open = readme.indexOf('```', at);
  const body = readme.indexOf('\n', open) + 1;
  const close = readme.indexOf('\n```', body);
  if (open < 0 || close < 0) throw new Error(`README has no code block after "${marker}"`);
  return readme.slice(body, close + 1);
}
