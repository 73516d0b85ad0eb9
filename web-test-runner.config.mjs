// Browser tests of the components in a real Chromium: the one shipped inside
// the @sparticuz/chromium npm package (no download at install or run time),
// or CHROME_PATH when set. Run with `npm run test:browser`, which loads tsx so
// this config can start a real InsightEngine server for the tests.
import chromium from '@sparticuz/chromium';
import { chromeLauncher } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { startBrowserTestServer } from './embed/testing/browser-test-server.ts';
import { cpuThrottlePlugin } from './embed/testing/cpu-throttle-command.ts';

const executablePath = process.env.CHROME_PATH || (await chromium.executablePath());
const insight = await startBrowserTestServer();

export default {
  files: ['embed/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  // Generous for a loaded machine: a wait inside a test names its hang after a minute
  // (HANG_MS in embed/testing/fixtures.ts), the test itself ends after 90 s.
  testsFinishTimeout: 600_000,
  testFramework: { config: { timeout: 90_000 } },
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath,
        headless: true,
        args: [...chromium.args, '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      },
    }),
  ],
  plugins: [
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' }),
    cpuThrottlePlugin(),
    {
      name: 'insight-test-server',
      // Tests ask this route for the server URL and a token per tenant/story.
      serve(context) {
        if (context.path === '/__insight/config') return { body: JSON.stringify(insight.describe()), type: 'application/json' };
        if (context.path === '/__insight/token') {
          const params = Object.fromEntries(new URLSearchParams(context.querystring));
          return insight.token(params).then((token) => ({ body: JSON.stringify({ token }), type: 'application/json' }));
        }
        return undefined;
      },
      async serverStop() {
        await insight.close();
      },
    },
  ],
};
