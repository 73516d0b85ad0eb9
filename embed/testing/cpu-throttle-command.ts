/**
 * Runs in Node inside the web-test-runner process: a server command that
 * slows the test page's CPU through the Chrome DevTools Protocol
 * (`Emulation.setCPUThrottlingRate`), so a browser test can reproduce a busy
 * machine (layout, vega and data arriving in a late, shuffled order).
 *
 * From a test: `await executeServerCommand('insight-cpu-throttle', { rate: 6 })`,
 * and `{ rate: 1 }` to end it (the test's `finally`).
 */
import type { CDPSession } from 'puppeteer-core';

interface CommandContext {
  command: string;
  payload: unknown;
  session: { id: string; browser: { getPage?: (sessionId: string) => { createCDPSession(): Promise<CDPSession> } } };
}

export function cpuThrottlePlugin() {
  // One DevTools session per test page: the throttling lasts as long as the session that set it.
  const sessions = new Map<string, CDPSession>();
  return {
    name: 'insight-cpu-throttle',
    async executeCommand({ command, payload, session }: CommandContext): Promise<boolean | undefined> {
      if (command !== 'insight-cpu-throttle') return undefined;
      const rate = Math.max(1, Number((payload as { rate?: unknown } | undefined)?.rate ?? 1));
      const page = session.browser.getPage?.(session.id);
      if (!page) throw new Error('insight-cpu-throttle needs the Chrome launcher');
      let cdp = sessions.get(session.id);
      if (!cdp) {
        cdp = await page.createCDPSession();
        sessions.set(session.id, cdp);
      }
      await cdp.send('Emulation.setCPUThrottlingRate', { rate });
      if (rate === 1) {
        sessions.delete(session.id);
        await cdp.detach();
      }
      return true;
    },
  };
}
