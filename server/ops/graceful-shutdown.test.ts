/**
 * The real server in a child process: SIGTERM while a request is in flight.
 * The request is kept in flight by sending its body in two parts, so the
 * test does not depend on how fast anything runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ADMIN_KEY = 'ik_shutdown_test_key_0123456789';

let child: ChildProcess;
let port = 0;
let output = '';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'insight-shutdown-'));

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      INSIGHT_DATA_DIR: dataDir,
      INSIGHT_DEMO: '0',
      INSIGHT_ADMIN_API_KEY: ADMIN_KEY,
      INSIGHT_SECRET_KEY: 'shutdown-test-secret-0123456789',
      INSIGHT_SHUTDOWN_TIMEOUT_MS: '20000',
      DATABASE_URL: '',
      REDIS_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${output}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
  });
}, 120_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function connectable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('graceful shutdown', () => {
  it('finishes the in-flight request after SIGTERM, refuses new connections, then exits 0', async () => {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);

    const body = JSON.stringify({ rowCap: 321 });
    let finishBody = () => {};
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'PUT', path: '/api/config', agent: false, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      // Half the body now: the request is in flight until the rest arrives.
      req.write(body.slice(0, 5));
      finishBody = () => req.end(body.slice(5));
    });
    // Let the server take the request in before the signal.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    // New connections are refused once the listener closed.
    let refused = false;
    for (let i = 0; i < 100 && !refused; i++) {
      refused = !(await connectable());
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(refused).toBe(true);
    expect(child.exitCode).toBeNull();

    finishBody();
    const done = await response;
    expect(done.status).toBe(200);
    expect(JSON.parse(done.text)).toMatchObject({ settings: { rowCap: 321 } });
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"shutting down: finishing in-flight requests"');
    expect(output).toContain('"msg":"shut down"');
    expect(output).not.toContain(ADMIN_KEY);
  }, 60_000);
});
