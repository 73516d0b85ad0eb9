/**
 * Production mode refuses insecure defaults unless each is opted into by name.
 * loadConfig takes the environment as a record; the start script is run once
 * in a child process to show that the server exits instead of starting.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const SECRETS = {
  INSIGHT_SECRET_KEY: 'production-secret-key-0123456789',
  INSIGHT_ADMIN_API_KEY: 'ik_production_admin_key_0123456789',
  INSIGHT_EMBED_SECRET: 'production-embed-secret-that-is-long-enough-0123',
  INSIGHT_SESSION_SECRET: 'production-session-secret-that-is-long-enough-01',
};

function refusal(source: Record<string, string>): string {
  try {
    loadConfig(source);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('loadConfig in production mode', () => {
  const dataDir = () => mkdtempSync(path.join(tmpdir(), 'insight-config-'));

  it('lists every insecure default at once and writes no generated secret', () => {
    const dir = dataDir();
    const message = refusal({ NODE_ENV: 'production', INSIGHT_DATA_DIR: dir, INSIGHT_DEMO: '1', INSIGHT_ALLOW_REGISTRATION: '1' });
    for (const name of ['INSIGHT_DEMO', 'INSIGHT_ALLOWED_ORIGINS', ...Object.keys(SECRETS), 'INSIGHT_ALLOW_REGISTRATION']) expect(message).toContain(name);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses origins "*" given explicitly, also through INSIGHT_ENV', () => {
    expect(refusal({ INSIGHT_ENV: 'production', ...SECRETS, INSIGHT_ALLOWED_ORIGINS: 'https://app.example.com,*' })).toContain('INSIGHT_ALLOWED_ORIGINS');
  });

  it('starts with explicit settings, the demo off by default', () => {
    const config = loadConfig({ NODE_ENV: 'production', ...SECRETS, INSIGHT_ALLOWED_ORIGINS: 'https://app.example.com' });
    expect([config.production, config.demo, config.allowRegistration, config.allowedOrigins]).toEqual([true, false, false, ['https://app.example.com']]);
  });

  it('accepts each insecure setting only when it is named in INSIGHT_ALLOW_INSECURE', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      INSIGHT_DATA_DIR: dataDir(),
      INSIGHT_DEMO: '1',
      INSIGHT_ALLOW_REGISTRATION: '1',
      INSIGHT_ALLOW_INSECURE: 'demo, origins,generated-secrets,registration',
    });
    expect([config.demo, config.allowRegistration, config.allowedOrigins]).toEqual([true, true, ['*']]);
    expect(config.embedSecret.length).toBeGreaterThanOrEqual(32);
    // One opt-in does not cover the others.
    const partial = refusal({ NODE_ENV: 'production', ...SECRETS, INSIGHT_DEMO: '1', INSIGHT_ALLOW_INSECURE: 'demo' });
    expect(partial).toContain('INSIGHT_ALLOWED_ORIGINS');
    expect(partial).not.toContain('INSIGHT_DEMO=1');
    expect(refusal({ NODE_ENV: 'production', INSIGHT_ALLOW_INSECURE: 'everything' })).toContain('INSIGHT_ALLOW_INSECURE');
  });

  it('keeps the convenient defaults outside production', () => {
    const config = loadConfig({ INSIGHT_DATA_DIR: dataDir() });
    expect([config.production, config.demo, config.allowRegistration, config.allowedOrigins]).toEqual([false, true, false, ['*']]);
  });

  it('makes the server exit non-zero with the problems instead of starting', () => {
    const root = path.resolve(import.meta.dirname, '..');
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'server/main.ts')], {
      cwd: root,
      env: { PATH: process.env['PATH'], NODE_ENV: 'production', INSIGHT_DATA_DIR: dataDir(), PORT: '0' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status).toBe(1);
    expect(child.stderr).toContain('INSIGHT_ALLOWED_ORIGINS');
    expect(child.stdout).not.toContain('listening');
  });
});
