/**
 * Test helpers for the real services on loopback. With INSIGHT_REQUIRE_SERVICES=1
 * (as in CI) a missing service fails the suite; otherwise the suite is skipped
 * with a message saying which service was missing.
 */
import net from 'node:net';

export const POSTGRES_URL = process.env.INSIGHT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.INSIGHT_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const REDIS_URL = process.env.INSIGHT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type ServiceName = 'postgres' | 'mysql' | 'redis';

const PORTS: Record<ServiceName, number> = { postgres: 5432, mysql: 3306, redis: 6379 };

function reachable(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Resolves to true when the service answers. Use with `describe.skipIf(!(await serviceAvailable('redis')))`.
 * Throws when the service is missing and INSIGHT_REQUIRE_SERVICES=1.
 */
export async function serviceAvailable(name: ServiceName): Promise<boolean> {
  const ok = await reachable(PORTS[name]);
  if (ok) return true;
  if (process.env.INSIGHT_REQUIRE_SERVICES === '1') {
    throw new Error(`${name} is required (INSIGHT_REQUIRE_SERVICES=1) but 127.0.0.1:${PORTS[name]} does not answer`);
  }
  console.warn(`[skip] ${name} is not running on 127.0.0.1:${PORTS[name]}; its tests are skipped`);
  return false;
}
