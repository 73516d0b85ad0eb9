/**
 * `npm run pack:packages`: packs the SDK, components and server into `.packs/`
 * and prints what a host installs: each tarball's size, and with `--install`,
 * the time and disk of `npm install <tarball>` in a fresh host project (this
 * needs the npm registry for the dependencies) and, for the server, the time
 * its `insight-server` command takes to listen.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { installIntoHostProject, packPackage, repoRoot, type PackageName, type PackedPackage } from '../demo/pack-packages.ts';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await diskUsage(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}

/** Starts the installed `insight-server` on a free port and answers the milliseconds until it listens. */
function firstStart(project: string): Promise<number> {
  const started = performance.now();
  const dataDir = path.join(project, 'data');
  const child = spawn(path.join(project, 'node_modules/.bin/insight-server'), [], {
    cwd: project,
    env: { ...process.env, PORT: '0', INSIGHT_DATA_DIR: dataDir, INSIGHT_DEMO: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening on/.test(output)) {
        const took = performance.now() - started;
        child.kill('SIGTERM');
        resolve(took);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => code !== null && code !== 0 && reject(new Error(`insight-server exited with ${code}:\n${output.slice(-2000)}`)));
  });
}

const install = process.argv.includes('--install');
const dest = path.join(repoRoot, '.packs');
rmSync(dest, { recursive: true, force: true });
const packed = new Map<PackageName, PackedPackage>();
for (const name of ['sdk', 'embed', 'server'] as const) {
  const started = performance.now();
  const pack = await packPackage(name, dest);
  packed.set(name, pack);
  console.log(`${pack.name.padEnd(24)} ${kb(pack.size).padStart(10)} packed, ${kb(pack.unpackedSize).padStart(10)} unpacked, ${pack.files} files (built and packed in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
console.log(`tarballs in ${dest}`);

if (install) {
  const tarball = (name: PackageName) => packed.get(name)!.tarball;
  // What each package brings into a host project: the server needs the other two (they are not on a registry).
  const sets: Array<[string, PackageName[]]> = [
    ['@insight-engine/sdk', ['sdk']],
    ['@insight-engine/embed', ['embed']],
    ['@insight-engine/server', ['sdk', 'embed', 'server']],
  ];
  for (const [label, names] of sets) {
    const project = mkdtempSync(path.join(os.tmpdir(), 'insight-host-'));
    try {
      const started = performance.now();
      await installIntoHostProject(project, names.map(tarball));
      const took = (performance.now() - started) / 1000;
      const size = await diskUsage(path.join(project, 'node_modules'));
      const packages = (await readdir(path.join(project, 'node_modules'))).filter((n) => !n.startsWith('.')).length;
      let line = `${label.padEnd(24)} npm install ${took.toFixed(1)} s, node_modules ${mb(size)} (${packages} top-level entries)`;
      if (names.includes('server')) line += `, first start ${((await firstStart(project)) / 1000).toFixed(1)} s`;
      console.log(line);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  }
}
