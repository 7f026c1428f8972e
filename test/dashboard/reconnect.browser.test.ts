/**
 * The page across interruptions, in Chromium: the daemon restarts while the page stays open (the event
 * stream reconnects with Last-Event-ID and replays what was written meanwhile), and TWS connectivity is lost
 * and restored (the health pill follows, without a reload).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../../src/app/stack.js';
import { freePort } from '../../src/app/demo.js';
import { createRedis } from '../../src/infra/redis.js';
import { HAVE_CHROMIUM, launchChromium } from './browser.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

describe.skipIf(!HAVE_CHROMIUM)('dashboard across interruptions', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const redis = createRedis(REDIS_URL);

  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS_URL, config: { http: { port: await freePort() } } });
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(stack.daemon!.http.url);
    await page.locator('#h-stream.ok').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    redis.disconnect();
  });

  it('follows a loss of TWS connectivity and its return on the health pill', async () => {
    await stack.admin('/fault', { action: 'connectivity-lost', ms: 1500 });
    await page.locator('#h-tws.bad').filter({ hasText: /connectivity lost/i }).waitFor();
    await page.locator('#h-tws.ok').filter({ hasText: 'TWS connected' }).waitFor();
  });

  it('replays, after the daemon restarts, an entry written while the page was disconnected', async () => {
    await page.evaluate(() => ((globalThis as unknown as { __noReload: boolean }).__noReload = true));
    const reconnects: Promise<Record<string, string>>[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/events') reconnects.push(r.allHeaders());
    });
    await stack.daemon!.stop();
    await page.locator('#h-stream.warn').waitFor();
    // written while no daemon serves the page (as a reconciliation pass of the next run would)
    await redis.xadd(`${stack.config.redis.prefix}:fills`, '*', 'type', 'FILL', 'execId', 'replay-1', 'account', 'DU1000003', 'symbol', 'REPLAYED', 'side', 'BOT', 'shares', '3', 'price', '1.5', 'ts', new Date().toISOString());
    await stack.startDaemon();
    await page.getByTestId('fills').getByText('REPLAYED').waitFor();
    await page.locator('#h-stream.ok').waitFor();
    // the browser resumed the stream from the last event it had (the route test checks what the server replays)
    const headers = await Promise.all(reconnects);
    expect(headers.some((h) => /^\d+-\d+$/.test(h['last-event-id'] ?? ''))).toBe(true);
    expect(await page.evaluate(() => (globalThis as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  });
});
