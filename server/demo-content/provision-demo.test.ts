import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { createServices } from '../services.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'insight-demo-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** One start of the demo on `dataDir`, on disk as `npm start` runs it; answers what it logged. */
async function start(): Promise<string[]> {
  const lines: string[] = [];
  const config = loadConfig({
    INSIGHT_DATA_DIR: dataDir,
    INSIGHT_SECRET_KEY: 'test-secret-key-0123456789',
    INSIGHT_ADMIN_API_KEY: 'ik_test_admin_key_0123456789',
    INSIGHT_EMBED_SECRET: 'test-embed-secret-0123456789abcdef',
    INSIGHT_DEMO_ORDERS: '400',
  });
  const services = await createServices(config, { log: (line) => lines.push(line) });
  await services.close();
  return lines.filter((line) => line.startsWith('demo:'));
}

describe('the demo start log', () => {
  it('speaks of seeding only on the start that seeds, with the time it took', async () => {
    const first = await start();
    expect(first[0]).toBe('demo: seeding the demo warehouse with 400 orders (once, on the first start)…');
    expect(first[1]).toMatch(/^demo: seeded 400 orders in \d+\.\d s$/);

    const second = await start();
    expect(second).toHaveLength(1);
    expect(second[0]).toMatch(/^demo: warehouse opened in \d+\.\d s$/);
    // Two starts on disk, each opening an embedded store and warehouse: slow on a busy machine.
  }, 600_000);
});
